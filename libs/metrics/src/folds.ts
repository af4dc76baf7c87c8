import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';
import { MetricsError } from './errors';

/** A unit that must stay on one side of every split: in DigiLut a patient (two slides). */
export interface GroupInfo {
  readonly groupId: string;
  /** The class to balance across folds, e.g. whether the patient has lesions. */
  readonly stratum: string | number | boolean;
  /** What else to balance within a stratum, e.g. the number of boxes; default 1. */
  readonly weight?: number;
}

export interface StratumTally {
  readonly groups: number;
  readonly weight: number;
}

export interface PartTally extends StratumTally {
  /** Keyed by String(stratum). */
  readonly strata: Readonly<Record<string, StratumTally>>;
}

export interface FoldBalance {
  readonly folds: readonly (PartTally & { readonly fold: number })[];
  /** Largest (max - min) over folds of a stratum's group count; the algorithm keeps it <= 1. */
  readonly maxStratumGroupSpread: number;
  /** Largest (max - min) over folds of a stratum's total weight. */
  readonly maxStratumWeightSpread: number;
  /** max - min over folds of the number of groups, all strata together. */
  readonly groupSpread: number;
}

export interface FoldAssignment {
  /** groupId -> fold in [0, folds). */
  readonly foldOf: ReadonlyMap<string, number>;
  readonly balance: FoldBalance;
}

/**
 * Stratified K-fold over groups, deterministic for a seed and independent of the input order.
 * Within each stratum every fold gets floor or ceil of n/K groups (a hard guarantee). Groups
 * are dealt in a seeded random order, each to the lightest of the folds with the fewest groups
 * of its stratum (fold totals and a random fold order break ties), then swaps between the
 * heaviest and lightest folds even out the weights. This runs `restarts` times (default 64)
 * and the most balanced run is kept, so different seeds give different partitions.
 */
export function assignGroupFolds(
  groups: readonly GroupInfo[],
  options: { folds: number; seed: number; restarts?: number },
): FoldAssignment {
  const { folds: k, seed } = options;
  const restarts = options.restarts ?? 64;
  const byStratum = prepareGroups('assignGroupFolds', groups);
  if (!Number.isInteger(k) || k < 2 || k > groups.length) {
    throw new MetricsError(
      'INVALID_OPTION',
      `assignGroupFolds: expected an integer number of folds in [2, ${groups.length}] (the number of groups), received ${k}`,
    );
  }
  checkRestarts('assignGroupFolds', restarts);
  const rng = seededRng('assignGroupFolds', seed);

  let best: { foldOf: Map<string, number>; balance: FoldBalance; score: number[] } | null = null;
  for (let run = 0; run < restarts; run++) {
    const foldOf = greedyFolds(byStratum, k, rng);
    const balance = foldBalance(groups, foldOf, k);
    // Fold sizes within one of each other first, then even weights, then even sizes.
    const score = [Math.max(0, balance.groupSpread - 1), sumWeightSpreads(balance), balance.groupSpread];
    if (!best || lexLess(score, best.score)) best = { foldOf, balance, score };
  }
  // restarts >= 1, so best is set.
  const { foldOf, balance } = best as NonNullable<typeof best>;
  return { foldOf, balance };
}

function greedyFolds(byStratum: Map<string, NormalizedGroup[]>, k: number, rng: RandomGenerator): Map<string, number> {
  const foldRank = shuffle(
    Array.from({ length: k }, (_, f) => f),
    rng,
  );
  const totals = new Array<number>(k).fill(0);
  const foldOf = new Map<string, number>();
  for (const members of byStratum.values()) {
    const inFold: NormalizedGroup[][] = Array.from({ length: k }, () => []);
    const weights = new Array<number>(k).fill(0);
    for (const group of shuffle([...members], rng)) {
      let chosen = -1;
      const key = (f: number): number[] => [inFold[f].length, weights[f], totals[f], foldRank[f]];
      for (let f = 0; f < k; f++) if (chosen < 0 || lexLess(key(f), key(chosen))) chosen = f;
      inFold[chosen].push(group);
      weights[chosen] += group.weight;
      totals[chosen]++;
    }
    evenWeightsBySwaps(inFold, weights, foldRank);
    inFold.forEach((list, f) => list.forEach((g) => foldOf.set(g.groupId, f)));
  }
  return foldOf;
}

