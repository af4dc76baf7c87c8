import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { describe, expect, it } from 'vitest';
import { confusionCounts, fBeta, precision, recall, thresholdSweep } from './classification';

describe('counts, precision, recall, F-beta', () => {
  it('compute F-beta from counts (hand-computed)', () => {
    // P = 3/4, R = 3/5. F1 = 2PR/(P+R) = 2/3. F2 = 5PR/(4P+R) = 2.25/3.6 = 0.625.
    const c = { tp: 3, fp: 1, fn: 2 };
    expect(precision(c)).toBe(0.75);
    expect(recall(c)).toBe(0.6);
    expect(fBeta(c)).toBeCloseTo(2 / 3, 12);
    expect(fBeta(c, 2)).toBeCloseTo(0.625, 12);
    expect(fBeta(c, 0.5)).toBeCloseTo((1.25 * 0.75 * 0.6) / (0.25 * 0.75 + 0.6), 12);
  });

  it('follow the empty-denominator convention', () => {
    expect(fBeta({ tp: 0, fp: 0, fn: 0 }, 2)).toBe(1);
    expect(fBeta({ tp: 0, fp: 3, fn: 0 }, 2)).toBe(0);
    expect(fBeta({ tp: 0, fp: 0, fn: 2 }, 2)).toBe(0);
    expect(precision({ tp: 0, fp: 0 })).toBe(1);
    expect(recall({ tp: 0, fn: 0 })).toBe(1);
    expect(() => fBeta({ tp: 1, fp: 0, fn: 0 }, 0)).toThrowError(/fBeta: expected beta > 0, received 0/);
    expect(() => fBeta({ tp: 1, fp: 0, fn: 0 }, Number.NaN)).toThrowError(
      expect.objectContaining({ name: 'MetricsError', reason: 'INVALID_OPTION', code: 'usage', exitCode: 64 }),
    );
  });

  it('counts a confusion matrix', () => {
    expect(confusionCounts([1, 1, 0, 0, 1], [1, 0, 1, 0, 1])).toEqual({ tp: 2, fp: 1, fn: 1, tn: 1 });
    expect(() => confusionCounts([1], [0.5])).toThrowError(
      /expected 0 or 1, received label 1, prediction 0.5 at index 0/,
    );
  });
});

describe('thresholdSweep', () => {
  it('finds the best F1 threshold (hand case)', () => {
    // Scores high to low: .9(1) .8(0) .7(1) .6(1) .2(0). At t=.6: tp 3, fp 1, fn 0 -> F1 6/7.
    const sweep = thresholdSweep([1, 0, 1, 1, 0], [0.9, 0.8, 0.7, 0.6, 0.2]);
    expect(sweep.best.threshold).toBe(0.6);
    expect(sweep.best.fBeta).toBeCloseTo(6 / 7, 12);
    expect(sweep.best).toMatchObject({ tp: 3, fp: 1, fn: 0, tn: 1 });
    expect(sweep.points.map((p) => p.threshold)).toEqual([Infinity, 0.9, 0.8, 0.7, 0.6, 0.2]);
  });

  it('agrees with brute force and prefers the higher threshold on ties', () => {
    const rng = xoroshiro128plus(5);
    const next = (lo: number, hi: number): number => uniformInt(rng, lo, hi);
    for (let trial = 0; trial < 100; trial++) {
      const n = next(1, 40);
      const labels = Array.from({ length: n }, () => next(0, 1));
      const scores = Array.from({ length: n }, () => next(0, 6) / 6);
      const beta = [0.5, 1, 2][trial % 3];
      const candidates = [Infinity, ...[...new Set(scores)].sort((a, b) => b - a)];
      let bestT = Infinity;
      let bestF = -1;
      for (const t of candidates) {
        const c = confusionCounts(
          labels,
          scores.map((s) => (s >= t ? 1 : 0)),
        );
        const f = fBeta(c, beta);
        if (f > bestF) {
          bestF = f;
          bestT = t;
        }
      }
      const sweep = thresholdSweep(labels, scores, { beta });
      expect(sweep.best.threshold).toBe(bestT);
      expect(sweep.best.fBeta).toBeCloseTo(bestF, 12);
    }
  });

  it('predicts nothing when there is nothing to find', () => {
    const sweep = thresholdSweep([0, 0, 0], [0.1, 0.5, 0.9], { beta: 2 });
    expect(sweep.best.threshold).toBe(Infinity);
    expect(sweep.best.fBeta).toBe(1);
  });
});
