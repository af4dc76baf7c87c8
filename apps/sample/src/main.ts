import { collect, nonNegativeInteger, numberFlag, positiveInteger, runTool, seedFlag } from '@slidepipe/cli';
import { run, type SampleFlags } from './run';

void runTool<SampleFlags>({
  name: 'sample',
  summary:
    'Balance labelled records: keep every positive and a seeded sample of negatives (ratio over the input or per slide, a floor for lesion-free slides, a per-slide cap). Exact counts from two passes over the input (stdin is first copied to a temporary file); memory does not grow with the input.',
  args: '[inputs...]',
  examples: [
    'wsi-tile s.tif | wsi-label --boxes train.csv | wsi-sample --neg-per-pos 2 | wsi-cat -o s.parquet',
    'wsi-cat patches/*.parquet | wsi-sample --neg-per-pos 2 --splits splits.parquet --set train -o train.parquet',
    'wsi-sample --neg-per-pos 3 --per-slide --min-neg-per-slide 20 --max-per-slide 500 --seed 7 patches/*.parquet -o bal.parquet',
  ],
  options: (cmd) => {
    cmd
      .option(
        '--neg-per-pos <r>',
        'negatives kept per positive',
        numberFlag('--neg-per-pos', 'a number >= 0', (n) => Number.isFinite(n) && n >= 0),
        1,
      )
      .option(
        '--per-slide',
        'apply the ratio within each slide (default: over the whole input, negatives shared among slides in proportion to their negatives)',
      )
      .option(
        '--min-neg-per-slide <n>',
        'negatives kept from every lesion-free slide (all of them when it has fewer)',
        nonNegativeInteger('--min-neg-per-slide'),
        10,
      )
      .option(
        '--max-per-slide <n>',
        'most rows kept from one slide, positives first',
        positiveInteger('--max-per-slide'),
      )
      .option('--seed <n>', 'random seed (same input and seed: same rows)', seedFlag(), 0)
      .option('--splits <file>', 'split table (wsi-split): keep only slides of --set')
      .option('--set <name>', 'with --splits: the set to keep', 'train')
      .option(
        '--hard-negatives <file|dir>',
        'out-of-fold patch scores of the training slides (wsi-predict --out-of-fold; a folder: its .parquet/.arrows files; repeat for several): adds the highest-scoring negatives not already kept, joined by (slide_id, x0, y0, w0, h0)',
        collect,
      )
      .option(
        '--per-pos <k>',
        'with --hard-negatives: hard negatives added per kept positive, over the whole input (with --per-slide: within each slide, so lesion-free slides get none)',
        numberFlag('--per-pos', 'a number >= 0', (n) => Number.isFinite(n) && n >= 0),
      );
  },
  run,
});
