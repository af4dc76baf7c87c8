import { describe, expect, it } from 'vitest';
import { AGGREGATORS } from './aggregate';

const sig = (z: number) => 1 / (1 + Math.exp(-z));
const logits = [Float32Array.from([0, 2, -4]), Float32Array.from([2, 2, 0]), Float32Array.from([-2, 2, -4])];
const o = { logits, probs: logits.map((z) => z.map(sig)), thresholds: [0.5, 0.9, 0.1] };
const close = (a: Float32Array, b: number[]) => a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 6));

describe('aggregates', () => {
  it('mean-prob averages probabilities, mean-logit averages logits', () => {
    close(
      AGGREGATORS['mean-prob'].score(o, 3),
      [0, 1, 2].map((i) => (sig(logits[0][i]) + sig(logits[1][i]) + sig(logits[2][i])) / 3),
    );
    close(AGGREGATORS['mean-logit'].score(o, 3), [sig(0), sig(2), sig(-8 / 3)]);
    expect(AGGREGATORS['mean-prob'].threshold([0.2, 0.4])).toBeCloseTo(0.3);
    expect(AGGREGATORS['mean-logit'].threshold([sig(1), sig(3)])).toBeCloseTo(sig(2), 5);
  });
  it('max takes the highest fold; vote counts folds at or above their own threshold', () => {
    close(AGGREGATORS.max.score(o, 3), [sig(2), sig(2), sig(0)]);
    // Row 0: fold 0 p=0.5>=0.5 yes, fold 1 p=0.88<0.9 no, fold 2 p=0.12>=0.1 yes.
    close(AGGREGATORS.vote.score(o, 3), [2 / 3, 2 / 3, 0]);
    expect(AGGREGATORS.vote.threshold([0.1, 0.9])).toBe(0.5);
  });
});
