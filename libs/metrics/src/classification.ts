import { MetricsError, checkBeta, checkLabelsAndScores } from './errors';
import { cumulativeByThreshold } from './ranking';

export interface ConfusionCounts {
  readonly tp: number;
  readonly fp: number;
  readonly fn: number;
  readonly tn: number;
}

/**
 * Empty-denominator convention, used by precision, recall and fBeta alike: a ratio with nothing
 * to count means nothing went wrong on that side, so it is 1. No positive prediction ->
 * precision 1; no positive label -> recall 1; nothing to find and nothing claimed -> F 1. A
 * miss or a false alarm still drives F to 0. (scikit-learn's default zero_division gives 0.)
 */
export function precision(counts: Pick<ConfusionCounts, 'tp' | 'fp'>): number {
  const claimed = counts.tp + counts.fp;
  return claimed === 0 ? 1 : counts.tp / claimed;
}

/** See precision for the empty-denominator convention. */
export function recall(counts: Pick<ConfusionCounts, 'tp' | 'fn'>): number {
  const actual = counts.tp + counts.fn;
  return actual === 0 ? 1 : counts.tp / actual;
}

/**
 * F-beta = (1 + β²) TP / ((1 + β²) TP + β² FN + FP): beta > 1 weighs recall more (DigiLut uses
 * F2). Written on counts so it never divides by zero except when TP = FP = FN = 0, which is 1 by
 * the convention above; no truth with predictions, or truth without predictions, gives 0.
 */
export function fBeta(counts: Pick<ConfusionCounts, 'tp' | 'fp' | 'fn'>, beta = 1): number {
  checkBeta('fBeta', beta);
  const b2 = beta * beta;
  const { tp, fp, fn } = counts;
  if (tp + fp + fn === 0) return 1;
  return ((1 + b2) * tp) / ((1 + b2) * tp + b2 * fn + fp);
}

/** Counts from 0/1 labels and 0/1 predictions. */
export function confusionCounts(labels: ArrayLike<number>, predictions: ArrayLike<number>): ConfusionCounts {
  if (labels.length !== predictions.length) {
    throw new MetricsError(
      'INVALID_SCORES',
      `confusionCounts: expected as many predictions as labels, received ${predictions.length} for ${labels.length}`,
    );
  }
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    const p = predictions[i];
    if ((y !== 0 && y !== 1) || (p !== 0 && p !== 1)) {
      throw new MetricsError(
        'INVALID_LABELS',
        `confusionCounts: expected 0 or 1, received label ${y}, prediction ${p} at index ${i}`,
      );
    }
    if (y === 1) {
      if (p === 1) tp++;
      else fn++;
    } else if (p === 1) fp++;
    else tn++;
  }
  return { tp, fp, fn, tn };
}

export interface ThresholdPoint extends ConfusionCounts {
  /** Predict positive when score >= threshold; +Infinity predicts nothing. */
  readonly threshold: number;
  readonly precision: number;
  readonly recall: number;
  readonly fBeta: number;
}

export interface ThresholdSweep {
  /** Highest F-beta; among equals the highest threshold (fewest positive predictions). */
  readonly best: ThresholdPoint;
  /** Every distinct score as a threshold, from +Infinity (nothing predicted) downwards. */
  readonly points: readonly ThresholdPoint[];
}

/** Evaluates "score >= t" at every distinct score and returns the threshold with the best F-beta. */
export function thresholdSweep(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  options: { beta?: number } = {},
): ThresholdSweep {
  const beta = options.beta ?? 1;
  checkLabelsAndScores('thresholdSweep', labels, scores);
  checkBeta('thresholdSweep', beta);
  const n = labels.length;
  let positives = 0;
  for (let i = 0; i < n; i++) positives += labels[i];
  const negatives = n - positives;

  const point = (threshold: number, tp: number, fp: number): ThresholdPoint => {
    const counts = { tp, fp, fn: positives - tp, tn: negatives - fp };
    return { threshold, ...counts, precision: precision(counts), recall: recall(counts), fBeta: fBeta(counts, beta) };
  };
  const points = [point(Infinity, 0, 0)];
  for (const { threshold, tp, fp } of cumulativeByThreshold(labels, scores)) points.push(point(threshold, tp, fp));
  let best = points[0];
  for (const p of points) if (p.fBeta > best.fBeta) best = p;
  return { best, points };
}
