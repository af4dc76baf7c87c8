import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { describe, expect, it } from 'vitest';
import { MetricsError } from './errors';
import { averagePrecision, rocAuc } from './ranking';

/** P(score+ > score-) + P(tie)/2 over all positive-negative pairs. */
function bruteAuc(labels: number[], scores: number[]): number {
  let sum = 0;
  let pairs = 0;
  labels.forEach((yi, i) => {
    if (yi !== 1) return;
    labels.forEach((yj, j) => {
      if (yj !== 0) return;
      pairs++;
      sum += scores[i] > scores[j] ? 1 : scores[i] === scores[j] ? 0.5 : 0;
    });
  });
  return sum / pairs;
}

/** scikit-learn's AP by direct counting at every distinct threshold, highest first. */
function bruteAp(labels: number[], scores: number[]): number {
  const positives = labels.filter((y) => y === 1).length;
  const thresholds = [...new Set(scores)].sort((a, b) => b - a);
  let ap = 0;
  let previousRecall = 0;
  for (const t of thresholds) {
    const predicted = labels.map((y, i) => ({ y, on: scores[i] >= t })).filter((p) => p.on);
    const tp = predicted.filter((p) => p.y === 1).length;
    const recall = tp / positives;
    ap += (recall - previousRecall) * (tp / predicted.length);
    previousRecall = recall;
  }
  return ap;
}

describe('rocAuc and averagePrecision', () => {
  it('match the scikit-learn documentation example', () => {
    const y = [0, 0, 1, 1];
    const s = [0.1, 0.4, 0.35, 0.8];
    expect(rocAuc(y, s)).toBeCloseTo(0.75, 12);
    // Thresholds 0.8 (P 1, R .5), 0.4 (P .5, R .5), 0.35 (P 2/3, R 1): .5 * 1 + .5 * 2/3.
    expect(averagePrecision(y, s)).toBeCloseTo(0.8333333333, 9);
  });

  it('handle ties exactly', () => {
    // All tied: AUC 1/2, one threshold with P = 2/4 and R = 1.
    expect(rocAuc([1, 0, 1, 0], [0.5, 0.5, 0.5, 0.5])).toBe(0.5);
    expect(averagePrecision([1, 0, 1, 0], [0.5, 0.5, 0.5, 0.5])).toBe(0.5);
    // One positive tied with one negative at the top, the other positive below a negative:
    // pairs (p1 vs n1 tie .5, p1 > n2 1, p2 < n1 0, p2 > n2 1) -> 2.5 / 4.
    expect(rocAuc([1, 0, 1, 0], [0.9, 0.9, 0.5, 0.2])).toBe(0.625);
  });

  it('give 1 for a perfect ranking and 0 for a reversed one', () => {
    expect(rocAuc([0, 0, 1, 1], [1, 2, 3, 4])).toBe(1);
    expect(averagePrecision([0, 0, 1, 1], [1, 2, 3, 4])).toBe(1);
    expect(rocAuc([0, 0, 1, 1], [4, 3, 2, 1])).toBe(0);
  });

  it('agree with brute force on random data with many ties', () => {
    const rng = xoroshiro128plus(123);
    const next = (lo: number, hi: number): number => uniformInt(rng, lo, hi);
    for (let trial = 0; trial < 200; trial++) {
      const n = next(2, 60);
      const levels = next(1, 8); // few distinct scores -> many ties
      const labels = Array.from({ length: n }, () => next(0, 1));
      if (!labels.includes(1)) labels[0] = 1;
      if (!labels.includes(0)) labels[n - 1] = 0;
      const scores = Array.from({ length: n }, () => next(0, levels) / levels);
      expect(rocAuc(labels, scores)).toBeCloseTo(bruteAuc(labels, scores), 12);
      expect(averagePrecision(labels, Float32Array.from(scores))).toBeCloseTo(
        bruteAp(labels, Array.from(Float32Array.from(scores))),
        12,
      );
    }
  });

  it('are NaN when a class is missing', () => {
    expect(rocAuc([1, 1], [0.2, 0.3])).toBeNaN();
    expect(rocAuc([0, 0], [0.2, 0.3])).toBeNaN();
    expect(averagePrecision([0, 0], [0.2, 0.3])).toBeNaN();
    expect(averagePrecision([1, 1], [0.2, 0.3])).toBe(1);
  });

  it('reject malformed input', () => {
    expect(() => rocAuc([0, 1], [0.5])).toThrowError(
      /rocAuc: expected as many scores as labels, received 1 scores for 2 labels/,
    );
    expect(() => rocAuc([0, 2], [0.5, 0.1])).toThrowError(/expected labels 0 or 1, received 2 at index 1/);
    expect(() => averagePrecision([0, 1], [0.5, Number.NaN])).toThrowError(MetricsError);
  });
});
