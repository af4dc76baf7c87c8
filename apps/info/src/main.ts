import { Option } from 'commander';
import { integerIn, positiveNumber, runTool } from '@slidepipe/cli';
import { run, type InfoFlags } from './run';

void runTool<InfoFlags>({
  name: 'info',
  summary:
    "A slide's facts as JSON: vendor, levels, every OpenSlide property, mpp and magnification (derived when the file lacks them), and the level and resampling wsi-tile would use for a target resolution.",
  args: '<slide>',
  shared: { output: false, force: false, provenance: false, threads: false },
  examples: [
    'wsi-info slide.svs                             # plan for 256 px patches at 0.5 µm/px',
    'wsi-info slide.tif --magnification 20 | jq .target',
    'wsi-info scan.tif --slide-mpp 0.25 --mpp 0.5   # a slide without resolution metadata',
  ],
  options: (cmd) => {
    cmd
      .addOption(
        new Option('--mpp <um>', 'target µm per pixel for the read plan (default 0.5)')
          .argParser(positiveNumber('--mpp'))
          .conflicts('magnification'),
      )
      .addOption(
        new Option('--magnification <x>', 'target magnification relative to the objective power, e.g. 20').argParser(
          positiveNumber('--magnification'),
        ),
      )
      .option('--slide-mpp <um>', "level-0 µm per pixel, replacing the slide's own", positiveNumber('--slide-mpp'))
      .option(
        '--tile-px <px>',
        'patch side in output pixels for the read plan',
        integerIn('--tile-px', '1..65535'),
        256,
      );
  },
  run,
});
