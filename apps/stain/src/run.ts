// wsi-stain's run: patch streams in, the stain target as JSON out (a file or stdout).
import { writeStdout, type ToolContext } from '@slidepipe/cli';
import { readRecords, writeFileAtomic } from '@slidepipe/io';

/** The flags, parsed. */
export interface StainFlags {
  seed: number;
  pixelsPerPatch: number;
  maxPixels: number;
}

export async function run(ctx: ToolContext, inputs: string[], f: StainFlags): Promise<void> {
  // libjpeg-turbo (through koffi) loads only here, so --help is instant.
  const { fitStainTarget, setDecodeThreads } = await import('./fit');
  setDecodeThreads(ctx.threads);
  const progress = ctx.log.progress('patches');
  const target = await fitStainTarget(readRecords(inputs, { expect: ['patch', 'labelled-patch'] }), {
    ...f,
    onRows: (n) => progress.tick(n),
  });
  progress.done();
  const entry = ctx.provenance_entry({ ...f, inputs: inputs.length ? inputs : ['-'] });
  const text = `${JSON.stringify({ ...target, provenance: entry ? [entry] : [] }, null, 2)}\n`;
  if (ctx.output && ctx.output !== '-') writeFileAtomic(ctx.output, text, ctx.force);
  else await writeStdout(text);
  const { patches, slides, patients } = target.fitted_on;
  ctx.log.info(
    `stain target from ${patches} patches of ${slides} slides (${patients} patients)${target.macenko ? '' : ': no Macenko estimate (too few stained pixels)'} to ${ctx.output && ctx.output !== '-' ? ctx.output : 'stdout'}`,
  );
}
