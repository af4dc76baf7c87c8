import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { describe, expect, it } from 'vitest';
import { type GroupInfo, assignGroupFolds, foldBalance, splitGroups } from './folds';

/** A DigiLut-like cohort: 30 patients with lesions (1-9 boxes), 60 without. */
function cohort(): GroupInfo[] {
  const rng = xoroshiro128plus(1);
  const groups: GroupInfo[] = [];
  for (let i = 0; i < 90; i++) {
    const positive = i % 3 === 0;
    groups.push({
      groupId: `patient-${String(i).padStart(3, '0')}`,
      stratum: positive,
      weight: positive ? uniformInt(rng, 1, 9) : 0,
    });
  }
  return groups;
}

/** The partition as sets of ids, independent of fold numbering. */
function partition(foldOf: ReadonlyMap<string, number>): string[] {
  const byFold = new Map<number, string[]>();
  for (const [id, f] of foldOf) byFold.set(f, [...(byFold.get(f) ?? []), id]);
  return [...byFold.values()].map((ids) => ids.sort().join(',')).sort();
}

describe('assignGroupFolds', () => {
  const groups = cohort();

  it('puts every group in exactly one fold', () => {
    const { foldOf } = assignGroupFolds(groups, { folds: 5, seed: 7 });
    expect(foldOf.size).toBe(groups.length);
    for (const g of groups)
      expect(foldOf.get(g.groupId)).toSatisfy((f: number) => Number.isInteger(f) && f >= 0 && f < 5);
    expect(new Set(foldOf.values()).size).toBe(5);
  });

  it('is deterministic per seed and ignores input order', () => {
    const a = assignGroupFolds(groups, { folds: 5, seed: 7 }).foldOf;
    const b = assignGroupFolds(groups, { folds: 5, seed: 7 }).foldOf;
    const reversed = assignGroupFolds([...groups].reverse(), { folds: 5, seed: 7 }).foldOf;
    expect([...b]).toEqual([...a]);
    expect(new Map(reversed)).toEqual(new Map(a));
  });

  it('gives different partitions for different seeds', () => {
    const partitions = [1, 2, 3].map((seed) => partition(assignGroupFolds(groups, { folds: 5, seed }).foldOf));
    expect(partitions[0]).not.toEqual(partitions[1]);
    expect(partitions[1]).not.toEqual(partitions[2]);
  });

  it('balances strata counts exactly and weights closely', () => {
    for (const seed of [1, 2, 3, 4]) {
      const { balance } = assignGroupFolds(groups, { folds: 5, seed });
      // 30 positives and 60 negatives over 5 folds: 6 and 12 in each.
      for (const fold of balance.folds) {
        expect(fold.strata['true'].groups).toBe(6);
        expect(fold.strata['false'].groups).toBe(12);
      }
      expect(balance.maxStratumGroupSpread).toBe(0);
      expect(balance.groupSpread).toBe(0);
      // Boxes (153 in all, about 30 per fold): within 1 of each other.
      expect(balance.maxStratumWeightSpread).toBeLessThanOrEqual(1);
    }
  });

  it('keeps the best of its restarts on a skewed cohort', () => {
    // 20 patients with lesions, one with 34 boxes, 126 boxes in all, 4 per fold. The fold with
    // the 34 also holds 3 others (>= 1 each): >= 37; the other folds share <= 89, so the
    // lightest has <= 22: no assignment has a spread below 15.
    const boxes = [1, 1, 2, 3, 5, 8, 13, 21, 34, 2, 2, 1, 4, 6, 9, 3, 1, 1, 2, 7];
    const skewed: GroupInfo[] = boxes.flatMap((weight, i) => [
      { groupId: `pos-${i}`, stratum: 'lesion', weight },
      { groupId: `neg-${i}`, stratum: 'none', weight: 0 },
    ]);
    // The first restart of a 64-restart run is the single run of the same seed.
    const single = assignGroupFolds(skewed, { folds: 5, seed: 1, restarts: 1 }).balance;
    const many = assignGroupFolds(skewed, { folds: 5, seed: 1 }).balance;
    expect(many.maxStratumWeightSpread).toBeLessThan(single.maxStratumWeightSpread);
    expect(many.maxStratumWeightSpread).toBeGreaterThanOrEqual(15);
    expect(many.maxStratumWeightSpread).toBeLessThanOrEqual(18);
    expect(many.maxStratumGroupSpread).toBe(0);
  });

  it('keeps stratum counts within one when they do not divide evenly', () => {
    const odd = groups.slice(0, 47); // 16 positives, 31 negatives
    const { balance } = assignGroupFolds(odd, { folds: 5, seed: 3 });
    expect(balance.maxStratumGroupSpread).toBe(1);
    expect(balance.groupSpread).toBeLessThanOrEqual(1);
    expect(balance.folds.reduce((n, f) => n + f.groups, 0)).toBe(47);
  });

  it('rejects bad input with clear messages', () => {
    expect(() => assignGroupFolds(groups, { folds: 1, seed: 1 })).toThrowError(
      /expected an integer number of folds in \[2, 90\] \(the number of groups\), received 1/,
    );
    expect(() => assignGroupFolds(groups, { folds: 5, seed: -1 })).toThrowError(
      /expected an integer seed in \[0, 4294967295\], received -1/,
    );
    expect(() => assignGroupFolds([...groups, groups[0]], { folds: 5, seed: 1 })).toThrowError(
      /received "patient-000" twice/,
    );
    expect(() =>
      assignGroupFolds(
        [
          { groupId: 'a', stratum: 1, weight: -2 },
          { groupId: 'b', stratum: 1 },
        ],
        { folds: 2, seed: 1 },
      ),
    ).toThrowError(/expected a finite weight >= 0 for group "a", received -2/);
    expect(() => foldBalance(groups, new Map(), 5)).toThrowError(
      /expected a fold in \[0, 5\) for group "patient-000", received undefined/,
    );
  });
});

