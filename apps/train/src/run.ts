// wsi-train's run: embeddings and the split table to one early-stopped head per fold.
import { join } from 'node:path';
import { usageError, type ToolContext } from '@slidepipe/cli';
import { readRecords } from '@slidepipe/io';
import type { HeadRecipe } from './train';

/** The flags, parsed. */
export interface TrainFlags extends HeadRecipe {
  splits: string;
  logs?: string;
  tensorboard: boolean;
  mlflow: boolean;
  experiment?: string;
  folds?: number[];
}

/** The head recipe alone, for the trainer and the provenance. */
const recipeOf = (f: TrainFlags): HeadRecipe => ({
  hidden: f.hidden,
  dropout: f.dropout,
  optimizer: f.optimizer,
  lr: f.lr,
  weightDecay: f.weightDecay,
  batchSize: f.batchSize,
  epochs: f.epochs,
  patience: f.patience,
  loss: f.loss,
  alpha: f.alpha,
  gamma: f.gamma,
  posWeight: f.posWeight,
  balance: f.balance,
  threshold: f.threshold,
  standardize: f.standardize,
  seed: f.seed,
});

export async function run(ctx: ToolContext, inputs: string[], f: TrainFlags): Promise<void> {
  if (f.seed > 2 ** 32 - 1) throw usageError('--seed', `expected an integer in 0..4294967295, got ${f.seed}`);
  const outDir = ctx.output as string;
  // onnxruntime and the graph builder load only here, so --help is instant.
  const [{ loadEmbeddings, loadSplits }, { planFolds }, { trainCrossValidated, openTracker }] = await Promise.all([
    import('./data'),
    import('./folds'),
    import('./train'),
  ]);
  const recipe = recipeOf(f);
  const table = await loadEmbeddings(readRecords(inputs, { expect: ['embedding'] }));
  const splits = await loadSplits(readRecords([f.splits], { expect: ['split'] }));
  const plan = planFolds(table, splits, f.splits);
  ctx.log.info(
    `${table.rows} embeddings (${table.y.reduce((a, b) => a + b, 0)} positive) of ${table.slides.length} slides from ${table.backbone.name}; ${plan.folds.length} folds${plan.testRows ? `; ${plan.testRows} test-set rows left out` : ''}`,
  );
  const tracker = f.mlflow ? openTracker(f.experiment, ctx.log.warn) : undefined;
  if (tracker) ctx.log.info(`MLflow: ${tracker.kind === 'rest' ? 'server' : 'file store'} ${tracker.location}`);
  const manifest = await trainCrossValidated(table, plan, {
    recipe,
    only: f.folds,
    outDir,
    logsDir: f.tensorboard ? (f.logs ?? join(outDir, 'logs')) : null,
    tracker,
    force: ctx.force,
    threads: ctx.threads,
    log: ctx.log,
    provenance: [
      ...table.provenance,
      ...[ctx.provenance_entry({ ...recipe, splits: f.splits, inputs: inputs.length ? inputs : ['-'] })].filter(
        Boolean,
      ),
    ],
  });
  if (!manifest) return;
  const s = manifest.summary;
  ctx.log.info(
    `${manifest.folds.length} fold heads in ${outDir}: validation AUC mean ${s.val_auc_mean.toFixed(3)} (min ${s.val_auc_min.toFixed(3)}), AP mean ${s.val_ap_mean.toFixed(3)}`,
  );
}
