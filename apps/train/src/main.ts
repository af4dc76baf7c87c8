import { Option } from 'commander';
import { expectParam, integerAtLeast, numberFlag, numberIn, runTool } from '@slidepipe/cli';
import { BALANCE_MODES } from './balance';
import { run, type TrainFlags } from './run';

void runTool<TrainFlags>({
  name: 'train',
  summary:
    "Train one MLP head per cross-validation fold on embedding records (fold k validates on the split table's fold k and trains on the other train-set folds), early-stopped on validation AP, logged to TensorBoard and MLflow; writes a model folder of ONNX heads and ensemble.json.",
  args: '[embeddings...]',
  shared: { output: false, force: 'retrain folds whose heads are already in the -o folder' },
  examples: [
    'wsi-train emb.parquet --splits splits.parquet -o models/',
    'wsi-train emb.parquet --splits splits.parquet -o models/ --loss focal --alpha 0.25 --gamma 2 --balance none',
    'wsi-train emb.parquet --splits splits.parquet -o models/ --hidden 512,128 --dropout 0.3 --epochs 50 --patience 8',
    'MLFLOW_TRACKING_URI=http://127.0.0.1:5000 wsi-train emb.parquet --splits splits.parquet -o models/ --experiment digilut',
    'for k in 0 1 2 3 4; do wsi-train emb.parquet --splits splits.parquet -o models/ --folds $k & done; wait   # folds in parallel',
    'tensorboard --logdir models/logs                     # per fold: loss, AUC, AP, F1/F2, best-F2 threshold',
  ],
  options: (cmd) => {
    cmd
      .requiredOption('-o, --output <dir>', 'model folder: fold-<k>.onnx per fold, ensemble.json, logs/ (TensorBoard)')
      .requiredOption('--splits <file>', 'split table (wsi-split): set and fold of every slide of the embeddings')
      .option(
        '--hidden <widths>',
        'hidden layer widths, comma-separated; "none" for a linear head',
        (v: string) => {
          if (v.trim() === 'none') return [];
          const ws = v.split(',').map((x) => Number(x.trim()));
          expectParam(
            ws.every((w) => Number.isInteger(w) && w >= 1),
            '--hidden',
            'positive integers such as 256 or 512,128, or "none"',
            v,
          );
          return ws;
        },
        [256],
      )
      .option('--dropout <p>', 'dropout after each hidden layer', numberIn('--dropout', '[0, 1)'), 0.2)
      .addOption(
        new Option('--optimizer <name>', 'adamw: decoupled weight decay; adam: L2 weight decay')
          .choices(['adamw', 'adam'])
          .default('adamw'),
      )
      .option(
        '--lr <rate>',
        'learning rate',
        numberFlag('--lr', 'a positive number', (n) => n > 0),
        1e-3,
      )
      .option(
        '--weight-decay <wd>',
        'weight decay (weights only, not biases)',
        numberFlag('--weight-decay', 'a number >= 0', (n) => n >= 0),
        1e-4,
      )
      .option('--batch-size <n>', 'rows per optimiser step', integerAtLeast('--batch-size', 1), 512)
      .option('--epochs <n>', 'most epochs per fold', integerAtLeast('--epochs', 1), 30)
      .option(
        '--patience <n>',
        'stop a fold after this many epochs without a better validation AP',
        integerAtLeast('--patience', 1),
        5,
      )
      .addOption(
        new Option('--loss <name>', 'bce (with --pos-weight) or focal (with --alpha, --gamma)')
          .choices(['bce', 'focal'])
          .default('bce'),
      )
      .option('--alpha <a>', 'focal loss: weight of positives', numberIn('--alpha', '[0, 1]'), 0.25)
      .option(
        '--gamma <g>',
        'focal loss: focusing exponent',
        numberFlag('--gamma', 'a number >= 0', (n) => n >= 0),
        2,
      )
      .option(
        '--pos-weight <w>',
        'bce: weight of the positive term',
        numberFlag('--pos-weight', 'a positive number', (n) => n > 0),
        1,
      )
      .addOption(
        new Option(
          '--balance <mode>',
          'class imbalance: weight (classes weigh the same), oversample (positives repeated), none',
        )
          .choices([...BALANCE_MODES])
          .default('weight'),
      )
      .option(
        '--threshold <t>',
        'decision threshold: "best-f2" (the validation F2 optimum) or a probability',
        (v: string) => {
          if (v === 'best-f2') return v;
          return numberIn('--threshold', '[0, 1]')(v);
        },
        'best-f2',
      )
      .option(
        '--no-standardize',
        "feed raw embeddings (default: standardise with the training rows' mean and std, folded into the exported head)",
      )
      .option(
        '--folds <list>',
        'train only these folds, e.g. 0 or 1,3 (one Slurm array task each); ensemble.json is written once all are done',
        (v: string) => {
          const ks = v.split(',').map((x) => Number(x.trim()));
          expectParam(
            ks.every((k) => Number.isInteger(k) && k >= 0),
            '--folds',
            'fold numbers such as 0 or 1,3',
            v,
          );
          return ks;
        },
      )
      .option(
        '--seed <n>',
        'seed of weights, shuffles and dropout (fold k uses a seed derived from it)',
        integerAtLeast('--seed', 0),
        0,
      )
      .option('--logs <dir>', 'TensorBoard folder (default: <output>/logs)')
      .option('--no-tensorboard', 'write no TensorBoard event files')
      .option(
        '--no-mlflow',
        'log nothing to MLflow (default: MLFLOW_TRACKING_URI, http(s) for a server, else ./mlruns)',
      )
      .option('--experiment <name>', 'MLflow experiment (default: MLFLOW_EXPERIMENT_NAME, else "Default")');
  },
  run,
});
