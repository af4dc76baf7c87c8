import { describe, expect, it } from 'vitest';
import { Slide } from '@slidepipe/openslide';
import { slideInfo } from './info';

import { GENERIC_JPEG_TIF, SMALL_LEVELS_TIFF, SVS } from '@slidepipe/fixtures';

describe('slideInfo', () => {
  it('gives the 20x SVS its levels, associated images and a plan without resampling at 20x', async () => {
    const slide = await Slide.open(SVS);
    try {
      const info = slideInfo(slide, { magnification: 20 }, 256);
      expect(info).toMatchObject({
        vendor: 'aperio',
        width0: 2220,
        height0: 2967,
        level_count: 1,
        mpp: { x: 0.499, source: 'openslide' },
      });
      expect(info.magnification).toEqual({ value: 20, source: 'openslide' });
      expect(info.levels[0]).toMatchObject({ mpp: 0.499, magnification: 20, tile_width: 240, tile_height: 240 });
      expect(Object.keys(info.associated_images).sort()).toEqual(['label', 'macro', 'thumbnail']);
      expect(info.target).toMatchObject({
        mpp: 0.499,
        level: 0,
        resample: false,
        read_px: 256,
        extent0_px: 256,
        output_mpp: 0.499,
      });
      expect(info.properties['aperio.AppMag']).toBe('20');
    } finally {
      await slide.close();
    }
  });

  it('derives mpp from TIFF resolution tags for the generic TIFF and picks level 1 for 1 µm/px', async () => {
    const slide = await Slide.open(GENERIC_JPEG_TIF);
    try {
      const info = slideInfo(slide, { mpp: 1 }, 256);
      expect(info.mpp?.source).toBe('tiff-resolution');
      expect(info.magnification?.source).toBe('derived-from-mpp');
      expect(info.levels.map((l) => l.level)).toEqual([0, 1, 2, 3, 4]);
      expect(info.levels[3].mpp).toBeCloseTo(4.0, 2);
      expect(info.target).toMatchObject({ level: 1, resample: false, read_px: 256 });
      expect(info.target!.extent0_px).toBe(512);
      // 1.5 µm/px: level 1 (about 1 µm/px) read 385 px (256 * 3.006 / 2.0003) and shrunk.
      expect(slideInfo(slide, { mpp: 1.5 }, 256).target).toMatchObject({ level: 1, resample: true, read_px: 385 });
    } finally {
      await slide.close();
    }
  });

  it('leaves the plan out for a slide without resolution, and makes one with a replacement mpp', async () => {
    const path = SMALL_LEVELS_TIFF;
    const bare = await Slide.open(path);
    expect(slideInfo(bare, { mpp: 0.5 }, 256)).toMatchObject({ mpp: null, magnification: null, target: null });
    expect(slideInfo(bare, { mpp: 0.5 }, 256).levels[2].mpp).toBeNull();
    await bare.close();
    const given = await Slide.open(path, { mpp: 0.5 });
    expect(slideInfo(given, { mpp: 2 }, 256).target).toMatchObject({ level: 2, resample: false });
    await given.close();
  });
});
