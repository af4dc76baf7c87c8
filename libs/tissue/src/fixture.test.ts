// The detectors on a real slide, against an independent Python/PIL computation of the same rules
// (reference/tissue_reference.py), and per-patch tissue fractions on known areas of it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saturation } from './color';
import { otsuSaturationThreshold } from './detectors/otsu-saturation';
import { MaskIntegral, maskScale, patchTissueFraction } from './fraction';
import { countTissuePx } from './mask';
import { medianFilter } from './median';
import { maskOverlayPng } from './overlay';
import { getDetector } from './registry';
import type { Mask, RgbImage } from './types';
import { SVS } from '@slidepipe/fixtures';

const here = fileURLToPath(new URL('.', import.meta.url));
// Debian's interpreter: it has python3-openslide and python3-pil (tools/setup.sh installs them).
const PYTHON = '/usr/bin/python3';

async function readRgb(path: string): Promise<RgbImage> {
  const { data, info } = await sharp(path)
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  expect(info.channels).toBe(3);
  return { data: new Uint8Array(data), width: info.width, height: info.height };
}

async function readMask(path: string): Promise<Mask> {
  const { data, info } = await sharp(path).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
  return { data: Uint8Array.from(data, (v) => (v > 127 ? 1 : 0)), width: info.width, height: info.height };
}

function agreement(a: Mask, b: Mask): number {
  expect([a.width, a.height]).toEqual([b.width, b.height]);
  let same = 0;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] === b.data[i]) same++;
  return same / a.data.length;
}

describe('on CMU-1-Small-Region.svs (383 x 512 thumbnail, about 5.8 um/px)', () => {
  let dir: string;
  let thumb: RgbImage;
  let info: { width: number; height: number; level0: [number, number]; otsuThreshold: number };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tissue-fixture-'));
    execFileSync(PYTHON, [join(here, 'reference/tissue_reference.py'), SVS, dir, '512'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    info = JSON.parse(readFileSync(join(dir, 'info.json'), 'utf8'));
    thumb = await readRgb(join(dir, 'thumb.png'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('rgb-distance (square element) agrees with the reference on at least 99.9 % of pixels', async () => {
    const ref = await readMask(join(dir, 'rgb-distance.png'));
    const mask = getDetector('rgb-distance', { shape: 'square' }).detect(thumb);
    expect(agreement(mask, ref)).toBeGreaterThanOrEqual(0.999);
    // A third of this thumbnail is tissue: the comparison is not between two empty masks.
    expect(countTissuePx(ref) / ref.data.length).toBeGreaterThan(0.25);
    // The default disc element changes only the outline.
    expect(agreement(getDetector('rgb-distance').detect(thumb), ref)).toBeGreaterThanOrEqual(0.98);
  });

  it('otsu-saturation agrees with the reference on at least 99.9 % of pixels, with the same Otsu threshold', async () => {
    const ref = await readMask(join(dir, 'otsu-saturation.png'));
    const mask = getDetector('otsu-saturation').detect(thumb);
    expect(agreement(mask, ref)).toBeGreaterThanOrEqual(0.999);
    expect(countTissuePx(ref) / ref.data.length).toBeGreaterThan(0.25);
    const blurred = medianFilter(saturation(thumb), thumb.width, thumb.height, 7);
    expect(otsuSaturationThreshold(blurred, 0)).toBe(info.otsuThreshold);
  });

  it('gives about 0 tissue for a white-background patch and a high fraction inside the tissue', () => {
    const [w0, h0] = info.level0;
    // Level-0 footprints of 400 x 400 px: background at the left edge, tissue low in the middle.
    const background = { x0: 0, y0: 2200, width0: 400, height0: 400 };
    const tissue = { x0: 1000, y0: 2300, width0: 400, height0: 400 };
    for (const name of ['rgb-distance', 'otsu-saturation']) {
      const mask = getDetector(name).detect(thumb);
      const integral = new MaskIntegral(mask);
      const scale = maskScale(mask, w0, h0);
      expect(patchTissueFraction(integral, background, scale), name).toBeLessThan(0.01);
      expect(patchTissueFraction(integral, tissue, scale), name).toBeGreaterThan(0.9);
    }
    const all = getDetector('none').detect(thumb);
    expect(patchTissueFraction(new MaskIntegral(all), background, maskScale(all, w0, h0))).toBeCloseTo(1, 12);
  });

  it('writes an overlay a person can open, the thumbnail size', async () => {
    const png = await maskOverlayPng(thumb, getDetector('otsu-saturation').detect(thumb));
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', info.width, info.height]);
  });
});
