// wsi-synth entry: argv to options, run, errors to exit codes. The work is in synth.ts.
import { Option } from 'commander';
import { runTool, usageError } from '@slidepipe/cli';
import { EXAMPLES } from './usage';

interface Opts {
  patients: string;
  size: string;
  seed: string;
  mpp: string;
  validationFraction: string;
  negativeFraction: string;
  jpegQuality: string;
  bigtiff: string;
}

function numberFlag(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw usageError(flag, `expected a number, got ${JSON.stringify(value)}`);
  return n;
}

void runTool<Opts>({
  name: 'synth',
  summary:
    'Write a deterministic synthetic DigiLut-like cohort into a folder: for each patient two slides <patient>_a.tif and ' +
    '<patient>_b.tif (Aperio-style tiled pyramidal TIFF, 256 px JPEG tiles, read by OpenSlide with mpp and objective power), ' +
    'train.csv, validation.csv, presence_of_lesion.csv, validation_truth.csv (held-out boxes in train.csv format), ' +
    'manifest.json and contact-sheet.png. A fraction of the patients (both slides) is held out as validation.',
  examples: EXAMPLES,
  shared: {
    output: 'folder to write the cohort into (required; created if missing)',
    force: 'replace cohort files already in that folder',
    provenance: false,
    threads: false,
  },
  options: (cmd) => {
    cmd
      .option('--patients <n>', 'number of patients', '6')
      .addOption(
        new Option('--size <name>', 'slide size: tiny ~3k x 7k px, small ~10k x 25k, medium ~25k x 57k, digilut ~83k x 198k at 0.25 um/px')
          .choices(['tiny', 'small', 'medium', 'digilut'])
          .default('tiny'),
      )
      .option('--seed <n>', '0..4294967295; the same seed writes the same bytes', '1')
      .option('--mpp <um>', 'level-0 resolution in um/px (0.25 = 40x); sizes are physical', '0.25')
      .option('--validation-fraction <f>', 'share of patients held out', '0.25')
      .option('--negative-fraction <f>', 'share of slides per split without lesions', '0.333')
      .option('--jpeg-quality <q>', 'JPEG quality of the tiles, 1..100', '80')
      .addOption(new Option('--bigtiff <mode>', 'BigTIFF: auto (only past 4 GB), always, never').choices(['auto', 'always', 'never']).default('auto'));
  },
  async run(ctx, _args, o) {
    if (!ctx.output || ctx.output === '-') throw usageError('-o/--output', 'expected a folder to write the cohort into');
    // Loaded only now, so --help and --version stay instant.
    const { synthesizeCohort } = await import('./synth');
    const started = performance.now();
    const report = await synthesizeCohort({
      outDir: ctx.output,
      force: ctx.force,
      size: o.size as 'tiny' | 'small' | 'medium' | 'digilut',
      patients: numberFlag('--patients', o.patients),
      seed: numberFlag('--seed', o.seed),
      mpp: numberFlag('--mpp', o.mpp),
      validationFraction: numberFlag('--validation-fraction', o.validationFraction),
      negativeFraction: numberFlag('--negative-fraction', o.negativeFraction),
      jpegQuality: numberFlag('--jpeg-quality', o.jpegQuality),
      bigTiff: o.bigtiff as 'auto' | 'always' | 'never',
      log: ctx.quiet ? undefined : (m) => ctx.log.info(m),
    });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    ctx.log.info(`wrote ${report.plan.slides.length} slides and ${report.files.length - report.plan.slides.length} other files to ${ctx.output} in ${seconds} s`);
  },
});
