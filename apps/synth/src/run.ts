// wsi-synth's run: the numbers checked, then the cohort written (synth.ts does the work).
import { numberFlag, usageError, type ToolContext } from '@slidepipe/cli';

/** The flags as given (numbers stay text so --help shows their defaults as written). */
export interface SynthFlags {
  patients: string;
  size: string;
  seed: string;
  mpp: string;
  validationFraction: string;
  negativeFraction: string;
  jpegQuality: string;
  bigtiff: string;
  difficulty: string;
  texture?: string;
}

const num = (flag: string, v: string) => numberFlag(flag, 'a number')(v);

export async function run(ctx: ToolContext, _args: string[], o: SynthFlags): Promise<void> {
  if (!ctx.output || ctx.output === '-') throw usageError('-o/--output', 'expected a folder to write the cohort into');
  // Loaded only now, so --help and --version stay instant.
  const { synthesizeCohort } = await import('./synth');
  const started = performance.now();
  const report = await synthesizeCohort({
    outDir: ctx.output,
    force: ctx.force,
    size: o.size as 'tiny' | 'small' | 'medium' | 'digilut',
    patients: num('--patients', o.patients),
    seed: num('--seed', o.seed),
    mpp: num('--mpp', o.mpp),
    validationFraction: num('--validation-fraction', o.validationFraction),
    negativeFraction: num('--negative-fraction', o.negativeFraction),
    jpegQuality: num('--jpeg-quality', o.jpegQuality),
    bigTiff: o.bigtiff as 'auto' | 'always' | 'never',
    difficulty: o.difficulty === 'hard' ? 'hard' : undefined,
    texturePath: o.texture,
    log: ctx.quiet ? undefined : (m) => ctx.log.info(m),
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  ctx.log.info(
    `wrote ${report.plan.slides.length} slides and ${report.files.length - report.plan.slides.length} other files to ${ctx.output} in ${seconds} s`,
  );
}
