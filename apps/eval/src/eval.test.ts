import { describe, expect, it } from 'vitest';
import type { Box } from '@slidepipe/geometry';
import { evaluate, formatTable, type EvalOptions } from './eval';

const b = (x1: number, y1: number, x2: number, y2: number): Box => ({ x1, y1, x2, y2 });
const opts: EvalOptions = { threshold: 0.5, beta: 2, matching: 'one-to-one', includeUnpredicted: false };
const one = (pred: Box[], truth: Box[], o: Partial<EvalOptions> = {}) =>
  evaluate(new Map([['s', pred]]), new Map([['s', truth]]), { ...opts, ...o }).rows[0];

describe('wsi-eval on hand-computed cases', () => {
  const T = b(0, 0, 100, 100);

  it('a perfect box: GIoU 1, F2 1', () => {
    expect(one([T], [T])).toEqual({
      scope: 'slide',
      slide_id: 's',
      n_truth: 1,
      n_pred: 1,
      tp: 1,
      fp: 0,
      fn: 0,
      precision: 1,
      recall: 1,
      fbeta: 1,
      mean_iou: 1,
      mean_giou: 1,
    });
  });

  it('mean IoU and GIoU of the matched boxes, per slide and over all matches; null without a match', () => {
    // Shifted 20 px: IoU = GIoU = 2/3. Half-size nested box: IoU 0.25 but it is a miss (GIoU 0.25).
    const r = evaluate(
      new Map([
        ['a', [b(20, 0, 120, 100), T]],
        ['b', [b(0, 0, 100, 90)]],
        ['c', [b(25, 25, 75, 75)]],
      ]),
      new Map([
        ['a', [T, b(1000, 0, 1100, 100)]],
        ['b', [T]],
        ['c', [T]],
      ]),
      opts,
    );
    const [a, bb, c, mean] = r.rows;
    // Slide a: one-to-one, T matches the identical box (1), the other truth box has no partner.
    expect(a).toMatchObject({ tp: 1, mean_iou: 1, mean_giou: 1 });
    expect(bb).toMatchObject({ tp: 1, mean_iou: 0.9, mean_giou: 0.9 });
    expect(c).toMatchObject({ tp: 0, mean_iou: null, mean_giou: null });
    expect(mean.mean_iou).toBeCloseTo(0.95, 12);
    expect(formatTable(r, opts)).toMatch(/IoU[\s\S]*0\.900[\s\S]*-\n[\s\S]*0\.950/);
  });

  it('a box shifted by half its width: IoU 1/3, C = A u B, GIoU 1/3: a miss and a false positive', () => {
    expect(one([b(50, 0, 150, 100)], [T])).toMatchObject({ tp: 0, fp: 1, fn: 1, precision: 0, recall: 0, fbeta: 0 });
    // Shifted by 20: I = 8000, U = 12000, C = U: GIoU 2/3 > 0.5, a hit.
    expect(one([b(20, 0, 120, 100)], [T])).toMatchObject({ tp: 1, fp: 0, fn: 0, fbeta: 1 });
  });

  it('boxes touching at an edge do not overlap: IoU 0, C = A u B, GIoU 0', () => {
    expect(one([b(100, 0, 200, 100)], [T])).toMatchObject({ tp: 0, fp: 1, fn: 1, fbeta: 0 });
    // ... and a hit only with a threshold below 0 (GIoU 0 > -0.1).
    expect(one([b(100, 0, 200, 100)], [T], { threshold: -0.1 })).toMatchObject({ tp: 1, fp: 0, fn: 0 });
  });

  it('uses GIoU values equal to the hand-computed ones (bracketed by the threshold)', () => {
    const cases: [Box, number][] = [
      // Shifted 20 px: I = 8000, U = 12000 = C -> 2/3.
      [b(20, 0, 120, 100), 2 / 3],
      // Apart by a 50 px gap: I = 0, U = 20000, C = 25000 -> -0.2.
      [b(150, 0, 250, 100), -0.2],
      // Diagonal overlap: I = 2500, U = 17500, C = 22500 -> 1/7 - 5000/22500.
      [b(50, 50, 150, 150), 1 / 7 - 5000 / 22500],
      // Nested, a quarter of T: I = 2500, U = C = 10000 -> 1/4.
      [b(25, 25, 75, 75), 0.25],
    ];
    for (const [p, g] of cases) {
      expect(one([p], [T], { threshold: g - 1e-9 }).tp, `GIoU ${g}`).toBe(1);
      expect(one([p], [T], { threshold: g + 1e-9 }).tp, `GIoU ${g}`).toBe(0);
    }
  });

  it('GIoU exactly at the threshold is a miss (strictly above counts)', () => {
    // Half of T, nested: IoU 0.5, C = T, GIoU 0.5.
    expect(one([b(0, 0, 50, 100)], [T])).toMatchObject({ tp: 0, fp: 1, fn: 1 });
  });

  it('one-to-one vs any: two good predictions of one truth box', () => {
    // P2 = T moved down 5: I = 9500, U = 10500 = C: GIoU 19/21.
    const preds = [T, b(0, 5, 100, 105)];
    // One-to-one: TP 1, FP 1, FN 0 -> F2 = 5 / (5 + 0 + 1) = 5/6; precision 1/2.
    expect(one(preds, [T])).toMatchObject({ tp: 1, fp: 1, fn: 0, precision: 0.5, recall: 1, fbeta: 5 / 6 });
    // Any: both are hits -> F2 1.
    expect(one(preds, [T], { matching: 'any' })).toMatchObject({ tp: 2, fp: 0, fn: 0, fbeta: 1 });
    // F1 one-to-one: 2 / (2 + 0 + 1).
    expect(one(preds, [T], { beta: 1 }).fbeta).toBe(2 / 3);
  });

  it('one-to-one takes the assignment with the most hits, not the greedy best pair', () => {
    // Full-height boxes overlap as intervals, so C = A u B and GIoU = IoU.
    const T0 = b(100, 0, 200, 100);
    const T1 = b(125, 0, 225, 100);
    const P0 = b(102, 0, 202, 100); // T0: 98/102 = 0.96 (the best pair); T1: 77/123 = 0.63
    const P1 = b(75, 0, 175, 100); // T0: 75/125 = 0.6; T1: 50/150 = 0.33
    // Greedy best-first takes P0-T0 and leaves P1 without a partner: 1 hit. The assignment finds 2.
    expect(one([P0, P1], [T0, T1])).toMatchObject({ tp: 2, fp: 0, fn: 0, fbeta: 1 });
  });

  it('empty slides: no division by zero, documented conventions', () => {
    const r = evaluate(
      new Map([
        ['none', []],
        ['fp-only', [T, b(500, 500, 600, 600)]],
        ['missed', []],
        ['hit', [T]],
      ]),
      new Map([
        ['missed', [T]],
        ['hit', [T]],
        ['not-predicted', [T]],
      ]),
      opts,
    );
    const row = (id: string) => r.rows.find((x) => x.slide_id === id)!;
    expect(row('none')).toMatchObject({ n_truth: 0, n_pred: 0, precision: 1, recall: 1, fbeta: 1 });
    expect(row('fp-only')).toMatchObject({ n_truth: 0, n_pred: 2, fp: 2, precision: 0, recall: 1, fbeta: 0 });
    expect(row('missed')).toMatchObject({ n_truth: 1, n_pred: 0, fn: 1, precision: 1, recall: 0, fbeta: 0 });
    expect(r.unpredicted).toEqual(['not-predicted']);
    // Means over the 4 predicted slides: precision (1 + 0 + 1 + 1) / 4, recall (1 + 1 + 0 + 1) / 4, F2 (1 + 0 + 0 + 1) / 4.
    expect(r.rows.at(-1)).toEqual({
      scope: 'mean',
      slide_id: '*',
      n_truth: 2,
      n_pred: 3,
      tp: 1,
      fp: 2,
      fn: 1,
      precision: 3 / 4,
      recall: 3 / 4,
      fbeta: 0.5,
      mean_iou: 1,
      mean_giou: 1,
    });
    // Counting the unpredicted truth slide as a miss: (1 + 0 + 0 + 1 + 0) / 5.
    const all = evaluate(
      new Map([['hit', [T]]]),
      new Map([
        ['hit', [T]],
        ['not-predicted', [T]],
      ]),
      { ...opts, includeUnpredicted: true },
    );
    expect(all.rows.map((x) => [x.slide_id, x.fbeta])).toEqual([
      ['hit', 1],
      ['not-predicted', 0],
      ['*', 0.5],
    ]);
  });

  it('prints a table with a row per slide and the mean', () => {
    const r = evaluate(
      new Map([
        ['abc_a', [T]],
        ['abc_b', []],
      ]),
      new Map([
        ['abc_a', [T]],
        ['abc_b', [T]],
      ]),
      opts,
    );
    const text = formatTable(r, opts);
    expect(text.split('\n')[0]).toMatch(/^slide\s+truth\s+pred\s+TP\s+FP\s+FN\s+precision\s+recall\s+F2\s+IoU$/);
    expect(text).toMatch(/abc_a\s+1\s+1\s+1\s+0\s+0\s+1\.000\s+1\.000\s+1\.000/);
    expect(text).toMatch(/mean of 2\s+2\s+1\s+1\s+0\s+1\s+1\.000\s+0\.500\s+0\.500/);
    // Pooled: TP 1, FP 0, FN 1 -> 5 / (5 + 4 + 0).
    expect(text).toMatch(/pooled F2 over all boxes 0\.556/);
  });
});

