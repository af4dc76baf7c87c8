import { join } from 'node:path';
import { Option } from 'commander';
import { expectParam, runTool, usageError } from '@slidepipe/cli';
import { readRecords } from '@slidepipe/io';
import { BALANCE_MODES } from './balance';
import type { HeadRecipe } from './train';

interface Opts extends HeadRecipe {
  splits: string;
  logs?: string;
  tensorboard: boolean;
  mlflow: boolean;
  experiment?: string;
  folds?: number[];
}

const number = (flag: string, ok: (n: number) => boolean, expected: string) => (v: string) => {
  const n = Number(v);
  expectParam(v.trim() !== '' && ok(n), flag, expected, v);
  return n;
};
const int = (flag: string, min: number) => number(flag, (n) => Number.isInteger(n) && n >= min, `an integer >= ${min}`);
const unit = (flag: string) => number(flag, (n) => n >= 0 && n <= 1, 'a number in [0, 1]');

void runTool<Opts>({
  name: 'train',
  summary:
    'Train one MLP head per cross-validation fold on embedding records (fold k validates on the split table\'s fold k and trains on the other train-set folds), early-stopped on validation AP, logged to TensorBoard and MLflow; writes a model folder of ONNX heads and ensemble.json.',
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
      .option('--hidden <widths>', 'hidden layer widths, comma-separated; "none" for a linear head', (v: string) => {
        if (v.trim() === 'none') return [];
        const ws = v.split(',').map((x) => Number(x.trim()));
        expectParam(ws.every((w) => Number.isInteger(w) && w >= 1), '--hidden', 'positive integers such as 256 or 512,128, or "none"', v);
        return ws;
      }, [256])
      .option('--dropout <p>', 'dropout after each hidden layer', number('--dropout', (n) => n >= 0 && n < 1, 'a number in [0, 1)'), 0.2)
      .addOption(new Option('--optimizer <name>', 'adamw: decoupled weight decay; adam: L2 weight decay').choices(['adamw', 'adam']).default('adamw'))
      .option('--lr <rate>', 'learning rate', number('--lr', (n) => n > 0, 'a positive number'), 1e-3)
      .option('--weight-decay <wd>', 'weight decay (weights only, not biases)', number('--weight-decay', (n) => n >= 0, 'a number >= 0'), 1e-4)
      .option('--batch-size <n>', 'rows per optimiser step', int('--batch-size', 1), 512)
      .option('--epochs <n>', 'most epochs per fold', int('--epochs', 1), 30)
      .option('--patience <n>', 'stop a fold after this many epochs without a better validation AP', int('--patience', 1), 5)
      .addOption(new Option('--loss <name>', 'bce (with --pos-weight) or focal (with --alpha, --gamma)').choices(['bce', 'focal']).default('bce'))
      .option('--alpha <a>', 'focal loss: weight of positives', unit('--alpha'), 0.25)
      .option('--gamma <g>', 'focal loss: focusing exponent', number('--gamma', (n) => n >= 0, 'a number >= 0'), 2)
      .option('--pos-weight <w>', 'bce: weight of the positive term', number('--pos-weight', (n) => n > 0, 'a positive number'), 1)
      .addOption(
        new Option('--balance <mode>', 'class imbalance: weight (classes weigh the same), oversample (positives repeated), none')
          .choices([...BALANCE_MODES])
          .default('weight'),
      )
      .option('--threshold <t>', 'decision threshold: "best-f2" (the validation F2 optimum) or a probability', (v: string) => {
        if (v === 'best-f2') return v;
        return unit('--threshold')(v);
      }, 'best-f2')
      .option('--no-standardize', 'feed raw embeddings (default: standardise with the training rows\' mean and std, folded into the exported head)')
      .option('--folds <list>', 'train only these folds, e.g. 0 or 1,3 (one Slurm array task each); ensemble.json is written once all are done', (v: string) => {
        const ks = v.split(',').map((x) => Number(x.trim()));
        expectParam(ks.every((k) => Number.isInteger(k) && k >= 0), '--folds', 'fold numbers such as 0 or 1,3', v);
        return ks;
      })
      .option('--seed <n>', 'seed of weights, shuffles and dropout (fold k uses a seed derived from it)', int('--seed', 0), 0)
      .option('--logs <dir>', 'TensorBoard folder (default: <output>/logs)')
      .option('--no-tensorboard', 'write no TensorBoard event files')
      .option('--no-mlflow', 'log nothing to MLflow (default: MLFLOW_TRACKING_URI, http(s) for a server, else ./mlruns)')
      .option('--experiment <name>', 'MLflow experiment (default: MLFLOW_EXPERIMENT_NAME, else "Default")');
  },
  async run(ctx, inputs, opts) {
    if (opts.seed > 2 ** 32 - 1) throw usageError('--seed', `expected an integer in 0..4294967295, got ${opts.seed}`);
    const outDir = ctx.output as string;
    // onnxruntime and the graph builder load only here, so --help is instant.
    const [{ loadEmbeddings, loadSplits }, { planFolds }, { trainCrossValidated, openTracker }] = await Promise.all([
      import('./data'),
      import('./folds'),
      import('./train'),
    ]);
    const recipe = {
      hidden: opts.hidden,
      dropout: opts.dropout,
      optimizer: opts.optimizer,
      lr: opts.lr,
      weightDecay: opts.weightDecay,
      batchSize: opts.batchSize,
      epochs: opts.epochs,
      patience: opts.patience,
      loss: opts.loss,
      alpha: opts.alpha,
      gamma: opts.gamma,
      posWeight: opts.posWeight,
      balance: opts.balance,
      threshold: opts.threshold,
      standardize: opts.standardize,
      seed: opts.seed,
    };
    const table = await loadEmbeddings(readRecords(inputs, { expect: ['embedding'] }));
    const splits = await loadSplits(readRecords([opts.splits], { expect: ['split'] }));
    const plan = planFolds(table, splits, opts.splits);
    ctx.log.info(
      `${table.rows} embeddings (${table.y.reduce((a, b) => a + b, 0)} positive) of ${table.slides.length} slides from ${table.backbone.name}; ${plan.folds.length} folds${plan.testRows ? `; ${plan.testRows} test-set rows left out` : ''}`,
    );
    const tracker = opts.mlflow ? openTracker(opts.experiment, ctx.log.warn) : undefined;
    if (tracker) ctx.log.info(`MLflow: ${tracker.kind === 'rest' ? 'server' : 'file store'} ${tracker.location}`);
    const manifest = await trainCrossValidated(table, plan, {
      recipe,
      only: opts.folds,
      outDir,
      logsDir: opts.tensorboard ? (opts.logs ?? join(outDir, 'logs')) : null,
      tracker,
      force: ctx.force,
      threads: ctx.threads,
      log: ctx.log,
      provenance: [...table.provenance, ...[ctx.provenance_entry({ ...recipe, splits: opts.splits, inputs: inputs.length ? inputs : ['-'] })].filter(Boolean)],
    });
    if (!manifest) return;
    const s = manifest.summary;
    ctx.log.info(`${manifest.folds.length} fold heads in ${outDir}: validation AUC mean ${s.val_auc_mean.toFixed(3)} (min ${s.val_auc_min.toFixed(3)}), AP mean ${s.val_ap_mean.toFixed(3)}`);
  },
});
