import { Option } from 'commander';
import { runTool } from '@slidepipe/cli';
import { AGGREGATE_NAMES, AGGREGATORS } from './aggregate';
import { run, type PredictFlags } from './run';

void runTool<PredictFlags>({
  name: 'predict',
  summary:
    "Score embedding records with every fold head of a wsi-train model folder and write patch-score records: the ensemble score (or, with --out-of-fold, the score of the head that never saw the slide) and each fold's probability (one stream per slide).",
  args: '[embeddings...]',
  examples: [
    'wsi-tile test.tif | wsi-embed | wsi-predict --models models/ | wsi-boxes --count 4',
    'wsi-predict --models models/ emb.parquet -o scores.parquet',
    'wsi-predict --models models/ --aggregate vote emb.arrows | wsi-cat --csv --drop fold_scores | head',
    'wsi-predict --models models/ --out-of-fold --splits splits.parquet train-emb/s1.parquet -o oof/s1.parquet   # for wsi-sample --hard-negatives',
  ],
  options: (cmd) => {
    cmd
      .requiredOption(
        '--models <dir>',
        'model folder written by wsi-train (ensemble.json and one fold-<k>.onnx per fold)',
      )
      .addOption(
        new Option(
          '--aggregate <name>',
          `ensemble score: ${AGGREGATE_NAMES.map((n) => `${n} (${AGGREGATORS[n].summary})`).join('; ')}; default: as in ensemble.json`,
        ).choices(AGGREGATE_NAMES),
      )
      .option(
        '--out-of-fold',
        'training slides only: each slide\'s score comes from the one head that never saw it (the head validated on the slide\'s fold in --splits); facts.aggregate is "out-of-fold". Test-set slides and slides missing from the table are refused',
      )
      .option('--splits <file>', 'with --out-of-fold: the split table (wsi-split) the models were trained on');
  },
  run,
});
