import { Option } from 'commander';
import { integerIn, numberIn, positiveNumber, runTool } from '@slidepipe/cli';
import { run, type TileFlags } from './run';
import { DEFAULT_MIN_TISSUE, DEFAULT_MPP, DEFAULT_QUALITY, DEFAULT_TILE_PX } from './tile';

void runTool<TileFlags>({
  name: 'tile',
  summary:
    'Cut one slide into patches at a fixed resolution where there is tissue, and stream them as patch records (level-0 coordinates, tissue fraction, JPEG).',
  args: '<slide>',
  examples: [
    'wsi-tile slide.svs -o patches.parquet                       # 256 px patches at 0.5 µm/px with >= 50 % tissue',
    'wsi-tile slide.svs | wsi-cat --count                         # stream to the next tool',
    'wsi-tile slide.tif --magnification 20 --stride-px 128 | wsi-cat -o p.parquet   # 20x, half-overlapping',
    'wsi-tile slide.svs --grid-png grid.png --mask-png mask.png --no-pixels | wsi-cat --csv | head',
    'wsi-tile scan.tif --slide-mpp 0.25 --tissue otsu-saturation:minAreaPx=200 --min-tissue 0.3 -o p.parquet',
    'wsi-tile 12_a.tif -o 12_a.parquet                            # slide_id 12_a, patient_id 12 (DigiLut <patient>_<a|b>)',
  ],
  options: (cmd) => {
    cmd
      .addOption(
        new Option('--mpp <um>', `output µm per pixel (default ${DEFAULT_MPP})`)
          .argParser(positiveNumber('--mpp'))
          .conflicts('magnification'),
      )
      .addOption(
        new Option(
          '--magnification <x>',
          'output magnification relative to the objective power, e.g. 20 (instead of --mpp)',
        ).argParser(positiveNumber('--magnification')),
      )
      .option(
        '--slide-mpp <um>',
        "level-0 µm per pixel, replacing the slide's own (for slides without one, or a wrong one)",
        positiveNumber('--slide-mpp'),
      )
      .option('--tile-px <px>', 'patch side in output pixels', integerIn('--tile-px', '8..8192'), DEFAULT_TILE_PX)
      .option(
        '--stride-px <px>',
        'output pixels between patch origins (default: --tile-px, no overlap)',
        integerIn('--stride-px', '1..65536'),
      )
      .option(
        '--tissue <method>',
        'tissue detection: rgb-distance, otsu-saturation or none, with parameters as NAME:key=value,... (see @slidepipe/tissue)',
        'rgb-distance',
      )
      .option(
        '--min-tissue <fraction>',
        'keep patches whose footprint is at least this fraction tissue',
        numberIn('--min-tissue', '0..1'),
        DEFAULT_MIN_TISSUE,
      )
      .option('--mask-png <file>', 'also write the tissue mask as a PNG (white = tissue)')
      .option('--grid-png <file>', 'also write a picture of the slide with tissue outlined and the kept patches boxed')
      .option('--quality <q>', 'JPEG quality', integerIn('--quality', '1..100'), DEFAULT_QUALITY)
      .option('--no-pixels', 'coordinates only: no reads, image column null')
      .option('--slide-id <id>', 'slide id (default: the file name without its extension)')
      .option(
        '--patient-id <id>',
        'patient id (default: <patient> for DigiLut names <patient>_a/_b, else the slide id)',
      )
      .addOption(
        new Option(
          '--reader <how>',
          'auto: decode the JPEG tiles of Aperio and generic tiled TIFF levels directly (the same pixels as OpenSlide, a third of the CPU), OpenSlide for everything else; openslide: always OpenSlide',
        )
          .choices(['auto', 'openslide'])
          .default('auto'),
      );
  },
  run,
});
