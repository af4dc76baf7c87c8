// wsi-train: one MLP head per cross-validation fold on frozen embeddings, early-stopped on the
// validation AP, logged per epoch to TensorBoard and MLflow, written as a model folder. A fold whose
// head is already in the folder with the same recipe and data (same fingerprint) is not retrained;
// the same seed and data give byte-identical heads.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '@slidepipe/io';
import { basename, join } from 'node:path';
import { inputError, SlidepipeError, type Logger } from '@slidepipe/cli';
import {
  buildMlpInferenceModel,
  HEAD_METADATA_PREFIX,
  MlpTrainer,
  readOnnxMetadata,
  type LossName,
  type MlpTrainOptionsInput,
} from '@slidepipe/models';
import { CombinedRun, createTracker, type Tracker } from '@slidepipe/tracking';
import { balanceRows, type BalanceMode } from './balance';
import type { EmbeddingTable } from './data';
import { evaluate, type ThresholdRule, type ValidationMetrics } from './evaluate';
import type { CvPlan, FoldPlan } from './folds';
import {
  ENSEMBLE_FILE,
  ENSEMBLE_FORMAT,
  ENSEMBLE_VERSION,
  foldFile,
  HEAD_META,
  type EnsembleManifest,
  type FoldEntry,
} from './manifest';
import { fitStandardizer, foldStandardizer, gatherRows, identityStandardizer } from './standardize';

export interface HeadRecipe {
  hidden: number[];
  dropout: number;
  optimizer: 'adam' | 'adamw';
  lr: number;
  weightDecay: number;
  batchSize: number;
  epochs: number;
  patience: number;
  loss: LossName;
  alpha: number;
  gamma: number;
  posWeight: number;
  balance: BalanceMode;
  threshold: ThresholdRule;
  standardize: boolean;
  seed: number;
}

export interface TrainOptions {
  recipe: HeadRecipe;
  /** Train only these folds (say, one per Slurm array task); the manifest waits for all. */
  only?: number[];
  outDir: string;
  /** TensorBoard root (one sub-folder per run), or null for none. */
  logsDir: string | null;
  /** MLflow, or undefined for none. */
  tracker?: Tracker;
  /** Retrain the folds asked for even when their heads are already in outDir. */
  force: boolean;
  threads: number;
  log: Logger;
  provenance: unknown[];
}

/** MLflow as MLFLOW_TRACKING_URI says (a server for http(s), else the file store, ./mlruns by default). */
export function openTracker(experimentName: string | undefined, warn: (msg: string) => void): Tracker {
  return createTracker({ experimentName, warn });
}

/** Fold k's seed: the run seed and the fold, so folds start from different weights. */
export const foldSeed = (seed: number, k: number) => (Math.imul(seed >>> 0, 1000003) + k) >>> 0;

