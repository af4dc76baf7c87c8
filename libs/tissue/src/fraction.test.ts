import { describe, expect, it } from 'vitest';
import { TissueInputError } from './errors';
import { MaskIntegral, maskScale, patchTissueFraction, tissueFraction, type MaskRect } from './fraction';
import { maskFromArt, randomMask, mulberry32 as rng } from '@slidepipe/testing';
import type { Mask } from './types';

/** Supersampling: a grid of points per mask pixel, each point tissue or not; converges to the area weighting. */
function sampledFraction(mask: Mask, rect: MaskRect, perPx: number): number {
  const nx = Math.ceil(rect.width * perPx);
  const ny = Math.ceil(rect.height * perPx);
  let hit = 0;
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      const x = rect.x + ((i + 0.5) / nx) * rect.width;
      const y = rect.y + ((j + 0.5) / ny) * rect.height;
      const px = Math.floor(x);
      const py = Math.floor(y);
      if (px >= 0 && py >= 0 && px < mask.width && py < mask.height && mask.data[py * mask.width + px]) hit++;
    }
  }
  return hit / (nx * ny);
}

/** Overlap of every pixel with the rectangle, summed: the definition of area weighting. */
function overlapFraction(mask: Mask, rect: MaskRect): number {
  let area = 0;
  for (let y = 0; y < mask.height; y++) {
    for (let x = 0; x < mask.width; x++) {
      if (!mask.data[y * mask.width + x]) continue;
      const ox = Math.max(0, Math.min(x + 1, rect.x + rect.width) - Math.max(x, rect.x));
      const oy = Math.max(0, Math.min(y + 1, rect.y + rect.height) - Math.max(y, rect.y));
      area += ox * oy;
    }
  }
  return area / (rect.width * rect.height);
}

describe('tissue fraction', () => {
  it('weights edge pixels by the area inside the rectangle', () => {
    const m = maskFromArt(['#.', '..']);
    expect(tissueFraction(m, { x: 0.5, y: 0.5, width: 1, height: 1 })).toBe(0.25);
    expect(new MaskIntegral(m).fraction({ x: 0.5, y: 0.5, width: 1, height: 1 })).toBeCloseTo(0.25, 12);
    // Half of the rectangle lies beyond the mask, where there is no tissue.
    const full = maskFromArt(['##', '##']);
    expect(tissueFraction(full, { x: 1, y: 0, width: 2, height: 2 })).toBe(0.5);
    expect(new MaskIntegral(full).fraction({ x: 1, y: 0, width: 2, height: 2 })).toBeCloseTo(0.5, 12);
    expect(new MaskIntegral(full).fraction({ x: -9, y: -9, width: 3, height: 3 })).toBe(0);
  });

  it('integral image, direct sum and per-pixel overlap agree on random masks and rectangles', () => {
    const next = rng(9);
    for (let trial = 0; trial < 6; trial++) {
      const w = 5 + Math.floor(next() * 40);
      const h = 5 + Math.floor(next() * 40);
      const m = randomMask(w, h, next(), next);
      const integral = new MaskIntegral(m);
      for (let q = 0; q < 50; q++) {
        // Some rectangles stick out of the mask on any side.
        const rect = {
          x: next() * (w + 4) - 4,
          y: next() * (h + 4) - 4,
          width: 0.2 + next() * w,
          height: 0.2 + next() * h,
        };
        const expected = overlapFraction(m, rect);
        expect(tissueFraction(m, rect)).toBeCloseTo(expected, 10);
        expect(integral.fraction(rect)).toBeCloseTo(expected, 10);
      }
    }
  });

  it('agrees with point sampling, which does not use the overlap formula', () => {
    const next = rng(21);
    const m = randomMask(30, 20, 0.5, next);
    const integral = new MaskIntegral(m);
    for (let q = 0; q < 10; q++) {
      const rect = { x: next() * 25, y: next() * 15, width: 1 + next() * 6, height: 1 + next() * 6 };
      // 200 samples per px: error below 1/200 per edge crossing.
      expect(Math.abs(integral.fraction(rect) - sampledFraction(m, rect, 200))).toBeLessThan(0.02);
    }
  });

  it('counts whole-pixel blocks', () => {
    const next = rng(4);
    const m = randomMask(17, 13, 0.4, next);
    const integral = new MaskIntegral(m);
    for (let q = 0; q < 40; q++) {
      const x0 = Math.floor(next() * 20) - 2;
      const y0 = Math.floor(next() * 16) - 2;
      const x1 = x0 + Math.floor(next() * 12);
      const y1 = y0 + Math.floor(next() * 12);
      let n = 0;
      for (let y = Math.max(0, y0); y < Math.min(13, y1); y++)
        for (let x = Math.max(0, x0); x < Math.min(17, x1); x++) n += m.data[y * 17 + x];
      expect(integral.countPx(x0, y0, x1, y1)).toBe(n);
    }
  });

  it('maps a level-0 patch footprint through the mask scale', () => {
    // A 4 x 2 mask of a 400 x 200 level-0 image: 100 level-0 px per mask px.
    const m = maskFromArt(['##..', '##..']);
    const scale = maskScale(m, 400, 200);
    expect(scale).toEqual({ maskPxPerLevel0PxX: 0.01, maskPxPerLevel0PxY: 0.01 });
    const integral = new MaskIntegral(m);
    expect(patchTissueFraction(integral, { x0: 0, y0: 0, width0: 200, height0: 200 }, scale)).toBeCloseTo(1, 12);
    expect(patchTissueFraction(integral, { x0: 150, y0: 0, width0: 100, height0: 100 }, scale)).toBeCloseTo(0.5, 12);
    expect(patchTissueFraction(integral, { x0: 300, y0: 100, width0: 256, height0: 256 }, scale)).toBe(0);
  });

  it('rejects an empty or non-finite rectangle', () => {
    const m = maskFromArt(['#']);
    expect(() => tissueFraction(m, { x: 0, y: 0, width: 0, height: 1 })).toThrow(TissueInputError);
    expect(() => new MaskIntegral(m).fraction({ x: Number.NaN, y: 0, width: 1, height: 1 })).toThrow(/finite x/);
    expect(() => maskScale(m, 0, 10)).toThrow(/level-0 width and height > 0/);
  });
});
