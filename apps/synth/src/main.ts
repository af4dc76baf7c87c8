// wsi-synth entry: argv to options, then run (run.ts; the work is in synth.ts).
import { Option } from 'commander';
import { runTool } from '@slidepipe/cli';
import { run, type SynthFlags } from './run';
import { EXAMPLES } from './usage';

void runTool<SynthFlags>({
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
        new Option(
          '--size <name>',
          'slide size: tiny ~3k x 7k px, small ~10k x 25k, medium ~25k x 57k, digilut ~83k x 198k at 0.25 um/px',
        )
          .choices(['tiny', 'small', 'medium', 'digilut'])
          .default('tiny'),
      )
      .option('--seed <n>', '0..4294967295; the same seed writes the same bytes', '1')
      .option('--mpp <um>', 'level-0 resolution in um/px (0.25 = 40x); sizes are physical', '0.25')
      .option('--validation-fraction <f>', 'share of patients held out', '0.25')
      .option('--negative-fraction <f>', 'share of slides per split without lesions', '0.333')
      .option('--jpeg-quality <q>', 'JPEG quality of the tiles, 1..100', '80')
      .addOption(
        new Option(
          '--difficulty <name>',
          'standard: procedural tissue; hard: real tissue from --texture re-stained per patient, lesions that differ ' +
            'only by texture, nuclei-dense hard negatives, DigiLut lesion sizes, focus blur, stronger JPEG',
        )
          .choices(['standard', 'hard'])
          .default('standard'),
      )
      .option('--texture <slide>', 'real H&E slide (OpenSlide-readable) whose tissue a hard cohort is built from')
      .addOption(
        new Option('--bigtiff <mode>', 'BigTIFF: auto (only past 4 GB), always, never')
          .choices(['auto', 'always', 'never'])
          .default('auto'),
      );
  },
  run,
});
