import {
  copyFileSync,
  mkdtempSync,
  openSync,
  closeSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
  chmodSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  argbToBgrx,
  argbToRgb,
  OpenSlideError,
  PROPERTY_MPP_X,
  PROPERTY_OBJECTIVE_POWER,
  PROPERTY_VENDOR,
  Slide,
  levelProperty,
} from './index';
import type { SlideRegion } from './index';
import { GENERIC_JPEG_TIF, SMALL_LEVELS_TIFF, SVS } from '@slidepipe/fixtures';
import { pythonAssociatedImageRgb, pythonReadRegions, showProperties, type RegionSpec } from '@slidepipe/testing';

// Compares our premultiplied B,G,R,A words with those python-openslide got from the same
// openslide_read_region call: the same C library must give the same bytes. The values of partly
// transparent pixels depend on the pixman code path the CPU selects, so comparing after
// un-premultiplying would test a conversion formula instead. Returns the number of differing pixels.
function mismatchesVsPython(region: SlideRegion, argb: Buffer): number {
  let bad = 0;
  const n = region.width * region.height;
  const ours = new Uint32Array(region.data.buffer, region.data.byteOffset, n);
  const theirs = new Uint32Array(argb.buffer.slice(argb.byteOffset, argb.byteOffset + n * 4));
  for (let p = 0; p < n; p++) if (ours[p] !== theirs[p]) bad++;
  return bad;
}

function countAlpha(region: SlideRegion, predicate: (a: number) => boolean): number {
  let count = 0;
  for (let i = 3; i < region.data.length; i += 4) if (predicate(region.data[i])) count++;
  return count;
}

async function expectOpenSlideError(promise: Promise<unknown>, code: string): Promise<OpenSlideError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OpenSlideError);
  expect((err as OpenSlideError).reason).toBe(code);
  return err as OpenSlideError;
}

let scratchDir: string;
beforeAll(() => {
  scratchDir = mkdtempSync(join(tmpdir(), 'slidepipe-openslide-test-'));
});
afterAll(() => rmSync(scratchDir, { recursive: true, force: true }));

