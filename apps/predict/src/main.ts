import { Option } from 'commander';
import { runTool } from '@slidepipe/cli';
import { AGGREGATE_NAMES, AGGREGATORS } from './aggregate';
import { run, type PredictFlags } from './run';

void runTool<PredictFlags>({
  name: 'predict',
  summary:
    "Score embedding records with every fold head of a wsi-train model folder and write patch-score records: the ensemble score and each fold's probability (one stream per slide).",
  args: '[embeddings...]',
  examples: [
    'wsi-tile test.tif | wsi-embed | wsi-predict --models models/ | wsi-boxes --count 4',
    'wsi-predict --models models/ emb.parquet -o scores.parquet',
    'wsi-predict --models models/ --aggregate vote emb.arrows | wsi-cat --csv --drop fold_scores | head',
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
      );
  },
  run,
});
