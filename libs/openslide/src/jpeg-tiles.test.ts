// The direct JPEG-tile reader against OpenSlide's own reads of the same rectangles.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { argbToBgrx } from './pixels';
import { Slide } from './slide';
import { findJpegTileLevel, JpegTileReader, type JpegTileLevel } from './jpeg-tiles';

import { GENERIC_JPEG_TIF, SMALL_LEVELS_TIFF, SVS } from '@slidepipe/fixtures';
const GENERIC_TIF = GENERIC_JPEG_TIF;
const DEFLATE_TIFF = SMALL_LEVELS_TIFF;

/** Our rectangle out of a TileRegion, packed (w * 4 bytes a row). */
function packed(region: { data: Buffer; rowBytes: number; offset: number }, w: number, h: number): Buffer {
  const out = Buffer.alloc(w * h * 4);
  for (let y = 0; y < h; y++)
    region.data.copy(out, y * w * 4, region.offset + y * region.rowBytes, region.offset + y * region.rowBytes + w * 4);
  return out;
}

/** Largest difference over the colour bytes (the fourth byte is padding). */
function maxColourDiff(a: Buffer, b: Buffer): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) if ((i & 3) !== 3) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

describe('JpegTileReader', () => {
  it('gives the same pixels as OpenSlide: Aperio JPEG/RGB tiles, generic YCbCr tiles, a coarser level, rectangles over the edge', async () => {
    const cases: [string, number, number, number, number, number][] = [
      // path, level, x, y (level px), w, h
      [SVS, 0, 0, 0, 2220, 2967],
      [SVS, 0, 1001, 777, 513, 300],
      [SVS, 0, 2000, 2800, 512, 512],
      [GENERIC_TIF, 0, 300, 1200, 1024, 1024],
      [GENERIC_TIF, 1, 0, 0, 1110, 1483],
      [GENERIC_TIF, 0, 1900, 2700, 512, 512],
    ];
    for (const [path, level, x, y, w, h] of cases) {
      const slide = await Slide.open(path);
      const dir = findJpegTileLevel(slide, level);
      expect(typeof dir, `${path} level ${level}: ${dir}`).toBe('object');
      const reader = await JpegTileReader.open(path, dir as JpegTileLevel);
      try {
        const ours = packed(await reader.readRegion(x, y, w, h, Buffer.alloc(reader.bufferBytes(w, h))), w, h);
        const ds = slide.levelDownsamples[level];
        const theirs = argbToBgrx(await slide.readRegion(Math.round(x * ds), Math.round(y * ds), level, w, h));
        expect(maxColourDiff(ours, theirs), `${path} level ${level} ${x},${y} ${w}x${h}`).toBe(0);
      } finally {
        await reader.close();
        await slide.close();
      }
    }
  });

  it('reads a BigTIFF pyramid (64-bit offsets, as large slides need) the same as OpenSlide', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wsi-tile-bigtiff-'));
    const path = join(dir, 'big.tif');
    // Loading sharp elsewhere in the process sets VIPSHOME, which Debian's vips must not see.
    const env = { ...process.env };
    delete env.VIPSHOME;
    execFileSync(
      'vips',
      [
        'tiffsave',
        GENERIC_TIF,
        path,
        '--bigtiff',
        '--tile',
        '--tile-width',
        '256',
        '--tile-height',
        '256',
        '--pyramid',
        '--compression',
        'jpeg',
        '--Q',
        '85',
      ],
      { env },
    );
    const slide = await Slide.open(path);
    try {
      expect(slide.vendor).toBe('generic-tiff');
      for (const [level, x, y, w, h] of [
        [0, 500, 600, 700, 800],
        [2, 0, 0, 555, 741],
      ]) {
        const dir0 = findJpegTileLevel(slide, level);
        expect(typeof dir0, String(dir0)).toBe('object');
        const reader = await JpegTileReader.open(path, dir0 as JpegTileLevel);
        const ours = packed(await reader.readRegion(x, y, w, h, Buffer.alloc(reader.bufferBytes(w, h))), w, h);
        await reader.close();
        const ds = slide.levelDownsamples[level];
        const theirs = argbToBgrx(await slide.readRegion(Math.round(x * ds), Math.round(y * ds), level, w, h));
        expect(maxColourDiff(ours, theirs), `level ${level}`).toBe(0);
      }
    } finally {
      await slide.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says why it does not apply: other compressions, other vendors, the user', async () => {
    const deflate = await Slide.open(DEFLATE_TIFF);
    expect(findJpegTileLevel(deflate, 0)).toMatch(/TIFF compression 8, not JPEG/);
    await deflate.close();
    expect(
      findJpegTileLevel({ path: SVS, vendor: 'hamamatsu', levelDimensions: [{ width: 1, height: 1 }] }, 0),
    ).toMatch(/vendor hamamatsu is read through OpenSlide/);
    expect(findJpegTileLevel({ path: SVS, vendor: 'aperio', levelDimensions: [{ width: 10, height: 10 }] }, 0)).toMatch(
      /no tiled TIFF directory of 10x10 px/,
    );
  });

  it('refuses a buffer too small for the rectangle widened to whole tiles', async () => {
    const slide = await Slide.open(SVS);
    const reader = await JpegTileReader.open(SVS, findJpegTileLevel(slide, 0) as JpegTileLevel);
    try {
      // 256 px starting at 100 spans tiles 0 and 1 of 240 px: 480 x 480 px.
      await expect(reader.readRegion(100, 100, 256, 256, Buffer.alloc(480 * 480 * 4 - 1))).rejects.toThrowError(
        /480x480 px need 921600 bytes/,
      );
    } finally {
      await reader.close();
      await slide.close();
    }
  });
});
