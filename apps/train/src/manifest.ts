// The model folder wsi-train writes and wsi-predict reads:
//   fold-<k>.onnx   one MLP head per fold: x [N, D] raw embeddings -> logit [N], prob [N]
//   ensemble.json   this manifest: backbone identity, recipe, and per fold its file, sha256,
//                   threshold and validation metrics
// Each head also carries its own facts as ONNX metadata_props (keys below), so a single head file
// can be checked without the manifest.
import type { ValidationMetrics } from './evaluate';
import type { BackboneFacts } from './data';

export const ENSEMBLE_FILE = 'ensemble.json';
export const ENSEMBLE_FORMAT = 'slidepipe-ensemble';
export const ENSEMBLE_VERSION = 1;
export const AGGREGATES = ['mean-prob', 'mean-logit', 'max', 'vote'] as const;

export const foldFile = (k: number) => `fold-${k}.onnx`;

/** metadata_props keys of a fold head (besides libs/models' own slidepipe.head.*). */
export const HEAD_META = {
  backbone: 'slidepipe.backbone',
  backboneName: 'slidepipe.backbone.name',
  backboneSha256: 'slidepipe.backbone.sha256',
  preprocessing: 'slidepipe.backbone.preprocessing',
  fold: 'slidepipe.train.fold',
  folds: 'slidepipe.train.folds',
  seed: 'slidepipe.train.seed',
  recipe: 'slidepipe.train.recipe',
  metrics: 'slidepipe.train.validation_metrics',
  threshold: 'slidepipe.train.threshold',
  bestEpoch: 'slidepipe.train.best_epoch',
  epochsRun: 'slidepipe.train.epochs_run',
  counts: 'slidepipe.train.counts',
  fingerprint: 'slidepipe.train.fingerprint',
} as const;

export interface FoldCounts {
  train_rows: number;
  train_positives: number;
  val_rows: number;
  val_positives: number;
  /** Positives' oversampling factor (1 unless --balance oversample). */
  oversample: number;
}

export interface FoldEntry {
  fold: number;
  file: string;
  sha256: string;
  seed: number;
  best_epoch: number;
  epochs_run: number;
  threshold: number;
  metrics: ValidationMetrics;
  counts: FoldCounts;
}

export interface EnsembleManifest {
  format: typeof ENSEMBLE_FORMAT;
  version: typeof ENSEMBLE_VERSION;
  backbone: BackboneFacts;
  /**
   * The training embeddings' stain normalisation (wsi-embed's facts.stain: method, target values,
   * what it was fitted on), absent without one: wsi-embed --stain <method>:target=ensemble.json
   * applies it again and wsi-predict checks it.
   */
  stain?: Record<string, unknown>;
  /** The training embeddings' stain augmentation, for the record (prediction uses none). */
  stain_augment?: Record<string, unknown>;
  dim: number;
  head: { kind: 'mlp'; hidden: number[]; input: 'raw embedding (standardisation folded into the first layer)' };
  recipe: Record<string, unknown>;
  /** The aggregate wsi-predict uses unless told otherwise, and its decision threshold. */
  aggregate: (typeof AGGREGATES)[number];
  threshold: number;
  folds: FoldEntry[];
  summary: Record<string, number>;
  provenance: unknown[];
}