describe('Slide metadata', () => {
  it.each([SVS, GENERIC_JPEG_TIF, SMALL_LEVELS_TIFF])('agrees with openslide-show-properties: %s', async (path) => {
    const expected = showProperties(path);
    const slide = await Slide.open(path);
    try {
      expect(slide.properties).toEqual(expected);
      expect(slide.levelCount).toBe(Number(expected['openslide.level-count']));
      for (let level = 0; level < slide.levelCount; level++) {
        expect(slide.levelDimensions[level]).toEqual({
          width: Number(expected[levelProperty(level, 'width')]),
          height: Number(expected[levelProperty(level, 'height')]),
        });
        expect(slide.levelDownsamples[level]).toBe(Number(expected[levelProperty(level, 'downsample')]));
      }
      expect(slide.vendor).toBe(expected[PROPERTY_VENDOR]);
    } finally {
      await slide.close();
    }
  });

  it('knows the fixture slides’ shapes', () => {
    const svs = Slide.openSync(SVS);
    expect(svs.vendor).toBe('aperio');
    expect(svs.dimensions).toEqual({ width: 2220, height: 2967 });
    expect(svs.levelCount).toBe(1);
    const small = Slide.openSync(SMALL_LEVELS_TIFF);
    expect(small.levelDimensions.map((d) => [d.width, d.height])).toEqual([
      [300, 250],
      [150, 125],
      [75, 62],
      [37, 31],
    ]);
    expect(small.levelDownsamples[2]).toBeCloseTo(4.016, 3);
    return Promise.all([svs.close(), small.close()]);
  });

  it('takes mpp from OpenSlide for the SVS, with its objective power', async () => {
    const slide = await Slide.open(SVS, { mppOverride: 0.25 });
    expect(slide.properties[PROPERTY_MPP_X]).toBe('0.499');
    // The file's own resolution wins over the override.
    expect(slide.mpp).toEqual({ x: 0.499, y: 0.499, source: 'openslide' });
    expect(slide.objectivePower).toEqual({ value: 20, source: 'openslide' });
    await slide.close();
    // The `mpp` option replaces it (wrong scanner metadata); the objective power stays the file's.
    const replaced = await Slide.open(SVS, { mpp: 0.25 });
    expect(replaced.mpp).toEqual({ x: 0.25, y: 0.25, source: 'override' });
    expect(replaced.planRead(0.5)).toMatchObject({ level: 0, readPx: 512, needsResize: true });
    expect(replaced.objectivePower).toEqual({ value: 20, source: 'openslide' });
    await replaced.close();
  });

  it('takes mpp from the TIFF resolution tags for the generic TIFF and derives the objective power', async () => {
    const slide = await Slide.open(GENERIC_JPEG_TIF);
    expect(slide.properties[PROPERTY_MPP_X]).toBeUndefined();
    expect(slide.mpp?.source).toBe('tiff-resolution');
    expect(slide.mpp?.x).toBeCloseTo(10000 / 20040.08, 6);
    expect(slide.mpp?.y).toBeCloseTo(0.499, 3);
    expect(slide.properties[PROPERTY_OBJECTIVE_POWER]).toBeUndefined();
    expect(slide.objectivePower?.source).toBe('derived-from-mpp');
    expect(slide.objectivePower?.value).toBeCloseTo(20.04, 2);
    await slide.close();
  });

  it('has no mpp for small_HE_levels.tiff (72 dpi default) unless overridden', async () => {
    const plain = await Slide.open(SMALL_LEVELS_TIFF);
    expect(plain.properties['tiff.XResolution']).toMatch(/^28\.34/);
    expect(plain.mpp).toBeNull();
    expect(plain.objectivePower).toBeNull();
    expect(() => plain.planRead(0.5)).toThrowError(/states no resolution; pass mppOverride/);
    await plain.close();
    const overridden = await Slide.open(SMALL_LEVELS_TIFF, { mppOverride: { x: 0.5, y: 0.5 } });
    expect(overridden.mpp).toEqual({ x: 0.5, y: 0.5, source: 'override' });
    expect(overridden.objectivePower).toEqual({ value: 20, source: 'derived-from-mpp' });
    await overridden.close();
  });

  it('plans reads on the generic TIFF: level 1 for twice the mpp, level 0 read larger for 1.5x', async () => {
    const slide = await Slide.open(GENERIC_JPEG_TIF);
    const mppX = slide.mpp?.x ?? Number.NaN;
    const half = slide.planRead(2 * mppX);
    expect(half).toMatchObject({ level: 1, needsResize: false, readPx: 256 });
    expect(half.extent0Px).toBeCloseTo(256 * 2.000337, 2);
    const between = slide.planRead(1.5 * mppX, { tilePx: 224 });
    expect(between).toMatchObject({ level: 0, needsResize: true, readPx: 336, tilePx: 224 });
    await slide.close();
  });

  it('returns associated images as RGB equal to python-openslide’s', async () => {
    const slide = await Slide.open(SVS);
    expect([...slide.associatedImageNames].sort()).toEqual(['label', 'macro', 'thumbnail']);
    const thumb = slide.readAssociatedImage('thumbnail');
    expect([thumb.width, thumb.height]).toEqual([574, 768]);
    expect(thumb.data.equals(pythonAssociatedImageRgb(SVS, 'thumbnail'))).toBe(true);
    expect(() => slide.readAssociatedImage('overview')).toThrowError(/no associated image named "overview" \(has: /);
    await slide.close();
  });

  it('gives level choices from OpenSlide for bestLevelForDownsample', async () => {
    const slide = await Slide.open(GENERIC_JPEG_TIF);
    expect(slide.bestLevelForDownsample(1)).toBe(0);
    expect(slide.bestLevelForDownsample(5)).toBe(2);
    expect(slide.bestLevelForDownsample(1000)).toBe(4);
    await slide.close();
  });
});

describe('Slide.readRegion', () => {
  const cases: Array<[string, string, RegionSpec[]]> = [
    [
      'SVS, inside and past the right/bottom edge',
      SVS,
      [
        [1000, 1000, 0, 256, 256],
        [0, 0, 0, 300, 200],
        [2100, 2900, 0, 256, 256],
      ],
    ],
    [
      'generic JPEG TIFF, levels 1 and 2, unaligned origins',
      GENERIC_JPEG_TIF,
      [
        [512, 768, 1, 200, 150],
        [333, 777, 2, 100, 80],
        [-100, -60, 3, 64, 64],
      ],
    ],
    [
      'tiny pyramid with non-integer downsamples, partly outside',
      SMALL_LEVELS_TIFF,
      [
        [200, 150, 2, 64, 64],
        [-50, -50, 0, 128, 128],
        [7, 3, 3, 40, 40],
      ],
    ],
  ];

  it.each(cases)('matches python-openslide byte for byte: %s', async (_label, path, regions) => {
    const reference = pythonReadRegions(path, regions);
    const slide = await Slide.open(path);
    let offset = 0;
    for (const spec of regions) {
      const region = await slide.readRegion(...spec);
      const bytes = spec[3] * spec[4] * 4;
      expect(mismatchesVsPython(region, reference.subarray(offset, offset + bytes))).toBe(0);
      offset += bytes;
    }
    await slide.close();
  });

  it('turns areas outside the slide white and flags the region as not opaque', async () => {
    const spec: RegionSpec = [2100, 2900, 0, 256, 256];
    const slide = await Slide.open(SVS);
    const region = await slide.readRegion(...spec);
    await slide.close();
    expect(region.opaque).toBe(false);
    const transparent = countAlpha(region, (a) => a === 0);
    // 120 x 67 px of the 256 x 256 request lie on the slide.
    expect(transparent).toBe(256 * 256 - 120 * 67);
    const rgb = argbToRgb(region);
    const fromPil = pythonReadRegions(SVS, [spec], 'rgb-on-white');
    let maxDiff = 0;
    for (let i = 0; i < rgb.length; i++) maxDiff = Math.max(maxDiff, Math.abs(rgb[i] - fromPil[i]));
    expect(maxDiff).toBeLessThanOrEqual(1);
    // The bottom-right pixel is outside: pure white.
    expect([...rgb.subarray(rgb.length - 3)]).toEqual([255, 255, 255]);
    const bgrx = argbToBgrx(region);
    expect([...bgrx.subarray(bgrx.length - 4)]).toEqual([255, 255, 255, 255]);
  });

  it('flags fully inside regions as opaque, so the bytes are BGRX as they are', async () => {
    const slide = await Slide.open(SVS);
    const region = await slide.readRegion(1000, 1000, 0, 256, 256);
    await slide.close();
    expect(region.opaque).toBe(true);
    expect(argbToBgrx(region)).toBe(region.data);
  });

  it('returns correct data for 50 concurrent reads', async () => {
    const regions: RegionSpec[] = Array.from({ length: 50 }, (_, i) => [(i * 97) % 2100, (i * 211) % 2800, 0, 64, 48]);
    const reference = pythonReadRegions(SVS, regions);
    const slide = await Slide.open(SVS, { maxReadsInFlight: 3 });
    const promises = regions.map((spec) => slide.readRegion(...spec));
    // All 50 are accepted at once; at most 3 run, the rest wait in the queue.
    expect(slide.readsInFlight).toBe(50);
    const results = await Promise.all(promises);
    const bytes = 64 * 48 * 4;
    results.forEach((region, i) => {
      expect(region.x0).toBe(regions[i][0]);
      expect(mismatchesVsPython(region, reference.subarray(i * bytes, (i + 1) * bytes))).toBe(0);
    });
    expect(slide.readsInFlight).toBe(0);
    await slide.close();
  });

  it('stays within koffi’s 256 queued async calls when asked for 600 reads at once', async () => {
    const slide = await Slide.open(SMALL_LEVELS_TIFF);
    const results = await Promise.all(
      Array.from({ length: 600 }, (_, i) => slide.readRegion(i % 250, i % 200, 0, 16, 16)),
    );
    expect(results).toHaveLength(600);
    await slide.close();
  });

  it('reads into a caller buffer when given one', async () => {
    const slide = await Slide.open(SVS);
    const into = Buffer.alloc(128 * 128 * 4 + 100);
    const region = await slide.readRegion(500, 500, 0, 128, 128, { into });
    expect(region.data.buffer).toBe(into.buffer);
    const fresh = await slide.readRegion(500, 500, 0, 128, 128);
    expect(region.data.equals(fresh.data)).toBe(true);
    await expectOpenSlideError(slide.readRegion(0, 0, 0, 200, 200, { into }), 'INVALID_ARGUMENT');
    await slide.close();
  });

  it('rejects bad arguments with what was expected', async () => {
    const slide = await Slide.open(GENERIC_JPEG_TIF);
    const err = await expectOpenSlideError(slide.readRegion(0, 0, 5, 10, 10), 'INVALID_ARGUMENT');
    expect(err.message).toMatch(/level: expected an integer in 0..4, got 5/);
    await expectOpenSlideError(slide.readRegion(0, 0, 0, 0, 10), 'INVALID_ARGUMENT');
    await expectOpenSlideError(slide.readRegion(0.5, 0, 0, 10, 10), 'INVALID_ARGUMENT');
    await slide.close();
  });
});

describe('Slide.close', () => {
  it('waits for reads in flight, then refuses further use', async () => {
    const slide = await Slide.open(SVS, { maxReadsInFlight: 2 });
    const events: string[] = [];
    const regions: RegionSpec[] = Array.from({ length: 12 }, (_, i) => [i * 150, i * 200, 0, 128, 128]);
    const reads = regions.map((spec, i) => slide.readRegion(...spec).then((r) => (events.push(`read ${i}`), r)));
    const closing = slide.close().then(() => events.push('closed'));
    expect(slide.closed).toBe(true);
    await expectOpenSlideError(slide.readRegion(0, 0, 0, 8, 8), 'SLIDE_CLOSED');
    await closing;
    expect(events).toHaveLength(13);
    expect(events.at(-1)).toBe('closed');
    // The reads accepted before close() are complete and correct.
    const reference = pythonReadRegions(SVS, regions);
    const results = await Promise.all(reads);
    const bytes = 128 * 128 * 4;
    results.forEach((region, i) =>
      expect(mismatchesVsPython(region, reference.subarray(i * bytes, (i + 1) * bytes))).toBe(0),
    );
    expect(() => slide.readAssociatedImage('label')).toThrowError(/slide used after close\(\)/);
    expect(() => slide.bestLevelForDownsample(2)).toThrowError(OpenSlideError);
    await slide.close();
  });
});

describe('Slide.open errors', () => {
  it('names a missing file', async () => {
    const path = join(scratchDir, 'missing.svs');
    const err = await expectOpenSlideError(Slide.open(path), 'FILE_NOT_FOUND');
    expect(err.message).toBe(`file not found (slide ${path})`);
    expect(err.path).toBe(path);
    expect(err.exitCode).toBe(66);
  });

  it('names a text file renamed .svs as not a slide', async () => {
    const path = join(scratchDir, 'notes.svs');
    writeFileSync(path, 'these are my notes, not a slide\n');
    const err = await expectOpenSlideError(Slide.open(path), 'UNSUPPORTED_FORMAT');
    expect(err.message).toBe(`not a slide OpenSlide can read (slide ${path})`);
    expect(() => Slide.openSync(path)).toThrowError(OpenSlideError);
    expect(Slide.detectVendor(path)).toBeNull();
  });

  it('names a truncated copy of a slide, saying it is a damaged TIFF', async () => {
    const path = join(scratchDir, 'truncated.svs');
    writeFileSync(path, readFileSync(SVS).subarray(0, 500_000));
    const err = await expectOpenSlideError(Slide.open(path), 'UNSUPPORTED_FORMAT');
    expect(err.message).toContain(path);
    expect(err.message).toMatch(/a TIFF file, but not a readable slide: truncated, damaged/);
  });

  it('names a directory', async () => {
    await expectOpenSlideError(Slide.open(scratchDir), 'FILE_NOT_READABLE');
  });

  it('reports damaged tile data with OpenSlide’s message, and the error sticks to the handle', async () => {
    const path = join(scratchDir, 'corrupt-tiles.svs');
    copyFileSync(SVS, path);
    chmodSync(path, 0o644);
    const fd = openSync(path, 'r+');
    // Overwrite the middle of the tile data; the TIFF directories stay intact.
    writeSync(fd, Buffer.alloc(200_000), 0, 200_000, 900_000);
    closeSync(fd);
    const slide = await Slide.open(path);
    const err = await expectOpenSlideError(slide.readRegion(0, 0, 0, 2220, 2967), 'OPENSLIDE_ERROR');
    expect(err.openslideMessage).toMatch(/Not a JPEG file/);
    expect(err.message).toContain(path);
    // OpenSlide errors are sticky: an undamaged area now fails the same way.
    const again = await expectOpenSlideError(slide.readRegion(0, 0, 0, 16, 16), 'OPENSLIDE_ERROR');
    expect(again.openslideMessage).toBe(err.openslideMessage);
    await slide.close();
  });

  it('refuses bad options', async () => {
    await expectOpenSlideError(Slide.open(SVS, { maxReadsInFlight: 0 }), 'INVALID_ARGUMENT');
    await expectOpenSlideError(Slide.open(SMALL_LEVELS_TIFF, { mppOverride: -1 }), 'INVALID_ARGUMENT');
  });
});
