import type { Box } from '@slidepipe/geometry';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { describe, expect, it } from 'vitest';
import { giouMatrix, matchBoxes, scoreSlides } from './box-matching';

const box = (x1: number, y1: number, x2: number, y2: number): Box => ({ x1, y1, x2, y2 });

/** Highest GIoU first, each box used once: what many detection evaluators do. */
function greedyTp(g: number[][], threshold: number): number {
  const edges = g.flatMap((row, p) => row.map((v, t) => ({ p, t, v }))).filter((e) => e.v > threshold);
  edges.sort((a, b) => b.v - a.v);
  const usedP = new Set<number>();
  const usedT = new Set<number>();
  for (const e of edges) {
    if (usedP.has(e.p) || usedT.has(e.t)) continue;
    usedP.add(e.p);
    usedT.add(e.t);
  }
  return usedP.size;
}

/** Exhaustive: the most pairs above threshold, then the largest total GIoU. */
function bruteOneToOne(g: number[][], threshold: number): { pairs: number; total: number } {
  const truthCount = g[0]?.length ?? 0;
  const used = new Array<boolean>(truthCount).fill(false);
  let best = { pairs: 0, total: 0 };
  const go = (p: number, pairs: number, total: number): void => {
    if (p === g.length) {
      if (pairs > best.pairs || (pairs === best.pairs && total > best.total + 1e-12)) best = { pairs, total };
      return;
    }
    go(p + 1, pairs, total);
    for (let t = 0; t < truthCount; t++) {
      if (used[t] || !(g[p][t] > threshold)) continue;
      used[t] = true;
      go(p + 1, pairs + 1, total + g[p][t]);
      used[t] = false;
    }
  };
  go(0, 0, 0);
  return best;
}

describe('box matching', () => {
  it('builds the GIoU matrix predictions x truth', () => {
    const g = giouMatrix(
      [box(0, 0, 10, 10), box(20, 0, 30, 10)],
      [box(0, 0, 10, 10), box(10, 0, 20, 10), box(5, 5, 15, 15)],
    );
    expect(g).toHaveLength(2);
    expect(g[0][0]).toBe(1);
    expect(g[0][1]).toBe(0);
    expect(g[0][2]).toBeCloseTo(1 / 7 - 50 / 225, 12);
    expect(g[1][0]).toBeCloseTo(-1 / 3, 12);
  });

  it('counts GIoU exactly at the threshold as a miss (strict)', () => {
    // Nested half box: IoU 0.5, C = the outer box, so GIoU = 0.5.
    expect(matchBoxes([box(0, 0, 5, 10)], [box(0, 0, 10, 10)])).toMatchObject({ tp: 0, fp: 1, fn: 1 });
    expect(matchBoxes([box(0, 0, 5, 10)], [box(0, 0, 10, 10)], { threshold: 0.49 })).toMatchObject({
      tp: 1,
      fp: 0,
      fn: 0,
    });
  });

  it("differs between 'one-to-one' and 'any' when two predictions hit one truth box", () => {
    const truth = [box(0, 0, 100, 100)];
    const predicted = [box(0, 0, 100, 100), box(5, 0, 105, 100)]; // GIoU 1 and 95/105
    const one = matchBoxes(predicted, truth, { matching: 'one-to-one' });
    expect(one).toMatchObject({ tp: 1, fp: 1, fn: 0 });
    expect(one.matches).toEqual([{ predicted: 0, truth: 0, giou: 1 }]);
    const any = matchBoxes(predicted, truth, { matching: 'any' });
    expect(any).toMatchObject({ tp: 2, fp: 0, fn: 0 });
    // F2 per slide: one-to-one 5 / (5 + 0 + 1) = 5/6; any 1.
    const slides = [{ slideId: 's', predicted, truth }];
    expect(scoreSlides(slides, { matching: 'one-to-one' }).meanFBeta).toBeCloseTo(5 / 6, 12);
    expect(scoreSlides(slides, { matching: 'any' }).meanFBeta).toBe(1);
  });

  it("'any' counts as missed only the truth boxes no prediction reaches", () => {
    const truth = [box(0, 0, 100, 100), box(500, 500, 600, 600)];
    const predicted = [box(0, 0, 100, 100), box(2, 0, 102, 100), box(1000, 0, 1100, 100)];
    expect(matchBoxes(predicted, truth, { matching: 'any' })).toMatchObject({ tp: 2, fp: 1, fn: 1 });
    expect(matchBoxes(predicted, truth, { matching: 'one-to-one' })).toMatchObject({ tp: 1, fp: 2, fn: 1 });
  });

  it('the optimal assignment beats greedy on a crafted case', () => {
    // T1 = [0,100), T2 = [20,120) (full height 100). GIoU = IoU here (C = A ∪ B in 1-D):
    // P1 = [8,108):  T1 92/108 ≈ 0.852, T2 88/112 ≈ 0.786.
    // P2 = [-30,70): T1 70/130 ≈ 0.538, T2 50/150 ≈ 0.333 (below 0.5).
    // Greedy takes P1-T1 (highest) and leaves P2 without partner: 1 TP.
    // The optimum pairs P1-T2 and P2-T1: 2 TP.
    const truth = [box(0, 0, 100, 100), box(20, 0, 120, 100)];
    const predicted = [box(8, 0, 108, 100), box(-30, 0, 70, 100)];
    const g = giouMatrix(predicted, truth);
    expect(g[0][0]).toBeCloseTo(92 / 108, 12);
    expect(g[1][1]).toBeCloseTo(50 / 150, 12);
    expect(greedyTp(g, 0.5)).toBe(1);
    const result = matchBoxes(predicted, truth);
    expect(result).toMatchObject({ tp: 2, fp: 0, fn: 0 });
    expect(result.matches.map((m) => [m.predicted, m.truth])).toEqual([
      [0, 1],
      [1, 0],
    ]);
  });

  it('breaks ties in cardinality by total GIoU', () => {
    // Both pairings match two boxes; the straight one sums 2 x 98/102, the crossed one 2 x 92/108.
    const truth = [box(0, 0, 100, 100), box(10, 0, 110, 100)];
    const predicted = [box(2, 0, 102, 100), box(8, 0, 108, 100)];
    const result = matchBoxes(predicted, truth);
    expect(result.matches.map((m) => [m.predicted, m.truth])).toEqual([
      [0, 0],
      [1, 1],
    ]);
  });

  it('one-to-one agrees with exhaustive search on random clustered boxes', () => {
    const rng = xoroshiro128plus(2024);
    const next = (lo: number, hi: number): number => uniformInt(rng, lo, hi);
    const jitter = (b: Box): Box => {
      const dx = next(-30, 30);
      const dy = next(-30, 30);
      return box(b.x1 + dx, b.y1 + dy, b.x2 + dx + next(-20, 20), b.y2 + dy + next(-20, 20));
    };
    let differsFromGreedy = 0;
    for (let trial = 0; trial < 150; trial++) {
      const centres = Array.from({ length: next(1, 3) }, () => box(next(0, 200), next(0, 200), 0, 0)).map((c) =>
        box(c.x1, c.y1, c.x1 + 100, c.y1 + 100),
      );
      const truth = Array.from({ length: next(0, 4) }, () => jitter(centres[next(0, centres.length - 1)]));
      const predicted = Array.from({ length: next(0, 4) }, () => jitter(centres[next(0, centres.length - 1)]));
      const threshold = [0.3, 0.5][trial % 2];
      const g = giouMatrix(predicted, truth);
      const best = bruteOneToOne(g, threshold);
      const result = matchBoxes(predicted, truth, { threshold });
      expect(result.tp).toBe(best.pairs);
      expect(result.matches.reduce((s, m) => s + m.giou, 0)).toBeCloseTo(best.total, 9);
      expect(new Set(result.matches.map((m) => m.truth)).size).toBe(result.tp);
      expect(result.fn).toBe(truth.length - result.tp);
      if (predicted.length > 0 && truth.length > 0 && greedyTp(g, threshold) < best.pairs) differsFromGreedy++;
    }
    // The random cases must include some where greedy falls short, or they prove little.
    expect(differsFromGreedy).toBeGreaterThan(0);
  });
});

