import { Option } from 'commander';
import { BAD_BOX_POLICIES } from '@slidepipe/geometry';
import { collect, integerIn, numberIn, runTool } from '@slidepipe/cli';
import { run, type HeatmapOptions } from './run';

/** As commander gives them: the numbers stay text so --help shows their defaults as written. */
type Opts = Omit<HeatmapOptions, 'widthPx' | 'opacity'> & { widthPx: string; opacity: string };

void runTool<Opts>({
  name: 'heatmap',
  summary:
    'Draw a PNG per slide: the slide thumbnail, the patch scores as a heat map, the true boxes (green) and the predicted boxes (blue), with a legend.',
  args: '[inputs...]',
  shared: { output: false, force: 'replace existing PNGs', provenance: false, threads: false },
  examples: [
    'wsi-heatmap scores.arrows --slide slide.svs --boxes boxes.arrows --truth train.csv -o heat.png',
    "wsi-heatmap scores.parquet --slides slides/ --boxes boxes.arrows --truth train.csv -o 'heat-{slide}.png'",
    'wsi-heatmap scores.arrows --width-px 800 --opacity 0.4 -o heat.png          # scores only, grey background',
  ],
  options: (cmd) => {
    cmd
      .requiredOption(
        '-o, --output <png>',
        'PNG to write; {slide} in the path is the slide id (needed for several slides)',
      )
      .option('--boxes <file>', 'predicted boxes (box records; repeat for several files)', collect, [])
      .option('--truth <file>', 'true boxes: DigiLut box CSV or QuPath GeoJSON (repeatable)', collect, [])
      .option('--truth-class <names>', 'GeoJSON: only features of these comma-separated classifications')
      .addOption(
        new Option('--bad-boxes <policy>', 'bad truth boxes (as wsi-eval): fail or drop')
          .choices(BAD_BOX_POLICIES as string[])
          .default('fail'),
      )
      .option('--slide <path>', 'the slide file for the background (one slide)')
      .option('--slides <dir>', 'folder holding <slide_id>.<ext> slide files')
      .option('--width-px <n>', 'picture width in pixels (height follows the slide)', '1200')
      .option('--opacity <f>', 'heat map opacity at score 1 (scored tissue gets a tenth of it)', '0.6');
    cmd.addHelpText(
      'after',
      `
Background: the slide from --slide, else the path in the stream's slide facts, else
--slides/<slide_id>.*, read at the smallest pyramid level that covers the picture (the thumbnail
when that level is too big); without a slide, a plain grey canvas. Overlapping patches are
averaged. Truth boxes are stroked just outside their edge, predictions just inside, so both show
where they coincide; neutral (padded) boxes are not drawn.`,
    );
  },
  run: (ctx, inputs, o) =>
    run(ctx, inputs, {
      ...o,
      widthPx: integerIn('--width-px', '[64, 20000]')(o.widthPx),
      opacity: numberIn('--opacity', '[0, 1]')(o.opacity),
    }),
});
