import { describe, expect, it } from 'vitest';
import { hash32, label32, Rng } from './rng';

describe('rng', () => {
  it('is a pure function of its seed and position', () => {
    const a = Rng.of(7, 'nuclei', 3, 4);
    const b = Rng.of(7, 'nuclei', 3, 4);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(Rng.of(7, 'nuclei', 4, 3).next()).not.toBe(xs[0]);
    expect(Rng.of(8, 'nuclei', 3, 4).next()).not.toBe(xs[0]);
    expect(Rng.of(7, 'fibre', 3, 4).next()).not.toBe(xs[0]);
  });

  it('spreads neighbouring inputs', () => {
    const seen = new Set<number>();
    for (let x = 0; x < 100; x++) for (let y = 0; y < 100; y++) seen.add(hash32(1, x, y));
    expect(seen.size).toBe(10_000);
    expect(label32('a')).not.toBe(label32('b'));
  });

  it('has the distributions it claims', () => {
    const rng = new Rng(123);
    const n = 20_000;
    let u = 0;
    let z = 0;
    let z2 = 0;
    let p = 0;
    let ints = 0;
    for (let i = 0; i < n; i++) {
      u += rng.next();
      const g = rng.normal();
      z += g;
      z2 += g * g;
      p += rng.poisson(3.5);
      const k = rng.int(2, 4);
      if (k < 2 || k > 4) ints++;
    }
    expect(u / n).toBeCloseTo(0.5, 1);
    expect(z / n).toBeCloseTo(0, 1);
    expect(z2 / n).toBeCloseTo(1, 1);
    expect(p / n).toBeCloseTo(3.5, 1);
    expect(ints).toBe(0);
  });

  it('shuffles into a permutation', () => {
    const v = new Rng(5).shuffle([...Array(50).keys()]);
    expect([...v].sort((a, b) => a - b)).toEqual([...Array(50).keys()]);
    expect(v).not.toEqual([...Array(50).keys()]);
  });
});
