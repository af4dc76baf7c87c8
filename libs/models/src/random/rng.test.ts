import { describe, expect, it } from 'vitest';
import { createRng, fillDropoutMask, rngFromState, rngState, rngStreams, shuffleInPlace } from './rng';

const draws = (rng: { next(): number }, n: number) => Array.from({ length: n }, () => rng.next());

describe('rng', () => {
  it('is fixed by the seed, differs between neighbouring seeds, and resumes from a saved state', () => {
    expect(draws(createRng(1), 5)).toEqual(draws(createRng(1), 5));
    expect(draws(createRng(1), 5)).not.toEqual(draws(createRng(2), 5));
    const r = createRng(9);
    draws(r, 3);
    const saved = rngState(r);
    expect(draws(rngFromState(saved), 4)).toEqual(draws(r, 4));
    const [a, b] = rngStreams(9, 2);
    expect(draws(a, 5)).toEqual(draws(createRng(9), 5));
    expect(draws(b, 5)).not.toEqual(draws(createRng(9), 5));
    expect(() => createRng(-1)).toThrow(/seed/);
    expect(() => createRng(2 ** 32)).toThrow(/seed/);
  });

  it('shuffles into a permutation', () => {
    const a = Uint32Array.from({ length: 100 }, (_, i) => i);
    shuffleInPlace(createRng(3), a);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect([...a]).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('drops about p of a mask and scales the rest by 1/(1-p)', () => {
    const m = fillDropoutMask(createRng(4), new Float32Array(20000), 0.3);
    const dropped = m.filter((v) => v === 0).length / m.length;
    expect(Math.abs(dropped - 0.3)).toBeLessThan(0.015);
    expect(m.every((v) => v === 0 || v === Math.fround(1 / 0.7))).toBe(true);
    expect(fillDropoutMask(createRng(4), new Float32Array(10), 0).every((v) => v === 1)).toBe(true);
    expect(() => fillDropoutMask(createRng(4), new Float32Array(1), 1)).toThrow(/dropout/);
  });
});