/**
 * Online greedy leaves the heaviest and lightest folds a few units apart; swapping one group of
 * each (same stratum, so counts stay put) with a weight difference d, 0 < d < gap, narrows the
 * gap. Each swap lowers the sum of squared fold weights, so the loop ends; the cap is a guard.
 */
function evenWeightsBySwaps(inFold: NormalizedGroup[][], weights: number[], foldRank: readonly number[]): void {
  const k = inFold.length;
  for (let iteration = 0; iteration < 10_000; iteration++) {
    let hi = 0;
    let lo = 0;
    for (let f = 1; f < k; f++) {
      if (weights[f] > weights[hi] || (weights[f] === weights[hi] && foldRank[f] < foldRank[hi])) hi = f;
      if (weights[f] < weights[lo] || (weights[f] === weights[lo] && foldRank[f] < foldRank[lo])) lo = f;
    }
    const gap = weights[hi] - weights[lo];
    let best: { a: number; b: number; miss: number } | null = null;
    inFold[hi].forEach((ga, a) => {
      inFold[lo].forEach((gb, b) => {
        const d = ga.weight - gb.weight;
        if (!(d > 0 && d < gap)) return;
        const miss = Math.abs(gap - 2 * d);
        if (!best || miss < best.miss) best = { a, b, miss };
      });
    });
    if (!best) return;
    const { a, b } = best;
    const moving = inFold[hi][a];
    inFold[hi][a] = inFold[lo][b];
    inFold[lo][b] = moving;
    const d = moving.weight - inFold[hi][a].weight;
    weights[hi] -= d;
    weights[lo] += d;
  }
}

/** Counts and weights per fold and stratum for any assignment (also for reporting a loaded one). */
export function foldBalance(
  groups: readonly GroupInfo[],
  foldOf: ReadonlyMap<string, number>,
  folds: number,
): FoldBalance {
  const parts = Array.from({ length: folds }, () => newTally());
  const strata = new Set<string>();
  for (const g of groups) {
    const fold = foldOf.get(g.groupId);
    if (fold === undefined || !(fold >= 0 && fold < folds)) {
      throw new MetricsError(
        'INVALID_GROUPS',
        `foldBalance: expected a fold in [0, ${folds}) for group ${JSON.stringify(g.groupId)}, received ${fold}`,
      );
    }
    strata.add(String(g.stratum));
    addToTally(parts[fold], g);
  }
  const spread = (values: number[]): number => Math.max(...values) - Math.min(...values);
  let maxStratumGroupSpread = 0;
  let maxStratumWeightSpread = 0;
  for (const s of strata) {
    maxStratumGroupSpread = Math.max(maxStratumGroupSpread, spread(parts.map((p) => p.strata[s]?.groups ?? 0)));
    maxStratumWeightSpread = Math.max(maxStratumWeightSpread, spread(parts.map((p) => p.strata[s]?.weight ?? 0)));
  }
  return {
    folds: parts.map((p, fold) => ({ fold, ...p })),
    maxStratumGroupSpread,
    maxStratumWeightSpread,
    groupSpread: spread(parts.map((p) => p.groups)),
  };
}

export interface GroupSplit {
  readonly train: ReadonlySet<string>;
  readonly test: ReadonlySet<string>;
  readonly balance: { readonly train: PartTally; readonly test: PartTally };
}

/**
 * Grouped, stratified train/test split: in each stratum of n groups, round(n * testFraction)
 * go to test, but at least one and at most n - 1 when n >= 2 and 0 < testFraction < 1, so both
 * sides see every stratum that can be split. Among `restarts` seeded shuffles (default 64) the
 * one whose test weight is closest to testFraction of each stratum's weight is kept.
 */
