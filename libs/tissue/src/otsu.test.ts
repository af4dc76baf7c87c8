import { describe, expect, it } from 'vitest';
import { histogram256, otsuThreshold } from './otsu';
import { mulberry32 as rng } from '@slidepipe/testing';

/** Between-class variance of every split computed from the raw values, first maximum kept. */
function bruteForceOtsu(values: number[]): number {
  let best = 0;
  let bestSigma = 0;
  for (let t = 0; t < 255; t++) {
    const lo = values.filter((v) => v <= t);
    const hi = values.filter((v) => v > t);
    if (lo.length === 0 || hi.length === 0) continue;
    const mean = (a: number[]): number => a.reduce((s, v) => s + v, 0) / a.length;
    const w0 = lo.length / values.length;
    const w1 = hi.length / values.length;
    const sigma = w0 * w1 * (mean(lo) - mean(hi)) ** 2;
    if (sigma > bestSigma * (1 + 1e-12)) {
      bestSigma = sigma;
      best = t;
    }
  }
  return best;
}

describe('otsuThreshold', () => {
  it('agrees with brute force on bimodal data and falls between the modes', () => {
    const next = rng(3);
    const gauss = (mu: number, sd: number): number => {
      const u = 1 - next();
      const v = next();
      return mu + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    };
    for (const [m1, m2, n1, n2] of [
      [40, 170, 3000, 1000],
      [90, 140, 500, 2500],
    ]) {
      const values: number[] = [];
      for (let i = 0; i < n1; i++) values.push(gauss(m1, 15));
      for (let i = 0; i < n2; i++) values.push(gauss(m2, 20));
      // One of every value, so no two splits tie exactly.
      for (let v = 0; v < 256; v++) values.push(v);
      const bytes = Uint8Array.from(values.map((v) => Math.min(255, Math.max(0, Math.round(v)))));
      const t = otsuThreshold(histogram256(bytes));
      expect(t).toBe(bruteForceOtsu(Array.from(bytes)));
      expect(t).toBeGreaterThan(m1);
      expect(t).toBeLessThan(m2);
    }
  });

  it('puts a threshold in a gap at its lower edge (OpenCV: first maximum)', () => {
    const h = new Float64Array(256);
    h[50] = 10;
    h[200] = 30;
    expect(otsuThreshold(h)).toBe(50);
  });

  it('gives 0 for an empty or single-valued histogram', () => {
    expect(otsuThreshold(new Float64Array(256))).toBe(0);
    const h = new Float64Array(256);
    h[128] = 99;
    expect(otsuThreshold(h)).toBe(0);
  });

  it('rejects a histogram that is not 256 bins of counts', () => {
    expect(() => otsuThreshold(new Float64Array(255))).toThrow(/256-bin/);
    const h = new Float64Array(256);
    h[3] = -1;
    expect(() => otsuThreshold(h)).toThrow(/bin 3/);
  });
});
