// The low-resolution picture against an independent one: python3-openslide reads level 0 whole and
// PIL box-filters it to the same size.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Slide } from './slide';
import { findJpegTileLevel, JpegTileReader, type JpegTileLevel } from './jpeg-tiles';
import { LOWRES_MAX_PX, planLowRes, readLowRes } from './lowres';

import { GENERIC_JPEG_TIF, SVS } from '@slidepipe/fixtures';
const GENERIC_TIF = GENERIC_JPEG_TIF;

const BOX_SCRIPT = `
import sys, openslide
from PIL import Image
path, w, h, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
s = openslide.OpenSlide(path)
im = s.read_region((0, 0), 0, s.dimensions)
im = Image.alpha_composite(Image.new('RGBA', im.size, (255, 255, 255, 255)), im).convert('RGB')
open(out, 'wb').write(im.resize((w, h), Image.BOX).tobytes())
`;

const dir = mkdtempSync(join(tmpdir(), 'wsi-tile-lowres-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function pythonBox(path: string, width: number, height: number): Buffer {
  const out = join(dir, 'ref.rgb');
  execFileSync('/usr/bin/python3', ['-c', BOX_SCRIPT, path, String(width), String(height), out]);
  return readFileSync(out);
}

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

describe('planLowRes', () => {
  it('aims at about 4 µm/px from the coarsest level that is not coarser than that', () => {
    const svs = { dimensions: { width: 2220, height: 2967 }, levelDownsamples: [1] };
    expect(planLowRes(svs, 0.499)).toMatchObject({ width: 277, height: 370, level: 0 });
    // Level 3 (downsample 8.017) is a hair coarser than 2220 / 277 = 8.014: level 2 it is.
    const generic = { dimensions: { width: 2220, height: 2967 }, levelDownsamples: [1, 2.0003, 4.002, 8.0167, 16.04] };
    expect(planLowRes(generic, 0.499)).toMatchObject({ width: 277, height: 370, level: 2 });
  });

  it('gets coarser than 4 µm/px rather than larger than its pixel budget', () => {
    const digilut = { dimensions: { width: 83_000, height: 198_000 }, levelDownsamples: [1, 4, 16, 64] };
    const plan = planLowRes(digilut, 0.25);
    expect(plan.width * plan.height).toBeLessThanOrEqual(LOWRES_MAX_PX * 1.001);
    expect(plan.mpp).toBeGreaterThan(4);
    expect(plan.level).toBe(2);
  });
});

describe('readLowRes', () => {
  it('matches a PIL box filter of the whole level-0 image, on a single-level SVS and from a pyramid level', async () => {
    const reference = pythonBox(SVS, 277, 370);
    for (const path of [SVS, GENERIC_TIF]) {
      const slide = await Slide.open(path);
      try {
        const picture = await readLowRes(slide, planLowRes(slide, slide.mpp!.x));
        expect([picture.width, picture.height]).toEqual([277, 370]);
        // The generic TIFF went through JPEG once more and comes from level 2, where binning two
        // level pixels per picture pixel differs from PIL's fractional box by up to half a pixel.
        expect(meanAbsDiff(picture.data, reference), path).toBeLessThan(path === SVS ? 1.5 : 7);
      } finally {
        await slide.close();
      }
    }
  });

  it('reads in bands when the level is larger than one read, with the same result', async () => {
    const slide = await Slide.open(SVS);
    try {
      const plan = planLowRes(slide, slide.mpp!.x);
      const whole = await readLowRes(slide, plan);
      // A band budget of a few rows forces dozens of reads across and down.
      const limits = { maxReadPx: 300 * 40, maxReadSidePx: 300 };
      const banded = await readLowRes(slide, plan, undefined, limits);
      expect(Buffer.compare(Buffer.from(banded.data), Buffer.from(whole.data))).toBe(0);
      // The same from the JPEG tiles decoded directly.
      const tiles = await JpegTileReader.open(SVS, findJpegTileLevel(slide, plan.level) as JpegTileLevel);
      const direct = await readLowRes(slide, plan, undefined, limits, (x, y, w, h) =>
        tiles.readRegion(x, y, w, h, Buffer.alloc(tiles.bufferBytes(w, h))),
      );
      await tiles.close();
      expect(Buffer.compare(Buffer.from(direct.data), Buffer.from(whole.data))).toBe(0);
    } finally {
      await slide.close();
    }
  });
});