export function splitGroups(
  groups: readonly GroupInfo[],
  options: { testFraction: number; seed: number; restarts?: number },
): GroupSplit {
  const { testFraction: f, seed } = options;
  const restarts = options.restarts ?? 64;
  const byStratum = prepareGroups('splitGroups', groups);
  if (!(f > 0 && f < 1)) {
    throw new MetricsError('INVALID_OPTION', `splitGroups: expected a testFraction in (0, 1), received ${f}`);
  }
  checkRestarts('splitGroups', restarts);
  const rng = seededRng('splitGroups', seed);

  let best: { test: Set<string>; score: number } | null = null;
  for (let run = 0; run < restarts; run++) {
    const test = new Set<string>();
    let score = 0;
    for (const members of byStratum.values()) {
      const n = members.length;
      let nTest = Math.round(n * f);
      if (n >= 2) nTest = Math.min(n - 1, Math.max(1, nTest));
      const chosen = shuffle([...members], rng).slice(0, nTest);
      for (const g of chosen) test.add(g.groupId);
      const total = members.reduce((sum, g) => sum + g.weight, 0);
      score += Math.abs(chosen.reduce((sum, g) => sum + g.weight, 0) - f * total);
    }
    if (!best || score < best.score) best = { test, score };
  }
  const test = (best as NonNullable<typeof best>).test;
  const train = new Set(groups.map((g) => g.groupId).filter((id) => !test.has(id)));
  const trainTally = newTally();
  const testTally = newTally();
  for (const g of groups) addToTally(test.has(g.groupId) ? testTally : trainTally, g);
  return { train, test, balance: { train: trainTally, test: testTally } };
}

interface NormalizedGroup {
  readonly groupId: string;
  readonly weight: number;
}

/** Validates and buckets groups by stratum, each bucket sorted by id so input order does not matter. */
function prepareGroups(what: string, groups: readonly GroupInfo[]): Map<string, NormalizedGroup[]> {
  const seen = new Set<string>();
  const byStratum = new Map<string, NormalizedGroup[]>();
  for (const g of groups) {
    if (typeof g.groupId !== 'string' || g.groupId === '') {
      throw new MetricsError(
        'INVALID_GROUPS',
        `${what}: expected a non-empty string groupId, received ${JSON.stringify(g.groupId)}`,
      );
    }
    if (seen.has(g.groupId)) {
      throw new MetricsError(
        'INVALID_GROUPS',
        `${what}: expected each group once, received ${JSON.stringify(g.groupId)} twice`,
      );
    }
    seen.add(g.groupId);
    const weight = g.weight ?? 1;
    if (!Number.isFinite(weight) || weight < 0) {
      throw new MetricsError(
        'INVALID_GROUPS',
        `${what}: expected a finite weight >= 0 for group ${JSON.stringify(g.groupId)}, received ${weight}`,
      );
    }
    const key = String(g.stratum);
    let bucket = byStratum.get(key);
    if (!bucket) byStratum.set(key, (bucket = []));
    bucket.push({ groupId: g.groupId, weight });
  }
  const sorted = new Map([...byStratum.entries()].sort(([a], [b]) => compareStrings(a, b)));
  for (const members of sorted.values()) members.sort((a, b) => compareStrings(a.groupId, b.groupId));
  return sorted;
}

function seededRng(what: string, seed: number): RandomGenerator {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new MetricsError('INVALID_OPTION', `${what}: expected an integer seed in [0, 4294967295], received ${seed}`);
  }
  // xoroshiro128plus keeps the low 32 bits of the seed, hence the range above.
  return xoroshiro128plus(seed | 0);
}

function checkRestarts(what: string, restarts: number): void {
  if (!Number.isInteger(restarts) || restarts < 1) {
    throw new MetricsError('INVALID_OPTION', `${what}: expected an integer restarts >= 1, received ${restarts}`);
  }
}

/** Fisher-Yates in place. */
function shuffle<T>(items: T[], rng: RandomGenerator): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = uniformInt(rng, 0, i);
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

function newTally(): { groups: number; weight: number; strata: Record<string, { groups: number; weight: number }> } {
  return { groups: 0, weight: 0, strata: {} };
}

function addToTally(tally: ReturnType<typeof newTally>, g: GroupInfo): void {
  const weight = g.weight ?? 1;
  const s = (tally.strata[String(g.stratum)] ??= { groups: 0, weight: 0 });
  s.groups++;
  s.weight += weight;
  tally.groups++;
  tally.weight += weight;
}

function sumWeightSpreads(balance: FoldBalance): number {
  const strata = new Set(balance.folds.flatMap((f) => Object.keys(f.strata)));
  let sum = 0;
  for (const s of strata) {
    const w = balance.folds.map((f) => f.strata[s]?.weight ?? 0);
    sum += Math.max(...w) - Math.min(...w);
  }
  return sum;
}

function lexLess(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i];
  return false;
}

/** Code-unit order, not locale order, so the result is the same on every machine. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
