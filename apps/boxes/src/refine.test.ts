import { describe, expect, it } from 'vitest';
import { boxCoverage, giou, type Box } from '@slidepipe/geometry';
import { PatchColumns, ScoreGrid } from './grid';
import { DEFAULT_REFINE, refinedBox, snappedBox } from './refine';
import { scoreGrids } from '@slidepipe/testing';

// The grid helpers, bound to this tool's own grid classes.
const { gridFromPicture } = scoreGrids(PatchColumns, ScoreGrid);

/** A slide whose patch scores are exactly the fraction of each patch the lesion covers. */
function coverageGrid(lesion: Box, stride0: number, tile0 = 512, size0 = 8192): ScoreGrid {
  const p = new PatchColumns();
  for (let row = 0; row * stride0 + tile0 <= size0; row++) {
    for (let col = 0; col * stride0 + tile0 <= size0; col++) {
      const x0 = col * stride0;
      const y0 = row * stride0;
      p.push(x0, y0, tile0, tile0, col, row, boxCoverage({ x1: x0, y1: y0, x2: x0 + tile0, y2: y0 + tile0 }, [lesion]));
    }
  }
  return new ScoreGrid('t', p, size0, size0);
}

function boxesOf(g: ScoreGrid, threshold = 0.5) {
  const members = Array.from({ length: g.n }, (_, i) => i).filter((i) => g.score[i] >= threshold);
  const owner = new Int32Array(g.n).fill(-1);
  for (const m of members) owner[m] = 0;
  return {
    refined: refinedBox(g, members, 0, owner, g.medianScore(), DEFAULT_REFINE),
    snapped: snappedBox(g, members),
  };
}

const edgeError = (a: Box, b: Box) =>
  Math.max(Math.abs(a.x1 - b.x1), Math.abs(a.y1 - b.y1), Math.abs(a.x2 - b.x2), Math.abs(a.y2 - b.y2));

describe('refinement', () => {
  // A 940 x 940 px lesion (DigiLut's median) at offsets across one grid cell.
  const offsets = [0, 64, 128, 200, 256, 300, 384, 450];
  for (const stride0 of [512, 256]) {
    it(`finds lesion edges below patch resolution (stride ${stride0} px, 512 px patches)`, () => {
      let worstRefined = 0;
      let worstSnapped = 0;
      let sumRefined = 0;
      let sumSnapped = 0;
      for (const dx of offsets) {
        for (const dy of [0, 200, 400]) {
          const lesion = { x1: 3000 + dx, y1: 3000 + dy, x2: 3940 + dx, y2: 3940 + dy };
          const { refined, snapped } = boxesOf(coverageGrid(lesion, stride0));
          worstRefined = Math.max(worstRefined, edgeError(refined, lesion));
          worstSnapped = Math.max(worstSnapped, edgeError(snapped, lesion));
          sumRefined += giou(refined, lesion);
          sumSnapped += giou(snapped, lesion);
        }
      }
      const n = offsets.length * 3;
      // Measured: 44 px at stride 512 (bilinear between centres a patch apart), exact at 256.
      expect(worstRefined).toBeLessThan(stride0 === 512 ? 50 : 2);
      expect(worstSnapped).toBeGreaterThan(200);
      expect(sumRefined / n).toBeGreaterThan(stride0 === 512 ? 0.85 : 0.99);
      expect(sumSnapped / n).toBeLessThan(0.65);
    });
  }

  it('keeps to its own region: another region next to it bounds the traced area', () => {
    const g = gridFromPicture(`
      ........
      .##.##..
      .##.##..
      ........
    `);
    const left = [g.at(1, 1), g.at(2, 1), g.at(1, 2), g.at(2, 2)];
    const right = [g.at(4, 1), g.at(5, 1), g.at(4, 2), g.at(5, 2)];
    const owner = new Int32Array(g.n).fill(-1);
    left.forEach((m) => (owner[m] = 0));
    right.forEach((m) => (owner[m] = 1));
    const box = refinedBox(g, left, 0, owner, g.medianScore(), DEFAULT_REFINE);
    // Half-height edges: midway between member centres and the empty column's centre; never into column 4.
    expect(box.x2).toBeLessThanOrEqual(4 * 512);
    expect(box.x1).toBeCloseTo(512, -1);
    expect(box.y1).toBeCloseTo(512, -1);
    expect(box.y2).toBeCloseTo(3 * 512, -1);
  });

  it('gives the union of member footprints when snapped', () => {
    const g = gridFromPicture('.##.', 256, 512);
    expect(snappedBox(g, [g.at(1, 0), g.at(2, 0)])).toEqual({ x1: 256, y1: 0, x2: 1024, y2: 512 });
  });
});
