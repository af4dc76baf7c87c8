import { describe, expect, it } from 'vitest';
import { countTissuePx } from '../mask';
import { getDetector } from '../registry';
import { fillRect, maskToArt, mulberry32 as rng, rectMask, solidRgb } from '@slidepipe/testing';
import type { RgbImage } from '../types';
import { TissueInputError } from '../errors';

const WHITE = [255, 255, 255] as const;
const PINK = [200, 100, 150] as const; // eosin-like: far from white, saturation 128
const PEN = [12, 10, 16] as const;

function noisyWhite(width: number, height: number, amplitude: number, seed: number): RgbImage {
  const next = rng(seed);
  const data = Uint8Array.from({ length: width * height * 3 }, () => 255 - Math.floor(next() * (amplitude + 1)));
  return { data, width, height };
}

describe('rgb-distance', () => {
  it('finds a tissue block on white exactly', () => {
    const img = solidRgb(60, 40, WHITE);
    fillRect(img, 10, 8, 35, 30, PINK);
    const mask = getDetector('rgb-distance').detect(img);
    expect(mask.data).toEqual(rectMask(60, 40, [[10, 8, 35, 30]]).data);
  });

  it('thresholds strictly above the distance: 85 is background, 86 is tissue', () => {
    const img = solidRgb(3, 1, WHITE);
    img.data.set([255 - 85, 255, 255], 0);
    img.data.set([255 - 86, 255, 255], 3);
    const mask = getDetector('rgb-distance', { dilationPx: 1, erosionPx: 1 }).detect(img);
    expect(Array.from(mask.data)).toEqual([0, 1, 0]);
  });

  it('ignores a black pen stroke, by the blackMax rule', () => {
    const img = solidRgb(60, 40, WHITE);
    fillRect(img, 5, 5, 25, 25, PINK);
    fillRect(img, 40, 8, 43, 32, PEN); // a 3 px vertical stroke away from the tissue
    const mask = getDetector('rgb-distance').detect(img);
    expect(mask.data).toEqual(rectMask(60, 40, [[5, 5, 25, 25]]).data);
    // blackMax -1 keeps the stroke: the rule, not the colour, removed it.
    const kept = getDetector('rgb-distance', { blackMax: -1, shape: 'square' }).detect(img);
    expect(kept.data).toEqual(
      rectMask(60, 40, [
        [5, 5, 25, 25],
        [40, 8, 43, 32],
      ]).data,
    );
  });

  it('finds nothing in noise on white', () => {
    // Each channel within 20 of white: at most 20 * sqrt(3) = 34.6 from white.
    expect(countTissuePx(getDetector('rgb-distance').detect(noisyWhite(50, 50, 20, 1)))).toBe(0);
  });

  it('closes a gap narrower than the element (square: exactly the bounding block)', () => {
    const img = solidRgb(50, 40, WHITE);
    fillRect(img, 5, 10, 20, 30, PINK);
    fillRect(img, 24, 10, 40, 30, PINK);
    const mask = getDetector('rgb-distance', { shape: 'square' }).detect(img);
    expect(mask.data).toEqual(rectMask(50, 40, [[5, 10, 40, 30]]).data);
  });
});

describe('otsu-saturation', () => {
  it('finds a saturated block on white exactly without blur or closing', () => {
    const img = noisyWhite(60, 40, 6, 2);
    fillRect(img, 10, 8, 35, 30, PINK);
    const mask = getDetector('otsu-saturation', { medianKernelPx: 1, closingPx: 1 }).detect(img);
    expect(mask.data).toEqual(rectMask(60, 40, [[10, 8, 35, 30]]).data);
  });

  it('gives an empty mask on a blank slide, where plain Otsu would split the noise', () => {
    const img = noisyWhite(80, 60, 10, 3);
    expect(countTissuePx(getDetector('otsu-saturation').detect(img))).toBe(0);
    // Without the floor, half the noise would be called tissue.
    expect(
      countTissuePx(getDetector('otsu-saturation', { minThreshold: 0, minAreaPx: 0 }).detect(img)),
    ).toBeGreaterThan(0);
  });

  it('drops components under minAreaPx and keeps larger ones', () => {
    const img = solidRgb(60, 40, WHITE);
    fillRect(img, 5, 5, 25, 25, PINK); // 400 px
    fillRect(img, 40, 10, 48, 18, PINK); // 64 px
    const mask = getDetector('otsu-saturation', { medianKernelPx: 1, closingPx: 1, minAreaPx: 100 }).detect(img);
    expect(mask.data).toEqual(rectMask(60, 40, [[5, 5, 25, 25]]).data);
  });

  it('fills holes up to maxHoleAreaPx', () => {
    const img = solidRgb(40, 40, WHITE);
    fillRect(img, 5, 5, 30, 30, PINK);
    fillRect(img, 10, 10, 14, 14, WHITE); // 16 px hole
    fillRect(img, 18, 18, 26, 26, WHITE); // 64 px hole
    const base = { medianKernelPx: 1, closingPx: 1 };
    const filled = getDetector('otsu-saturation', { ...base, maxHoleAreaPx: 20 }).detect(img);
    expect(maskToArt(filled)).toEqual(
      maskToArt(
        rectMask(40, 40, [
          [5, 5, 30, 18],
          [5, 18, 18, 26],
          [26, 18, 30, 26],
          [5, 26, 30, 30],
        ]),
      ),
    );
    expect(countTissuePx(getDetector('otsu-saturation', base).detect(img))).toBe(25 * 25 - 16 - 64);
  });

  it('calls a uniformly stained image all tissue (single-valued histogram, floor applies)', () => {
    expect(countTissuePx(getDetector('otsu-saturation').detect(solidRgb(20, 20, PINK)))).toBe(400);
  });
});

describe('none', () => {
  it('marks every pixel as tissue', () => {
    const mask = getDetector('none').detect(solidRgb(7, 3, WHITE));
    expect(Array.from(mask.data)).toEqual(new Array(21).fill(1));
  });
});

describe('detect input checks', () => {
  it('rejects a buffer that does not hold width x height RGB pixels', () => {
    for (const name of ['rgb-distance', 'otsu-saturation', 'none']) {
      expect(() => getDetector(name).detect({ data: new Uint8Array(10), width: 2, height: 2 })).toThrow(
        TissueInputError,
      );
      expect(() => getDetector(name).detect({ data: new Uint8Array(10), width: 2, height: 2 })).toThrow(
        'expected 12 bytes',
      );
    }
    expect(() => getDetector('none').detect({ data: new Uint8Array(0), width: 0, height: 0 })).toThrow(
      /positive integer width and height/,
    );
    try {
      getDetector('none').detect({ data: new Uint8Array(1), width: 1, height: 1 });
    } catch (e) {
      expect([(e as TissueInputError).code, (e as TissueInputError).exitCode]).toEqual(['bad-input', 65]);
    }
  });
});