const sha256 = (...parts: (Uint8Array | string)[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

const bytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** What a fold head depends on: the recipe, the backbone, the embeddings and the fold's rows. */
function foldFingerprint(recipe: HeadRecipe, t: EmbeddingTable, dataHash: string, f: FoldPlan): string {
  return sha256(
    JSON.stringify({ recipe, backbone: t.backbone.sha256, data: dataHash, fold: f.fold }),
    bytes(f.train),
    bytes(f.val),
  );
}

function trainerOptions(r: HeadRecipe, seed: number): MlpTrainOptionsInput {
  return {
    hidden: r.hidden,
    dropout: r.dropout,
    optimizer: r.optimizer,
    lr: r.lr,
    weightDecay: r.weightDecay,
    batchSize: r.batchSize,
    epochs: r.epochs,
    loss: r.loss,
    alpha: r.alpha,
    gamma: r.gamma,
    posWeight: r.posWeight,
    seed,
  };
}

const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : String(v));

/**
 * A finished fold found in the folder, when its fingerprint matches. A head with another
 * fingerprint counts as absent with `otherIsAbsent`, else it is an error (never overwritten).
 */
function existingFold(path: string, fingerprint: string, otherIsAbsent: boolean): FoldEntry | undefined {
  if (!existsSync(path)) return undefined;
  const model = readFileSync(path);
  let meta: Record<string, string>;
  try {
    meta = readOnnxMetadata(model);
  } catch {
    meta = {};
  }
  if (meta[HEAD_META.fingerprint] !== fingerprint) {
    if (otherIsAbsent) return undefined;
    throw new SlidepipeError(
      'output-exists',
      path,
      'holds a head trained on other data or with other parameters: give --force to retrain, or another -o folder',
    );
  }
  return {
    fold: Number(meta[HEAD_META.fold]),
    file: basename(path),
    sha256: sha256(model),
    seed: Number(meta[HEAD_META.seed]),
    best_epoch: Number(meta[HEAD_META.bestEpoch]),
    epochs_run: Number(meta[HEAD_META.epochsRun]),
    threshold: Number(meta[HEAD_META.threshold]),
    metrics: JSON.parse(meta[HEAD_META.metrics]) as ValidationMetrics,
    counts: JSON.parse(meta[HEAD_META.counts]),
  };
}

interface Best {
  epoch: number;
  metrics: ValidationMetrics;
  state: Uint8Array;
}

async function trainFold(
  t: EmbeddingTable,
  f: FoldPlan,
  folds: number,
  fingerprint: string,
  run: CombinedRun | undefined,
  o: TrainOptions,
): Promise<FoldEntry> {
  const r = o.recipe;
  const seed = foldSeed(r.seed, f.fold);
  const st = r.standardize ? fitStandardizer(t.x, t.dim, f.train) : identityStandardizer(t.dim);
  const balanced = balanceRows(f.train, t.y, r.balance);
  const x = gatherRows(t.x, t.dim, balanced.rows, st);
  const y = Uint8Array.from(balanced.rows, (i) => t.y[i]);
  const xVal = gatherRows(t.x, t.dim, f.val, st);
  const yVal = Uint8Array.from(f.val, (i) => t.y[i]);
  const trainer = MlpTrainer.create(t.dim, trainerOptions(r, seed), { threads: o.threads });
  const lossParams = { posWeight: r.posWeight, alpha: r.alpha, gamma: r.gamma };
  let best: Best | undefined;
  let stale = 0;
  try {
    const summary = await trainer.fit(
      { x, y, w: balanced.weights },
      {
        onEpochEnd: async (rep, tr) => {
          const pred = await tr.predict(xVal);
          const m = evaluate(yVal, pred.logit, pred.prob, r.loss, lossParams, r.threshold);
          await run?.logMetrics(
            {
              train_loss: rep.loss,
              val_loss: m.loss,
              val_auc: m.auc,
              val_ap: m.ap,
              val_f1: m.f1,
              val_f2: m.f2,
              val_threshold: m.threshold,
              val_best_f2: m.best_f2,
              val_best_f2_threshold: m.best_f2_threshold,
            },
            rep.epoch,
          );
          o.log.info(
            `fold ${f.fold} epoch ${rep.epoch}/${rep.epochs}: loss ${fmt(rep.loss)}, validation loss ${fmt(m.loss)} AUC ${fmt(m.auc)} AP ${fmt(m.ap)} F2 ${fmt(m.f2)} at ${fmt(m.threshold)} (${rep.seconds.toFixed(2)} s)`,
          );
          // Better AP wins; on equal AP (common once validation is separable) the lower loss.
          if (!best || m.ap > best.metrics.ap || (m.ap === best.metrics.ap && m.loss < best.metrics.loss)) {
            best = { epoch: rep.epoch, metrics: m, state: tr.saveState() };
            stale = 0;
          } else if (++stale >= r.patience) {
            o.log.info(
              `fold ${f.fold}: validation AP has not improved for ${r.patience} epochs: stopping at epoch ${rep.epoch}, keeping epoch ${best.epoch}`,
            );
            return 'stop';
          }
          return 'continue';
        },
      },
    );
    const b = best as Best;
    const params = foldStandardizer(MlpTrainer.restore(b.state).getParams(), st);
    const counts = {
      train_rows: f.train.length,
      train_positives: f.trainPositives,
      val_rows: f.val.length,
      val_positives: f.valPositives,
      oversample: balanced.repeat,
    };
    const recipe = { ...r, seed };
    const metadata: Record<string, string> = {
      // What MlpTrainer.exportOnnx records, for a head written from folded parameters.
      [`${HEAD_METADATA_PREFIX}kind`]: 'mlp',
      [`${HEAD_METADATA_PREFIX}input_dim`]: String(t.dim),
      [`${HEAD_METADATA_PREFIX}hidden`]: JSON.stringify(r.hidden),
      [`${HEAD_METADATA_PREFIX}train_options`]: JSON.stringify(trainer.options),
      [`${HEAD_METADATA_PREFIX}epochs_trained`]: String(b.epoch),
      [HEAD_META.backbone]: JSON.stringify(t.backbone),
      [HEAD_META.backboneName]: t.backbone.name,
      [HEAD_META.backboneSha256]: t.backbone.sha256,
      [HEAD_META.preprocessing]: JSON.stringify(t.backbone.preprocessing ?? null),
      [HEAD_META.fold]: String(f.fold),
      [HEAD_META.folds]: String(folds),
      [HEAD_META.seed]: String(seed),
      [HEAD_META.recipe]: JSON.stringify(recipe),
      [HEAD_META.metrics]: JSON.stringify(b.metrics),
      [HEAD_META.threshold]: String(b.metrics.threshold),
      [HEAD_META.bestEpoch]: String(b.epoch),
      [HEAD_META.epochsRun]: String(summary.epoch),
      [HEAD_META.counts]: JSON.stringify(counts),
      [HEAD_META.fingerprint]: fingerprint,
    };
    const model = buildMlpInferenceModel(trainer.spec, {
      params,
      metadata,
      docString: `slidepipe MLP head, fold ${f.fold} of ${folds}: x [N, ${t.dim}] raw ${t.backbone.name} embeddings -> logit [N], prob [N]`,
    });
    const path = join(o.outDir, foldFile(f.fold));
    writeFileAtomic(path, model, true);
    return {
      fold: f.fold,
      file: foldFile(f.fold),
      sha256: sha256(model),
      seed,
      best_epoch: b.epoch,
      epochs_run: summary.epoch,
      threshold: b.metrics.threshold,
      metrics: b.metrics,
      counts,
    };
  } finally {
    await trainer.dispose();
  }
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);
}

