import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { describe, expect, it } from 'vitest';
import { type Box, boxContainsPoint } from './box';
import { GridIndex } from './spatial-index';

const box = (x1: number, y1: number, x2: number, y2: number): Box => ({ x1, y1, x2, y2 });

describe('GridIndex', () => {
  const rng = xoroshiro128plus(99);
  const next = (lo: number, hi: number): number => uniformInt(rng, lo, hi);
  const items = Array.from({ length: 60 }, () => {
    const x1 = next(0, 20_000);
    const y1 = next(0, 50_000);
    return box(x1, y1, x1 + next(0, 3000), y1 + next(0, 3000));
  });

  it.each([undefined, 100, 1024, 40_000])('answers rectangle and point queries like a scan (cell %s px)', (cell) => {
    const index = new GridIndex(items, cell);
    for (let q = 0; q < 300; q++) {
      const x1 = next(-1000, 23_000);
      const y1 = next(-1000, 53_000);
      const rect = box(x1, y1, x1 + next(1, 2000), y1 + next(1, 2000));
      const expected = items
        .map((b, i) => (b.x1 < rect.x2 && rect.x1 < b.x2 && b.y1 < rect.y2 && rect.y1 < b.y2 ? i : -1))
        .filter((i) => i >= 0);
      expect(index.query(rect)).toEqual(expected);
      const [px, py] = [next(-10, 23_000), next(-10, 53_000)];
      expect(index.queryPoint(px, py)).toEqual(
        items.map((b, i) => (boxContainsPoint(b, px, py) ? i : -1)).filter((i) => i >= 0),
      );
    }
  });

  it('does not report boxes that only touch the query', () => {
    const index = new GridIndex([box(0, 0, 512, 512), box(512, 0, 1024, 512)], 256);
    expect(index.query(box(512, 0, 600, 100))).toEqual([1]);
    expect(index.queryPoint(512, 10)).toEqual([1]);
  });

  it('coarsens a grid that would be too large and handles no items', () => {
    const far = new GridIndex([box(0, 0, 1, 1), box(1e9, 1e9, 1e9 + 1, 1e9 + 1)], 1);
    expect(far.cellSizePx).toBeGreaterThan(1);
    expect(far.query(box(1e9, 1e9, 1e9 + 5, 1e9 + 5))).toEqual([1]);
    expect(new GridIndex([]).query(box(0, 0, 10, 10))).toEqual([]);
    expect(() => new GridIndex([box(0, 0, 1, 1)], 0)).toThrowError(/expected a positive finite cellSizePx, received 0/);
  });
});
