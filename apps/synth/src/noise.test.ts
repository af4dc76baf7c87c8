import { describe, expect, it } from 'vitest';
import { PeriodicNoise, pow2 } from './noise';
import { Rng } from './rng';

describe('PeriodicNoise', () => {
  const noise = new PeriodicNoise(new Rng(1), { periodPx: 128, cellPx: 32, octaves: 3, persistence: 0.5 });

  it('has zero mean and a maximum magnitude of 1', () => {
    let mean = 0;
    let max = 0;
    for (const v of noise.data) {
      mean += v;
      max = Math.max(max, Math.abs(v));
    }
    expect(Math.abs(mean / noise.data.length)).toBeLessThan(1e-4);
    expect(max).toBeCloseTo(1, 5);
  });

  it('repeats with its period and is smooth between neighbours', () => {
    expect(noise.at(5, 9)).toBe(noise.at(5 + 128, 9 - 256));
    let jump = 0;
    for (let x = 0; x < 127; x++) jump = Math.max(jump, Math.abs(noise.at(x + 1, 40) - noise.at(x, 40)));
    // Three octaves down to 8 px cells: neighbouring pixels differ by a small step only.
    expect(jump).toBeLessThan(0.3);
  });

  it('puts the requested share of values below its quantile', () => {
    const t = noise.quantile(0.2);
    const below = noise.data.filter((v) => v <= t).length / noise.data.length;
    expect(below).toBeGreaterThan(0.19);
    expect(below).toBeLessThan(0.22);
  });

  it('rejects sizes that are not powers of two', () => {
    expect(() => new PeriodicNoise(new Rng(1), { periodPx: 100, cellPx: 10, octaves: 1, persistence: 0.5 })).toThrow(
      /powers of two/,
    );
  });

  it('rounds lengths to powers of two within bounds', () => {
    expect(pow2(90)).toBe(64);
    expect(pow2(100)).toBe(128);
    expect(pow2(3, 8, 64)).toBe(8);
    expect(pow2(1e6, 8, 64)).toBe(64);
  });
});
