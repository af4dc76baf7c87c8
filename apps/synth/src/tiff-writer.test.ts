import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeJpeg } from './jpeg';
import { readRegions, slideInfo, slideProperties } from './openslide-check';
import { COMPRESSION_JPEG, PHOTOMETRIC_YCBCR, SUBFILE_REDUCED } from '@slidepipe/openslide/tiff-tags';
import { TiledTiffWriter } from './tiff-writer';

const dir = mkdtempSync(join(tmpdir(), 'synth-tiff-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const T = 256;
const solid = (rgb: number[], w = T, h = T) => new Uint8Array(w * h * 3).map((_, i) => rgb[i % 3]);
// Six distinct colours for the 3 x 2 tiles of level 0 (row-major), so misplaced tiles show.
const COLOURS = [
  [200, 40, 40],
  [40, 200, 40],
  [40, 40, 200],
  [220, 200, 60],
  [60, 200, 220],
  [180, 80, 200],
];

async function writeSmall(path: string, mode: 'auto' | 'always' | 'never', skipTile = false) {
  const w = new TiledTiffWriter(path, mode);
  const base = {
    compression: COMPRESSION_JPEG,
    photometric: PHOTOMETRIC_YCBCR,
    ycbcrSubsampling: [2, 2] as [number, number],
  };
  const l0 = w.addImage({
    ...base,
    widthPx: 700,
    heightPx: 400,
    tilePx: T,
    subfileType: 0,
    pxPerCm: 20_000,
    description: 'Aperio Image Library test\r\n700x400 [0,0 700x400] (256x256) JPEG/YCC Q=90|AppMag = 20|MPP = 0.5',
  });
  const thumb = w.addImage({
    ...base,
    widthPx: 70,
    heightPx: 40,
    subfileType: SUBFILE_REDUCED,
    description: 'Aperio Image Library test\r\n700x400 -> 70x40',
  });
  const l1 = w.addImage({
    ...base,
    widthPx: 350,
    heightPx: 200,
    tilePx: T,
    subfileType: SUBFILE_REDUCED,
    pxPerCm: 10_000,
  });
  expect([w.tilesAcross(l0), w.tilesDown(l0), w.tilesAcross(l1), w.tilesDown(l1)]).toEqual([3, 2, 2, 1]);
  for (let r = 0; r < 2; r++) {
    for (let c = 0; c < 3; c++) {
      if (skipTile && r === 1 && c === 2) continue;
      w.writeTile(l0, c, r, await encodeJpeg(solid(COLOURS[r * 3 + c]), T, T, 90));
    }
  }
  // Level 1 shares one grey tile between both of its tiles.
  const grey = w.appendData(await encodeJpeg(solid([128, 128, 128]), T, T, 90));
  w.setTile(l1, 0, 0, grey);
  w.setTile(l1, 1, 0, grey);
  w.writeStrip(thumb, await encodeJpeg(solid([10, 250, 10], 70, 40), 70, 40, 90));
  return w.finish();
}

describe('TiledTiffWriter', () => {
  for (const mode of ['auto', 'always'] as const) {
    it(`writes a ${mode === 'always' ? 'BigTIFF' : 'classic TIFF'} that OpenSlide opens as Aperio with the right tiles`, async () => {
      const path = join(dir, `small-${mode}.svs`);
      const done = await writeSmall(path, mode);
      expect(done.bigTiff).toBe(mode === 'always');
      const head = readFileSync(path).subarray(0, 4);
      expect(head.readUInt16LE(2)).toBe(mode === 'always' ? 43 : 42);
      expect(readdirSync(dir).some((f) => f.endsWith('.partial'))).toBe(false);

      const props = slideProperties(path);
      expect(props['openslide.vendor']).toBe('aperio');
      expect(props['openslide.mpp-x']).toBe('0.5');
      expect(props['openslide.objective-power']).toBe('20');
      expect(props['tiff.ResolutionUnit']).toBe('centimeter');
      const info = slideInfo(path);
      expect(info.levelDimensions).toEqual([
        [700, 400],
        [350, 200],
      ]);
      expect(info.associated).toEqual(['thumbnail']);

      const centres = COLOURS.map((_, i) => ({
        x0: (i % 3) * T + 100,
        y0: Math.floor(i / 3) * T + 60,
        level: 0,
        widthPx: 8,
        heightPx: 8,
      }));
      const pixels = readRegions(path, [...centres, { x0: 100, y0: 100, level: 1, widthPx: 8, heightPx: 8 }]);
      COLOURS.forEach((rgb, i) => {
        for (let c = 0; c < 3; c++) expect(Math.abs(pixels[i][c] - rgb[c])).toBeLessThanOrEqual(4);
      });
      for (let c = 0; c < 3; c++) expect(Math.abs(pixels[6][c] - 128)).toBeLessThanOrEqual(3);

      // An independent reader (libvips through libtiff) agrees on the structure.
      const header = execFileSync('vipsheader', [path], { encoding: 'utf8' });
      expect(header).toContain('700x400');
    });
  }

  it('refuses to finish with a missing tile and leaves no file behind', async () => {
    const path = join(dir, 'missing.svs');
    await expect(writeSmall(path, 'auto', true)).rejects.toThrow(/tile 2,1 was never written/);
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(dir).some((f) => f.startsWith('.missing'))).toBe(false);
  });

  it('refuses tiles outside the image', () => {
    const w = new TiledTiffWriter(join(dir, 'outside.svs'));
    const im = w.addImage({
      widthPx: 300,
      heightPx: 300,
      tilePx: T,
      subfileType: 0,
      photometric: PHOTOMETRIC_YCBCR,
      compression: COMPRESSION_JPEG,
    });
    expect(() => w.writeTile(im, 2, 0, new Uint8Array(4))).toThrow(/outside image/);
    w.abort();
    expect(existsSync(join(dir, '.outside.svs.partial'))).toBe(false);
  });
});