/**
 * Trains (or finds) every fold's head and writes ensemble.json; with `only`, trains those folds
 * and writes the manifest (returned) once every fold's head is in the folder.
 */
export async function trainCrossValidated(
  t: EmbeddingTable,
  plan: CvPlan,
  o: TrainOptions,
): Promise<EnsembleManifest | undefined> {
  const r = o.recipe;
  if (r.loss === 'focal' && r.posWeight !== 1)
    throw inputError('--pos-weight', 'applies to --loss bce; focal loss weighs positives with --alpha');
  mkdirSync(o.outDir, { recursive: true });
  const rowFold = new Int32Array(t.rows).fill(-1);
  for (const f of plan.folds) for (const i of f.val) rowFold[i] = f.fold;
  const dataHash = sha256(bytes(t.x), bytes(t.y), bytes(rowFold));
  const params = {
    ...r,
    hidden: r.hidden.join(',') || 'none',
    backbone: t.backbone.name,
    backbone_sha256: t.backbone.sha256,
    dim: t.dim,
    folds: plan.folds.length,
    rows: t.rows,
    positives: t.y.reduce((a, b) => a + b, 0),
    slides: t.slides.length,
    test_rows_left_out: plan.testRows,
    inputs: t.sources.join(' ').slice(0, 2000),
  };
  const run =
    o.tracker || o.logsDir !== null
      ? await CombinedRun.start({
          name: 'cv',
          tracker: o.tracker,
          tensorboardDir: o.logsDir === null ? undefined : join(o.logsDir, 'cv'),
          params,
        })
      : undefined;
  let status: 'FINISHED' | 'FAILED' = 'FAILED';
  try {
    const entries: FoldEntry[] = [];
    const unknown = (o.only ?? []).filter((k) => !plan.folds.some((f) => f.fold === k));
    if (unknown.length)
      throw inputError(
        '--folds',
        `no fold ${unknown.join(', ')} in the split table (folds: ${plan.folds.map((f) => f.fold).join(', ')})`,
      );
    for (const f of plan.folds) {
      const fingerprint = foldFingerprint(r, t, dataHash, f);
      const path = join(o.outDir, foldFile(f.fold));
      if (o.only && !o.only.includes(f.fold)) {
        // Another task's fold: counted when it is there with this recipe, left alone otherwise.
        const other = existingFold(path, fingerprint, true);
        if (other) entries.push(other);
        continue;
      }
      // --force retrains; otherwise a head with this fingerprint is kept, another one refused.
      const found = o.force ? undefined : existingFold(path, fingerprint, false);
      let entry: FoldEntry;
      if (found) {
        o.log.info(
          `fold ${f.fold}: ${foldFile(f.fold)} is already trained with this recipe and data: kept (validation AUC ${fmt(found.metrics.auc)}, AP ${fmt(found.metrics.ap)})`,
        );
        entry = found;
      } else {
        o.log.info(
          `fold ${f.fold}: training on ${f.train.length} patches (${f.trainPositives} positive), validating on ${f.val.length} (${f.valPositives} positive)`,
        );
        const child = await run?.startChild(`fold-${f.fold}`, {
          tensorboardDir: o.logsDir === null ? undefined : join(o.logsDir, `fold-${f.fold}`),
          params: {
            ...params,
            fold: f.fold,
            fold_seed: foldSeed(r.seed, f.fold),
            train_rows: f.train.length,
            val_rows: f.val.length,
          },
        });
        try {
          entry = await trainFold(t, f, plan.folds.length, fingerprint, child, o);
          await child?.logMetrics(
            {
              best_epoch: entry.best_epoch,
              best_val_ap: entry.metrics.ap,
              best_val_auc: entry.metrics.auc,
              threshold: entry.threshold,
            },
            entry.epochs_run,
          );
          await child?.end('FINISHED');
        } catch (e) {
          await child?.end('FAILED').catch(() => undefined);
          throw e;
        }
      }
      entries.push(entry);
      await run?.logMetrics(
        { fold_val_auc: entry.metrics.auc, fold_val_ap: entry.metrics.ap, fold_val_f2: entry.metrics.f2 },
        f.fold,
      );
    }
    if (entries.length < plan.folds.length) {
      const missing = plan.folds.filter((f) => !entries.some((e) => e.fold === f.fold)).map((f) => f.fold);
      o.log.info(
        `${ENSEMBLE_FILE} not written yet: fold${missing.length > 1 ? 's' : ''} ${missing.join(', ')} still to train`,
      );
      status = 'FINISHED';
      return undefined;
    }
    const summary = {
      val_auc_mean: mean(entries.map((e) => e.metrics.auc)),
      val_ap_mean: mean(entries.map((e) => e.metrics.ap)),
      val_f2_mean: mean(entries.map((e) => e.metrics.f2)),
      val_auc_min: Math.min(...entries.map((e) => e.metrics.auc)),
    };
    const manifest: EnsembleManifest = {
      format: ENSEMBLE_FORMAT,
      version: ENSEMBLE_VERSION,
      backbone: t.backbone,
      ...(t.stain ? { stain: t.stain } : {}),
      ...(t.stainAugment ? { stain_augment: t.stainAugment } : {}),
      dim: t.dim,
      head: { kind: 'mlp', hidden: r.hidden, input: 'raw embedding (standardisation folded into the first layer)' },
      recipe: { ...r },
      aggregate: 'mean-prob',
      threshold: mean(entries.map((e) => e.threshold)),
      folds: entries,
      summary,
      provenance: o.provenance,
    };
    const manifestPath = join(o.outDir, ENSEMBLE_FILE);
    writeFileAtomic(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`, true);
    await run?.logMetrics(summary, 0);
    await run?.logArtifact(manifestPath);
    status = 'FINISHED';
    return manifest;
  } finally {
    await run?.end(status);
  }
}
