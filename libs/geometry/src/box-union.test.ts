import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { describe, expect, it } from 'vitest';
import { type Box, boxContainsPoint } from './box';
import { boxCoverage, unionAreaOfBoxes } from './box-union';

const box = (x1: number, y1: number, x2: number, y2: number): Box => ({ x1, y1, x2, y2 });

function randomBox(next: (lo: number, hi: number) => number, span: number): Box {
  const x1 = next(0, span - 1);
  const y1 = next(0, span - 1);
  return box(x1, y1, x1 + next(0, 8), y1 + next(0, 8));
}

/** Counts covered pixels one by one: the reference the sweep must match exactly. */
function pixelCoverage(patch: Box, boxes: readonly Box[]): number {
  let covered = 0;
  for (let y = patch.y1; y < patch.y2; y++) {
    for (let x = patch.x1; x < patch.x2; x++) {
      if (boxes.some((b) => boxContainsPoint(b, x, y))) covered++;
    }
  }
  return covered / ((patch.x2 - patch.x1) * (patch.y2 - patch.y1));
}

describe('union area of boxes', () => {
  it('counts overlaps once (hand case)', () => {
    // 10x10 + 10x10 overlapping on 5x5 -> 175; a third box inside the first adds nothing.
    const boxes = [box(0, 0, 10, 10), box(5, 5, 15, 15), box(1, 1, 3, 3)];
    expect(unionAreaOfBoxes(boxes)).toBe(175);
    // Clipped to [0,10)²: the first box fills it.
    expect(unionAreaOfBoxes(boxes, box(0, 0, 10, 10))).toBe(100);
    expect(boxCoverage(box(5, 0, 15, 10), boxes)).toBe((50 + 25) / 100);
  });

  it('ignores empty boxes and returns 0 with none', () => {
    expect(unionAreaOfBoxes([])).toBe(0);
    expect(unionAreaOfBoxes([box(2, 2, 2, 9)])).toBe(0);
    expect(boxCoverage(box(0, 0, 4, 4), [box(4, 0, 8, 4)])).toBe(0);
  });

  it('matches pixel counting on random small cases', () => {
    const rng = xoroshiro128plus(20240611);
    const next = (lo: number, hi: number): number => uniformInt(rng, lo, hi);
    for (let trial = 0; trial < 300; trial++) {
      const boxes = Array.from({ length: next(0, 7) }, () => randomBox(next, 20));
      const x1 = next(0, 15);
      const y1 = next(0, 15);
      const patch = box(x1, y1, x1 + next(1, 10), y1 + next(1, 10));
      expect(boxCoverage(patch, boxes)).toBe(pixelCoverage(patch, boxes));
    }
  });
});
