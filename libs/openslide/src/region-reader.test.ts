// The one reader of level pixels: it picks its path per level and both paths agree.
import { describe, expect, it } from 'vitest';
import { GENERIC_JPEG_TIF, SMALL_LEVELS_TIFF, SVS } from '@slidepipe/fixtures';
import { choosePixelPath, RegionReader } from './region-reader';
import { Slide } from './slide';

/** The rectangle of a region, packed (w * 4 bytes a row). */
function packed(region: { data: Buffer; rowBytes: number; offset: number }, w: number, h: number): Buffer {
  const out = Buffer.alloc(w * h * 4);
  for (let y = 0; y < h; y++)
    region.data.copy(out, y * w * 4, region.offset + y * region.rowBytes, region.offset + y * region.rowBytes + w * 4);
  return out;
}

describe('RegionReader', () => {
  it('decodes JPEG tiles directly where they apply and reads through OpenSlide elsewhere, saying why', async () => {
    for (const [path, direct] of [
      [SVS, true],
      [SMALL_LEVELS_TIFF, false],
    ] as const) {
      const slide = await Slide.open(path);
      const reader = await RegionReader.open(slide, 0);
      try {
        expect(reader.path.jpegTiles !== null, path).toBe(direct);
        expect(reader.path.openslideReason === null, path).toBe(direct);
        const region = await reader.readRegion(100, 200, 300, 150, Buffer.alloc(reader.bufferBytes(300, 150)));
        expect(region.rowBytes * 150).toBeLessThanOrEqual(reader.bufferBytes(300, 150));
      } finally {
        await reader.close();
        await slide.close();
      }
    }
    expect(
      choosePixelPath({ path: SVS, vendor: 'hamamatsu', levelDimensions: [{ width: 1, height: 1 }] }, 0)
        .openslideReason,
    ).toMatch(/vendor hamamatsu/);
  });

  it('gives the same BGRX from level-0 coordinates on either path, at a coarser level and over the edge', async () => {
    const slide = await Slide.open(GENERIC_JPEG_TIF);
    try {
      for (const [level, x0, y0, w, h] of [
        [0, 300, 1200, 700, 500],
        [1, 0, 0, 1110, 1483],
        [0, 1900, 2700, 512, 512],
      ]) {
        const direct = await RegionReader.open(slide, level);
        const openslide = await RegionReader.open(slide, level, { jpegTiles: null, openslideReason: 'test' });
        expect(direct.path.jpegTiles, `level ${level}`).not.toBeNull();
        const a = packed(await direct.readRegion(x0, y0, w, h, Buffer.alloc(direct.bufferBytes(w, h))), w, h);
        const b = packed(await openslide.readRegion(x0, y0, w, h, Buffer.alloc(openslide.bufferBytes(w, h))), w, h);
        for (let i = 0; i < a.length; i++)
          if ((i & 3) !== 3 && a[i] !== b[i]) expect.fail(`level ${level}: byte ${i} differs`);
        // In level pixels, as readLowRes reads.
        const ds = slide.levelDownsamples[level];
        const low = await direct.levelReader()(Math.round(x0 / ds), Math.round(y0 / ds), w, h);
        expect(
          Buffer.compare(packed({ data: Buffer.from(low.data), rowBytes: low.rowBytes, offset: low.offset }, w, h), a),
        ).toBe(0);
        await direct.close();
        await openslide.close();
      }
    } finally {
      await slide.close();
    }
  });
});
