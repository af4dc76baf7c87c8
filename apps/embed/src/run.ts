// wsi-embed's run: patch streams through the backbone to embedding streams.
import type { ToolContext } from '@slidepipe/cli';
import { openRecordSink, readRecords } from '@slidepipe/io';

/** The flags, parsed. */
export interface EmbedFlags {
  model: string;
  device: 'cpu' | 'cuda';
  batchSize: number;
  stain: string;
  stainAugment?: string;
}

export async function run(ctx: ToolContext, inputs: string[], f: EmbedFlags): Promise<void> {
  // Heavy modules (onnxruntime, libjpeg-turbo through koffi) load only here, so --help is instant.
  const [{ openBackbone }, { embedStreams, setDecodeThreads }, { stainTransform }] = await Promise.all([
    import('./backbone-registry'),
    import('./embed'),
    import('./stain'),
  ]);
  // Checked before the backbone loads: a bad target file fails at once.
  const stain = stainTransform(f.stain, f.stainAugment);
  setDecodeThreads(ctx.threads);
  const backbone = await openBackbone(f.model, { device: f.device, threads: ctx.threads, warn: ctx.log.warn });
  const sink = openRecordSink(ctx.output, { force: ctx.force });
  const progress = ctx.log.progress('patches');
  try {
    const { name, sha256, dim } = backbone.identity;
    const rows = await embedStreams(readRecords(inputs, { expect: ['patch', 'labelled-patch'] }), sink, backbone, {
      batchSize: f.batchSize,
      provenance: ctx.provenance_entry({
        model: f.model,
        backbone: name,
        sha256,
        device: f.device,
        batch_size: f.batchSize,
        stain: f.stain,
        stain_augment: f.stainAugment ?? null,
        inputs: inputs.length ? inputs : ['-'],
      }),
      onRows: (n) => progress.tick(n),
      stain,
    });
    await sink.close();
    progress.done();
    ctx.log.info(`${rows} patches embedded with ${name} (dim ${dim}) to ${sink.name}`);
    if (stain?.unchanged)
      ctx.log.info(`${stain.unchanged} patches left unnormalised (too few stained pixels for an estimate)`);
  } catch (e) {
    sink.abort();
    throw e;
  } finally {
    await backbone.close();
  }
}
