import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Box } from '@slidepipe/geometry';
import { scoreGrids } from '@slidepipe/testing';
import { boxesForGrid, suppressOverlaps } from '../boxes';
import { PatchColumns, ScoreGrid } from '../grid';
import { DEFAULT_REFINE } from '../refine';
import { readSizePrior } from '../size-prior';
import { methodFromRecipe } from './registry';

const { gridOf } = scoreGrids(PatchColumns, ScoreGrid);
const peaks = methodFromRecipe('peaks');
const components = methodFromRecipe('components');

/** A 24 x 24 grid (512 px patches side by side) of 0.1, with rectangles of other scores painted on in order. */
function painted(...rects: [c0: number, r0: number, c1: number, r1: number, score: number][]): ScoreGrid {
  const rows = Array.from({ length: 24 }, () => Array.from({ length: 24 }, () => 0.1));
  for (const [c0, r0, c1, r1, s] of rects) for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) rows[r][c] = s;
  return gridOf(rows);
}

const width = (b: Box) => b.x2 - b.x1;
/** Boxes are whole pixels rounded outward: equal to within 2 px. */
const near = (got: Box, want: Box) =>
  expect(Object.values(got).map((v, i) => Math.abs(v - Object.values(want)[i]) <= 2)).toEqual([true, true, true, true]);

describe('peaks', () => {
  // A lesion of 3 x 3 patches (1536 px) inside a medium plateau of 14 x 14 (7168 px).
  const plateau = painted([4, 4, 17, 17, 0.6], [8, 9, 10, 11, 0.95]);

  it('fits the peak inside a medium-score plateau, where a fixed cut takes the plateau', () => {
    const [best] = boxesForGrid(plateau, peaks, DEFAULT_REFINE, null);
    // Half-way between the plateau (0.6) and the peak (0.95) lies half-way between patch centres: the lesion's patches.
    expect(best.box).toEqual({ x1: 8 * 512, y1: 9 * 512, x2: 11 * 512, y2: 12 * 512 });
    const [wide] = boxesForGrid(plateau, components, DEFAULT_REFINE, null);
    expect(width(wide.box)).toBeGreaterThan(6000);
  });

  it('splits two peaks joined by medium scores into two boxes', () => {
    // Two 2 x 2 lesions one patch apart, the gap and the surroundings at 0.6.
    const g = painted([3, 3, 14, 12, 0.6], [6, 7, 7, 8, 0.95], [9, 7, 10, 8, 0.9]);
    const boxes = boxesForGrid(g, peaks, DEFAULT_REFINE, null).filter((b) => b.score > 0.5);
    expect(boxes.map((b) => b.box)).toEqual([
      { x1: 6 * 512, y1: 7 * 512, x2: 8 * 512, y2: 9 * 512 },
      { x1: 9 * 512, y1: 7 * 512, x2: 11 * 512, y2: 9 * 512 },
    ]);
    // components sees one region; with min_drop above the drop to the saddle, peaks does too.
    expect(boxesForGrid(g, components, DEFAULT_REFINE, null)).toHaveLength(1);
    const merged = boxesForGrid(g, methodFromRecipe('peaks:min_drop=0.4'), DEFAULT_REFINE, null);
    expect(merged.filter((b) => width(b.box) < 2000)).toHaveLength(1);
  });

  it('keeps a large lesion whole: wider than the prior but not below its peak', () => {
    const g = painted([5, 5, 11, 10, 0.95]);
    const [best] = boxesForGrid(g, peaks, DEFAULT_REFINE, null);
    expect(best.box).toEqual({ x1: 5 * 512, y1: 5 * 512, x2: 12 * 512, y2: 11 * 512 });
  });

  it('gives exactly N boxes, best first, padding when the slide has fewer', () => {
    const one = boxesForGrid(plateau, peaks, DEFAULT_REFINE, 1);
    expect(one).toHaveLength(1);
    expect(one[0].box).toEqual({ x1: 8 * 512, y1: 9 * 512, x2: 11 * 512, y2: 12 * 512 });
    const flat = painted();
    const five = boxesForGrid(flat, peaks, DEFAULT_REFINE, 5);
    expect(five).toHaveLength(5);
    expect(five.every((b) => b.padded)).toBe(true);
  });

  it('ranks boxes larger than the size prior allows below lesion-sized ones', () => {
    // A bright plateau alone (0.9, 10 x 10: 5120 px) and a small lesion (0.8): the lesion ranks first.
    const g = painted([2, 2, 11, 11, 0.9], [18, 18, 19, 19, 0.8]);
    const [first] = boxesForGrid(g, peaks, DEFAULT_REFINE, null);
    near(first.box, { x1: 18 * 512, y1: 18 * 512, x2: 20 * 512, y2: 20 * 512 });
  });
});

