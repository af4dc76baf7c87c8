import { checkLabelsAndScores } from './errors';

/**
 * Area under the ROC curve as the Mann-Whitney statistic with midranks: the probability that a
 * random positive scores above a random negative, ties counting one half. Exact with ties
 * (ranks are half-integers, so the sums are exact in doubles). NaN when either class is absent,
 * since the curve is then undefined (scikit-learn raises instead).
 */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  checkLabelsAndScores('rocAuc', labels, scores);
  const n = labels.length;
  const order = sortedIndices(scores, 'ascending');
  let positives = 0;
  let positiveRankSum = 0;
  for (let start = 0; start < n;) {
    let end = start;
    while (end + 1 < n && scores[order[end + 1]] === scores[order[start]]) end++;
    // Ranks start..end (1-based start+1..end+1) share their mean.
    const midrank = (start + end + 2) / 2;
    for (let k = start; k <= end; k++) {
      if (labels[order[k]] === 1) {
        positives++;
        positiveRankSum += midrank;
      }
    }
    start = end + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return NaN;
  const u = positiveRankSum - (positives * (positives + 1)) / 2;
  return u / (positives * negatives);
}

/**
 * Average precision as scikit-learn defines it: sum over decreasing score thresholds of
 * (R_n - R_{n-1}) * P_n, with R_0 = 0 and equal scores forming one threshold (no
 * interpolation). NaN when there is no positive (recall is undefined).
 */
export function averagePrecision(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  checkLabelsAndScores('averagePrecision', labels, scores);
  const n = labels.length;
  let positives = 0;
  for (let i = 0; i < n; i++) positives += labels[i];
  if (positives === 0) return NaN;
  let previousRecall = 0;
  let ap = 0;
  for (const { tp, fp } of cumulativeByThreshold(labels, scores)) {
    const recall = tp / positives;
    ap += (recall - previousRecall) * (tp / (tp + fp));
    previousRecall = recall;
  }
  return ap;
}

/**
 * True and false positives when predicting positive at score >= t, for each distinct score t from
 * the highest down (equal scores form one threshold).
 */
export function* cumulativeByThreshold(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
): Generator<{ threshold: number; tp: number; fp: number }> {
  const n = labels.length;
  const order = sortedIndices(scores, 'descending');
  let tp = 0;
  let fp = 0;
  for (let start = 0; start < n;) {
    let end = start;
    while (end + 1 < n && scores[order[end + 1]] === scores[order[start]]) end++;
    for (let k = start; k <= end; k++) {
      if (labels[order[k]] === 1) tp++;
      else fp++;
    }
    yield { threshold: scores[order[start]], tp, fp };
    start = end + 1;
  }
}

export function sortedIndices(scores: ArrayLike<number>, direction: 'ascending' | 'descending'): Uint32Array {
  const order = new Uint32Array(scores.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  const sign = direction === 'ascending' ? 1 : -1;
  return order.sort((a, b) => sign * (scores[a] - scores[b]));
}