describe('splitGroups', () => {
  const groups = cohort();

  it('splits by stratum without sharing groups, deterministically per seed', () => {
    const split = splitGroups(groups, { testFraction: 0.2, seed: 5 });
    expect(split.balance.test.strata['true'].groups).toBe(6);
    expect(split.balance.test.strata['false'].groups).toBe(12);
    expect(split.train.size + split.test.size).toBe(groups.length);
    for (const id of split.test) expect(split.train.has(id)).toBe(false);
    expect([...splitGroups(groups, { testFraction: 0.2, seed: 5 }).test]).toEqual([...split.test]);
    expect([...splitGroups(groups, { testFraction: 0.2, seed: 6 }).test].sort()).not.toEqual([...split.test].sort());
    // Test boxes near 20 % of all boxes.
    const boxes = groups.reduce((sum, g) => sum + (g.weight ?? 0), 0);
    expect(Math.abs(split.balance.test.weight - 0.2 * boxes)).toBeLessThanOrEqual(1);
  });

  it('keeps both sides of every stratum with at least two groups', () => {
    const tiny: GroupInfo[] = [
      { groupId: 'a', stratum: 'pos', weight: 3 },
      { groupId: 'b', stratum: 'pos', weight: 1 },
      { groupId: 'c', stratum: 'neg' },
      { groupId: 'd', stratum: 'neg' },
      { groupId: 'e', stratum: 'neg' },
    ];
    const split = splitGroups(tiny, { testFraction: 0.1, seed: 1 });
    expect(split.balance.test.strata['pos'].groups).toBe(1);
    expect(split.balance.test.strata['neg'].groups).toBe(1);
    expect(() => splitGroups(tiny, { testFraction: 1, seed: 1 })).toThrowError(
      /expected a testFraction in \(0, 1\), received 1/,
    );
  });
});