describe('non-maximum suppression', () => {
  const r = (x1: number, y1: number, x2: number, y2: number, score: number) => ({
    box: { x1, y1, x2, y2 },
    score,
    padded: false,
  });

  it('drops boxes overlapping a better one, or lying half inside it, and keeps the rest', () => {
    // IoU 0.4 with the first (10000 of its 25000 px inside it); a box apart; one half inside the first.
    const sorted = [r(0, 0, 100, 100, 0.9), r(0, 0, 100, 250, 0.8), r(300, 0, 400, 100, 0.7), r(50, 0, 150, 40, 0.6)];
    expect(suppressOverlaps(sorted, 0.3).map((b) => b.score)).toEqual([0.9, 0.7]);
    expect(suppressOverlaps(sorted, 0.5).map((b) => b.score)).toEqual([0.9, 0.8, 0.7]);
    expect(suppressOverlaps(sorted, 1)).toEqual(sorted);
  });
});

describe('--size-prior', () => {
  const dir = mkdtempSync(join(tmpdir(), 'size-prior-'));
  const file = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it('fits log-normal widths, heights and aspects to the training boxes', () => {
    const p = file(
      'train.csv',
      [
        'filename,x1,x2,y1,y2,max_x,max_y',
        'a_a.tif,0,500,0,1000,9000,9000',
        'a_a.tif,2000,4000,0,1000,9000,9000',
        'b_a.tif,0,1000,0,1000,9000,9000',
      ].join('\n'),
    );
    const prior = readSizePrior(p);
    expect(prior).toMatchObject({ source: p, boxes: 3 });
    // Widths 500, 2000, 1000: geometric mean 1000; heights all 1000 (spread floored, not 0).
    expect(Math.exp(prior.width0.mu)).toBeCloseTo(1000, 6);
    expect(prior.width0.sigma).toBeCloseTo(Math.log(2), 6);
    expect(Math.exp(prior.height0.mu)).toBeCloseTo(1000, 6);
    expect(prior.height0.sigma).toBe(0.05);
    expect(prior.aspect.mu).toBeCloseTo(0, 6);
  });

  it('refuses a bad CSV or too few boxes with one line naming the file', () => {
    const bad = file('bad.csv', 'filename,x1,y1\na_a.tif,1,2\n');
    expect(() => readSizePrior(bad)).toThrow(/^[^\n]*bad\.csv[^\n]*expected the header[^\n]*$/);
    const few = file('few.csv', 'filename,x1,x2,y1,y2,max_x,max_y\na_a.tif,0,500,0,1000,9000,9000\n');
    expect(() => readSizePrior(few)).toThrow(/few\.csv: a size prior needs at least 3 boxes with an area, found 1/);
  });

  it('sets where a flood leaks: with a prior of small lesions, a bright rim is not part of the lesion', () => {
    // A 2 x 2 core at 0.95 in a 3 x 3 area at 0.8 (1536 px): lesion-sized for the DigiLut prior, so
    // all of it is the lesion; for a prior of 500 px lesions it is wider than a lesion and its 0.8
    // is the floor the core is cut from.
    const g = painted([7, 7, 9, 9, 0.8], [8, 8, 9, 9, 0.95]);
    const rows = ['a.tif,0,450,0,500,9000,9000', 'a.tif,0,550,0,500,9000,9000', 'a.tif,0,500,0,520,9000,9000'];
    const small = readSizePrior(file('small.csv', ['filename,x1,x2,y1,y2,max_x,max_y', ...rows].join('\n')));
    const m = methodFromRecipe('peaks:leak_drop=0.1');
    // The 0.8 rim falls to 0.1 outside: the cut (0.525) is 0.39 of a stride out from its centres.
    const rim = 7 * 512 + 256 - 512 * ((0.8 - 0.525) / 0.7);
    near(boxesForGrid(g, m, DEFAULT_REFINE, 1)[0].box, { x1: rim, y1: rim, x2: 10 * 512, y2: 10 * 512 });
    // Cut at 0.875: half-way to the rim on the left and top; on the right and bottom, where the
    // core meets the 0.1 background, just past the core's last centres (one floor per peak).
    const edge = 9 * 512 + 256 + 512 * ((0.95 - 0.875) / 0.85);
    near(boxesForGrid(g, m, DEFAULT_REFINE, 1, 'lower', small)[0].box, {
      x1: 8 * 512,
      y1: 8 * 512,
      x2: edge,
      y2: edge,
    });
  });
});
