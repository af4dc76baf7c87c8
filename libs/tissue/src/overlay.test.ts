import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { maskOverlay, maskOverlayPng, maskToPng } from './overlay';
import { fillRect, maskFromArt, rectMask, solidRgb } from '@slidepipe/testing';

describe('maskToPng', () => {
  it('writes a greyscale PNG: tissue 255, background 0', async () => {
    const m = maskFromArt(['#..', '.#.', '..#', '##.']);
    const png = await maskToPng(m);
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.width, meta.height, meta.channels]).toEqual(['png', 3, 4, 1]);
    // sharp decodes to sRGB unless told to keep one channel.
    const data = await sharp(png).toColourspace('b-w').raw().toBuffer();
    expect(Array.from(data)).toEqual(Array.from(m.data, (v) => v * 255));
  });
});

describe('maskOverlay', () => {
  const img = solidRgb(8, 8, [100, 150, 250]);
  fillRect(img, 0, 0, 1, 1, [10, 20, 30]);
  const mask = rectMask(8, 8, [[2, 2, 7, 7]]);

  it('tints tissue, outlines its edge in the full tint, leaves background alone', () => {
    const out = maskOverlay(img, mask, { tintRgb: [0, 200, 0], alpha: 0.5 });
    const at = (x: number, y: number): number[] => Array.from(out.data.subarray((y * 8 + x) * 3, (y * 8 + x) * 3 + 3));
    expect(at(0, 0)).toEqual([10, 20, 30]);
    expect(at(1, 5)).toEqual([100, 150, 250]);
    expect(at(2, 4)).toEqual([0, 200, 0]); // edge
    expect(at(4, 4)).toEqual([50, 175, 125]); // inside: halfway to the tint
    expect(
      maskOverlay(img, mask, { tintRgb: [0, 200, 0], alpha: 0.5, outline: false }).data.subarray(
        (4 * 8 + 2) * 3,
        (4 * 8 + 2) * 3 + 3,
      ),
    ).toEqual(Uint8Array.from([50, 175, 125]));
  });

  it('samples a mask of another size nearest-neighbour', () => {
    // A 2 x 2 mask over an 8 x 8 image: its top-left pixel covers the top-left 4 x 4 block.
    const small = maskFromArt(['#.', '..']);
    const out = maskOverlay(img, small, { alpha: 1, outline: false, tintRgb: [1, 2, 3] });
    for (let y = 0; y < 8; y++) {
      for (let x = 0; x < 8; x++) {
        const p = (y * 8 + x) * 3;
        const tinted = x < 4 && y < 4;
        expect(out.data[p + 2] === 3).toBe(tinted);
      }
    }
  });

  it('rejects alpha outside [0, 1] and writes the overlay as an RGB PNG', async () => {
    expect(() => maskOverlay(img, mask, { alpha: 2 })).toThrow(/"alpha": expected a number in \[0, 1\], received 2/);
    const png = await maskOverlayPng(img, mask);
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([8, 8, 3]);
    expect(Uint8Array.from(data)).toEqual(maskOverlay(img, mask).data);
  });
});
