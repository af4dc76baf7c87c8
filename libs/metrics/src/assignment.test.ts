import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { describe, expect, it } from 'vitest';
import { maxWeightAssignment } from './assignment';

/** Best total over every way to give each row of the smaller side a distinct column. */
function bruteBest(w: number[][]): number {
  const rows = w.length;
  const cols = w[0].length;
  const byRow = rows <= cols;
  const outer = byRow ? rows : cols;
  const inner = byRow ? cols : rows;
  const used = new Array<boolean>(inner).fill(false);
  const at = (i: number, j: number): number => (byRow ? w[i][j] : w[j][i]);
  const go = (i: number): number => {
    if (i === outer) return 0;
    let best = -Infinity;
    for (let j = 0; j < inner; j++) {
      if (used[j]) continue;
      used[j] = true;
      best = Math.max(best, at(i, j) + go(i + 1));
      used[j] = false;
    }
    return best;
  };
  return go(0);
}

describe('maxWeightAssignment', () => {
  it('solves a textbook case', () => {
    // Greedy would take 9 then 1 (total 10); the optimum is 8 + 7.
    const pairs = maxWeightAssignment([
      [9, 8],
      [7, 1],
    ]);
    expect(pairs).toEqual([
      [0, 1],
      [1, 0],
    ]);
  });

  it('matches brute force on random rectangular matrices', () => {
    const rng = xoroshiro128plus(77);
    const next = (lo: number, hi: number): number => uniformInt(rng, lo, hi);
    for (let trial = 0; trial < 150; trial++) {
      const rows = next(1, 6);
      const cols = next(1, 6);
      const w = Array.from({ length: rows }, () => Array.from({ length: cols }, () => next(0, 20) / 4));
      const pairs = maxWeightAssignment(w);
      expect(pairs).toHaveLength(Math.min(rows, cols));
      expect(new Set(pairs.map(([r]) => r)).size).toBe(pairs.length);
      expect(new Set(pairs.map(([, c]) => c)).size).toBe(pairs.length);
      const total = pairs.reduce((sum, [r, c]) => sum + w[r][c], 0);
      expect(total).toBeCloseTo(bruteBest(w), 9);
    }
  });

  it('returns nothing for an empty side', () => {
    expect(maxWeightAssignment([])).toEqual([]);
    expect(maxWeightAssignment([[], []])).toEqual([]);
  });
});