// ---- against an independent implementation on random cases ------------------------------------

/** GIoU written from the definition with explicit corners, not with libs/geometry. */
function refGiou(p: Box, t: Box): number {
  const iw = Math.max(0, Math.min(p.x2, t.x2) - Math.max(p.x1, t.x1));
  const ih = Math.max(0, Math.min(p.y2, t.y2) - Math.max(p.y1, t.y1));
  const inter = iw * ih;
  const union = (p.x2 - p.x1) * (p.y2 - p.y1) + (t.x2 - t.x1) * (t.y2 - t.y1) - inter;
  const hull = (Math.max(p.x2, t.x2) - Math.min(p.x1, t.x1)) * (Math.max(p.y2, t.y2) - Math.min(p.y1, t.y1));
  return inter / union - (hull - union) / hull;
}

/** Most hits over every injective assignment of predictions to truth boxes (brute force). */
function refOneToOne(hit: boolean[][], nTruth: number): number {
  let best = 0;
  const used = new Array(nTruth).fill(false);
  const go = (p: number, count: number) => {
    if (p === hit.length) {
      best = Math.max(best, count);
      return;
    }
    go(p + 1, count);
    for (let t = 0; t < nTruth; t++) {
      if (!used[t] && hit[p][t]) {
        used[t] = true;
        go(p + 1, count + 1);
        used[t] = false;
      }
    }
  };
  go(0, 0);
  return best;
}

