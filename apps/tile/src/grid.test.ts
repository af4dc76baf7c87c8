import { describe, expect, it } from 'vitest';
import { cellOrigin0, insideFraction, makeGrid, selectPatches } from './grid';

describe('makeGrid', () => {
  it('covers the slide with whole patches plus the edge ones that reach past it', () => {
    // The 20x SVS fixture: 2220 x 2967 at 256 px -> 9 x 12 cells, the last starting inside.
    const g = makeGrid(2220, 2967, 256, 256, 256);
    expect([g.cols, g.rows, g.extent0Px, g.stride0Px]).toEqual([9, 12, 256, 256]);
    expect(cellOrigin0(g, 8)).toBe(2048);
    // Exactly divisible: no extra cell.
    expect(makeGrid(30720, 512, 256, 256, 256)).toMatchObject({ cols: 120, rows: 2 });
    // Smaller than one patch: one cell.
    expect(makeGrid(100, 100, 256, 256, 256)).toMatchObject({ cols: 1, rows: 1 });
  });

  it('overlaps with a shorter stride, in level-0 pixels of the read plan', () => {
    // 0.25 µm/px slide at 0.5 µm/px: 512 level-0 px per patch, stride 128 output px = 256 level-0 px.
    const g = makeGrid(4440, 5934, 512, 256, 128);
    expect([g.extent0Px, g.stride0Px]).toEqual([512, 256]);
    // The last origin reaches the edge: 16 * 256 + 512 >= 4440.
    expect(g.cols).toBe(17);
    expect(cellOrigin0(g, g.cols - 1) + 512).toBeGreaterThanOrEqual(4440);
    expect(cellOrigin0(g, g.cols - 2) + 512).toBeLessThan(4440);
  });

  it('rounds fractional level-0 strides per cell, so errors do not add up', () => {
    // A level with downsample 4.016 read at 256 px: extent 1028.1 level-0 px.
    const g = makeGrid(20000, 2000, 256 * 4.016, 256, 256);
    expect(g.extent0Px).toBe(1028);
    expect(cellOrigin0(g, 10)).toBe(Math.round(10 * 1028.096));
  });

  it('leaves no origin past the edge when the stride is wider than the patch', () => {
    const g = makeGrid(1000, 1000, 256, 256, 512);
    expect(g.cols).toBe(2);
    expect(cellOrigin0(g, g.cols - 1)).toBeLessThan(1000);
  });
});

describe('insideFraction and selectPatches', () => {
  it('counts the part of an edge patch outside the slide as background', () => {
    const g = makeGrid(2220, 2967, 256, 256, 256);
    expect(insideFraction(g, 0, 0)).toBe(1);
    expect(insideFraction(g, 2048, 2816)).toBeCloseTo((172 * 151) / 65536, 12);
  });

  it('keeps cells at or above the threshold, row by row', () => {
    const g = makeGrid(1024, 512, 256, 256, 256);
    // Tissue only in the right half.
    const p = selectPatches(g, (x0) => (x0 >= 512 ? 0.8 : 0.1), 0.5);
    expect(p.count).toBe(4);
    expect([...p.col]).toEqual([2, 3, 2, 3]);
    expect([...p.row]).toEqual([0, 0, 1, 1]);
    expect([...p.x0]).toEqual([512, 768, 512, 768]);
    expect([...p.y0]).toEqual([0, 0, 256, 256]);
    expect([...p.tissue]).toEqual(new Array(4).fill(Math.fround(0.8)));
    expect(selectPatches(g, () => 0, 0).count).toBe(8);
  });
});