describe('scoreSlides (the DigiLut metric)', () => {
  const lesion = box(1000, 1000, 1940, 1940);

  it('averages per-slide F2 with the documented empty cases', () => {
    const scoring = scoreSlides([
      { slideId: 'perfect', predicted: [lesion], truth: [lesion] }, // 1
      { slideId: 'empty', predicted: [], truth: [] }, // nothing to find, nothing claimed: 1
      { slideId: 'false-alarm', predicted: [lesion], truth: [] }, // 0
      { slideId: 'missed', predicted: [], truth: [lesion] }, // 0
      // A box snapped to a misaligned 3x3 block of 512-px patches: GIoU ≈ 0.37, a miss and a false alarm.
      { slideId: 'snapped', predicted: [box(512, 512, 2048, 2048)], truth: [lesion] },
    ]);
    expect(scoring.slides.map((s) => s.fBeta)).toEqual([1, 1, 0, 0, 0]);
    expect(scoring.meanFBeta).toBeCloseTo(0.4, 12);
    expect(scoring.totals).toEqual({ tp: 1, fp: 2, fn: 2 });
  });

  it('takes beta as an option (the leaderboard also mentions F1)', () => {
    // tp 1, fp 0, fn 1: F2 = 5/(5+4) = 5/9, F1 = 2/3.
    const slides = [{ slideId: 'a', predicted: [lesion], truth: [lesion, box(5000, 5000, 5900, 5900)] }];
    expect(scoreSlides(slides).meanFBeta).toBeCloseTo(5 / 9, 12);
    expect(scoreSlides(slides, { beta: 1 }).meanFBeta).toBeCloseTo(2 / 3, 12);
  });

  it('rejects bad input with clear messages', () => {
    expect(() => scoreSlides([])).toThrowError(/expected at least one slide/);
    const s = { slideId: 'x', predicted: [], truth: [] };
    expect(() => scoreSlides([s, s])).toThrowError(/expected each slide once, received "x" twice/);
    expect(() => matchBoxes([box(5, 0, 1, 1)], [])).toThrowError(/predicted box 0: expected finite corners/);
    expect(() => matchBoxes([], [], { threshold: 1 })).toThrowError(
      /expected a GIoU threshold in \[-1, 1\), received 1/,
    );
    expect(() => matchBoxes([], [], { matching: 'greedy' as never })).toThrowError(
      /expected matching "one-to-one" or "any", received "greedy"/,
    );
  });
});
