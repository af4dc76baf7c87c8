import { describe, expect, it } from 'vitest';
import { PatchColumns, ScoreGrid } from './grid';

function columns(rows: [number, number, number, number, number, number, number][]): PatchColumns {
  const p = new PatchColumns();
  for (const r of rows) p.push(...r);
  return p;
}

describe('ScoreGrid', () => {
  it('finds stride and origin from the patches, overlapping ones included', () => {
    // 512 px footprints every 256 px, grid starting at x0 = 100, y0 = 40.
    const rows: [number, number, number, number, number, number, number][] = [];
    for (let row = 0; row < 3; row++)
      for (let col = 0; col < 4; col++) rows.push([100 + col * 256, 40 + row * 256, 512, 512, col, row, 0.1]);
    const g = new ScoreGrid('s', columns(rows), 5000, 5000);
    expect([g.strideX0, g.strideY0, g.originX0, g.originY0, g.tileW0, g.cols, g.rows]).toEqual([
      256, 256, 100, 40, 512, 4, 3,
    ]);
    expect(g.at(2, 1)).toBe(6);
    expect(g.at(4, 0)).toBe(-1);
    expect(g.centreX0(6)).toBe(100 + 512 + 256);
  });

  it('accepts a fractional stride rounded to whole pixels', () => {
    // 0.5 um/px patches on a 0.2502 um/px slide: the level-0 stride is 511.59 px.
    const stride = (256 * 0.5) / 0.2502;
    const rows = Array.from({ length: 10 }, (_, c): [number, number, number, number, number, number, number] => [
      Math.round(c * stride),
      0,
      512,
      512,
      c,
      0,
      0.2,
    ]);
    const g = new ScoreGrid('s', columns(rows), 10000, 1000);
    expect(g.strideX0).toBeCloseTo(Math.round(9 * stride) / 9, 9);
  });

  it('refuses patches off the grid, twice on a cell, or scores outside [0, 1]', () => {
    expect(
      () =>
        new ScoreGrid(
          's',
          columns([
            [0, 0, 512, 512, 0, 0, 0.1],
            [512, 0, 512, 512, 1, 0, 0.1],
            [1100, 0, 512, 512, 2, 0, 0.1],
          ]),
          9e3,
          9e3,
        ),
    ).toThrow(/slide s: patch at col 1, row 0 \(x0 512, y0 0\) is off the tiling grid/);
    expect(
      () =>
        new ScoreGrid(
          's',
          columns([
            [0, 0, 512, 512, 0, 0, 0.1],
            [0, 0, 512, 512, 0, 0, 0.2],
          ]),
          9e3,
          9e3,
        ),
    ).toThrow(/two patches at col 0, row 0/);
    expect(() => new ScoreGrid('s', columns([[0, 0, 512, 512, 0, 0, 1.5]]), 9e3, 9e3)).toThrow(
      /patch score 1.5 at col 0, row 0 is not in \[0, 1\]/,
    );
  });

  it('holds an empty slide', () => {
    const g = new ScoreGrid('s', new PatchColumns(), 100, 100);
    expect([g.n, g.cols, g.rows, g.medianScore()]).toEqual([0, 0, 0, 0]);
  });
});