function refF(tp: number, fp: number, fn: number, beta: number): number {
  if (tp + fp + fn === 0) return 1;
  const p = tp + fp === 0 ? 1 : tp / (tp + fp);
  const r = tp + fn === 0 ? 1 : tp / (tp + fn);
  return p + r === 0 ? 0 : ((1 + beta ** 2) * p * r) / (beta ** 2 * p + r);
}

function lcg(seed: number) {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

describe('wsi-eval against an independent implementation on random cases', () => {
  it('agrees on TP, FP, FN and F-beta for both matchings', () => {
    const r = lcg(42);
    const rand = (n: number) => Math.floor(r() * n);
    // Boxes clustered in a small area so that many pairs are near the threshold.
    const randomBox = () => {
      const x = rand(60);
      const y = rand(60);
      return b(x, y, x + 20 + rand(40), y + 20 + rand(40));
    };
    let compared = 0;
    let hitsSeen = 0;
    for (let k = 0; k < 400; k++) {
      const truth = Array.from({ length: rand(4) }, randomBox);
      const pred = Array.from({ length: rand(5) }, randomBox);
      const beta = [1, 2, 0.5][k % 3];
      const threshold = [0.5, 0.3, 0][k % 3];
      const hit = pred.map((p) => truth.map((t) => refGiou(p, t) > threshold));
      for (const matching of ['one-to-one', 'any'] as const) {
        const tp = matching === 'any' ? hit.filter((row) => row.some(Boolean)).length : refOneToOne(hit, truth.length);
        const fn = matching === 'any' ? truth.filter((_, t) => hit.every((row) => !row[t])).length : truth.length - tp;
        const fp = pred.length - tp;
        const got = one(pred, truth, { matching, beta, threshold });
        expect({ tp: got.tp, fp: got.fp, fn: got.fn }, `case ${k} ${matching}`).toEqual({ tp, fp, fn });
        expect(got.fbeta).toBeCloseTo(refF(tp, fp, fn, beta), 12);
        compared++;
        hitsSeen += tp;
      }
    }
    expect(compared).toBe(800);
    // The random cases do exercise matches, not only misses.
    expect(hitsSeen).toBeGreaterThan(200);
  });
});
