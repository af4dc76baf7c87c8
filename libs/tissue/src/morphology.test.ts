import { describe, expect, it } from 'vitest';
import { TissueParamError } from './errors';
import { closeMask, dilateMask, discHalfWidths, erodeMask, type StructuringShape } from './morphology';
import { maskFromArt, maskToArt, randomMask, rectMask, mulberry32 as rng } from '@slidepipe/testing';
import type { Mask } from './types';

/** The definition, pixel by pixel: offsets of the element, pixels outside the image ignored. */
function naive(mask: Mask, sizePx: number, shape: StructuringShape, mode: 'dilate' | 'erode'): Mask {
  const r = (sizePx - 1) / 2;
  const { width, height, data } = mask;
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let any = false;
      let all = true;
      for (let dy = -r; dy <= r; dy++) {
        for (let dx = -r; dx <= r; dx++) {
          if (shape === 'disc' && dx * dx + dy * dy > r * r) continue;
          const xx = x + dx;
          const yy = y + dy;
          if (xx < 0 || yy < 0 || xx >= width || yy >= height) continue;
          if (data[yy * width + xx]) any = true;
          else all = false;
        }
      }
      out[y * width + x] = (mode === 'dilate' ? any : all) ? 1 : 0;
    }
  }
  return { data: out, width, height };
}

describe('dilateMask / erodeMask', () => {
  it('match the pixel-by-pixel definition on random masks, both shapes, several sizes', () => {
    const next = rng(7);
    for (const shape of ['square', 'disc'] as const) {
      for (const sizePx of [1, 3, 5, 9]) {
        for (const [w, h, p] of [
          [23, 17, 0.3],
          [5, 31, 0.8],
          [2, 3, 0.5],
        ] as const) {
          const m = randomMask(w, h, p, next);
          expect(dilateMask(m, sizePx, shape).data).toEqual(naive(m, sizePx, shape, 'dilate').data);
          expect(erodeMask(m, sizePx, shape).data).toEqual(naive(m, sizePx, shape, 'erode').data);
        }
      }
    }
  });

  it('grow one pixel into the element: a 3x3 square, a 13-pixel disc of size 5', () => {
    const one = maskFromArt(['.......', '.......', '.......', '...#...', '.......', '.......', '.......']);
    expect(maskToArt(dilateMask(one, 3, 'square'))).toEqual([
      '.......',
      '.......',
      '..###..',
      '..###..',
      '..###..',
      '.......',
      '.......',
    ]);
    expect(maskToArt(dilateMask(one, 5, 'disc'))).toEqual([
      '.......',
      '...#...',
      '..###..',
      '.#####.',
      '..###..',
      '...#...',
      '.......',
    ]);
  });

  it('has FAST disc rows: radius 4 half-widths', () => {
    expect(Array.from(discHalfWidths(4))).toEqual([0, 2, 3, 3, 4, 3, 3, 2, 0]);
  });

  it('rejects an even or non-integer element size, naming the parameter', () => {
    const m = maskFromArt(['#']);
    expect(() => dilateMask(m, 4)).toThrow(TissueParamError);
    expect(() => dilateMask(m, 4)).toThrow(/"sizePx": expected an odd integer >= 1, received 4 \(number\)/);
    expect(() => erodeMask(m, 3, 'diamond' as StructuringShape)).toThrow(/"shape".*received "diamond"/);
  });
});

describe('closeMask', () => {
  it('fills a gap narrower than a square element exactly, and keeps tissue on the image edge', () => {
    // Two blocks 4 px apart; the left one touches the image edge.
    const m = rectMask(40, 30, [
      [0, 10, 12, 20],
      [16, 10, 28, 20],
    ]);
    const closed = closeMask(m, 9, 9, 'square');
    expect(closed.data).toEqual(rectMask(40, 30, [[0, 10, 28, 20]]).data);
  });

  it('leaves a gap wider than the element open', () => {
    const m = rectMask(50, 30, [
      [5, 10, 15, 20],
      [25, 10, 35, 20],
    ]);
    expect(closeMask(m, 9, 9, 'square').data).toEqual(m.data);
    expect(closeMask(m, 9, 9, 'disc').data).toEqual(m.data);
  });

  it('with a disc fills the middle rows of a narrow gap', () => {
    const m = rectMask(40, 30, [
      [5, 5, 15, 25],
      [19, 5, 30, 25],
    ]);
    const closed = closeMask(m, 9, 9, 'disc');
    for (let x = 15; x < 19; x++) expect(closed.data[15 * 40 + x]).toBe(1);
    expect(closed.data[2 * 40 + 17]).toBe(0);
  });
});
