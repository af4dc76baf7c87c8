// Validation metrics of one fold at one epoch: the training loss function on held-out rows, AUC,
// average precision, F1/F2 at the chosen threshold, and the threshold with the best F2.
import { averagePrecision, confusionCounts, fBeta, rocAuc, thresholdSweep } from '@slidepipe/metrics';
import { getLoss, type LossName, type LossParams } from '@slidepipe/models';

export interface ValidationMetrics {
  loss: number;
  auc: number;
  ap: number;
  /** F1 and F2 at `threshold`. */
  f1: number;
  f2: number;
  threshold: number;
  best_f2: number;
  best_f2_threshold: number;
}

/** A fixed probability, or the validation threshold with the best F2. */
export type ThresholdRule = number | 'best-f2';

export function evaluate(
  y: ArrayLike<number>,
  logit: Float32Array,
  prob: Float32Array,
  loss: LossName,
  lossParams: LossParams,
  rule: ThresholdRule,
): ValidationMetrics {
  const fn = getLoss(loss);
  let sum = 0;
  for (let i = 0; i < y.length; i++) sum += fn.reference(logit[i], y[i], lossParams).loss;
  const sweep = thresholdSweep(y, prob, { beta: 2 });
  // +Infinity (predict nothing) is the sweep's start; a model that wins with it gets threshold 1.
  const bestT = Number.isFinite(sweep.best.threshold) ? sweep.best.threshold : 1;
  const threshold = rule === 'best-f2' ? bestT : rule;
  const predicted = Uint8Array.from(prob, (p) => (p >= threshold ? 1 : 0));
  const counts = confusionCounts(y, predicted);
  return {
    loss: sum / Math.max(y.length, 1),
    auc: rocAuc(y, prob),
    ap: averagePrecision(y, prob),
    f1: fBeta(counts, 1),
    f2: fBeta(counts, 2),
    threshold,
    best_f2: sweep.best.fBeta,
    best_f2_threshold: bestT,
  };
}
