import { SlidepipeError } from '@slidepipe/core';

/** Errors of this library: a bad option (beta, folds, seed, threshold) is a usage error, anything else bad input. */
export type MetricsErrorReason =
  'INVALID_LABELS' | 'INVALID_SCORES' | 'INVALID_OPTION' | 'INVALID_GROUPS' | 'INVALID_BOXES';

export class MetricsError extends SlidepipeError {
  override name = 'MetricsError';
  declare readonly reason: MetricsErrorReason;
  constructor(reason: MetricsErrorReason, message: string) {
    super(reason === 'INVALID_OPTION' ? 'usage' : 'bad-input', message, undefined, { reason });
  }
}

/** Checks 0/1 labels and finite scores of the same length; shared by the ranking and threshold metrics. */
export function checkLabelsAndScores(what: string, labels: ArrayLike<number>, scores: ArrayLike<number>): void {
  if (labels.length !== scores.length) {
    throw new MetricsError(
      'INVALID_SCORES',
      `${what}: expected as many scores as labels, received ${scores.length} scores for ${labels.length} labels`,
    );
  }
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== 0 && labels[i] !== 1) {
      throw new MetricsError('INVALID_LABELS', `${what}: expected labels 0 or 1, received ${labels[i]} at index ${i}`);
    }
    if (!Number.isFinite(scores[i])) {
      throw new MetricsError('INVALID_SCORES', `${what}: expected finite scores, received ${scores[i]} at index ${i}`);
    }
  }
}

export function checkBeta(what: string, beta: number): void {
  if (!(beta > 0) || !Number.isFinite(beta)) {
    throw new MetricsError('INVALID_OPTION', `${what}: expected beta > 0, received ${beta}`);
  }
}
