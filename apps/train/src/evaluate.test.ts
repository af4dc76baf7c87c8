import { describe, expect, it } from 'vitest';
import { evaluate } from './evaluate';

const sig = (z: number) => 1 / (1 + Math.exp(-z));
const params = { posWeight: 1, alpha: 0.25, gamma: 2 };

describe('validation metrics', () => {
  it('perfect ranking: AUC and AP 1, F2 1 at the best-F2 threshold', () => {
    const y = [0, 0, 1, 0, 1];
    const logit = Float32Array.from([-2, -1, 1, -0.5, 2]);
    const m = evaluate(y, logit, logit.map(sig), 'bce', params, 'best-f2');
    expect(m.auc).toBe(1);
    expect(m.ap).toBe(1);
    expect(m.f2).toBe(1);
    expect(m.threshold).toBeCloseTo(sig(1), 6);
    expect(m.best_f2_threshold).toBe(m.threshold);
    // Mean BCE of the logits.
    const want = y.reduce((s, yi, i) => s + Math.log(1 + Math.exp(-logit[i])) + (1 - yi) * logit[i], 0) / 5;
    expect(m.loss).toBeCloseTo(want, 5);
  });

  it('a fixed threshold gives F1/F2 there, and still reports the best-F2 threshold', () => {
    const y = [0, 1, 1, 0];
    const logit = Float32Array.from([0.5, 1, -1, -2]);
    const m = evaluate(y, logit, logit.map(sig), 'focal', params, 0.5);
    // At 0.5: predicted [1, 1, 0, 0] -> tp 1, fp 1, fn 1.
    expect(m.f1).toBeCloseTo(0.5);
    expect(m.f2).toBeCloseTo(0.5);
    expect(m.threshold).toBe(0.5);
    expect(m.best_f2).toBeGreaterThan(m.f2);
    expect(m.auc).toBeCloseTo(0.75);
  });
});
