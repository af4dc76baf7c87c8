// The tiler's work on the real fixture slides: planning, streaming order and bounds, refusals.
import { describe, expect, it } from 'vitest';
import { decodeJpeg } from '@slidepipe/jpeg';
import { JpegTileReader, Slide } from '@slidepipe/openslide';
import { schemaFor } from '@slidepipe/schema';
import {
  BATCH_PATCHES,
  MAX_BLOCKS_IN_FLIGHT,
  patchBatches,
  patchJpegs,
  patchMeta,
  planTiling,
  tilingFacts,
  type TileOptions,
} from './tile';

import { SMALL_LEVELS_TIFF, SVS } from '@slidepipe/fixtures';
const SMALL_LEVELS = SMALL_LEVELS_TIFF;

const options = (over: Partial<TileOptions> = {}): TileOptions => ({
  resolution: { mpp: 0.5 },
  tilePx: 256,
  stridePx: 256,
  tissue: { name: 'rgb-distance', params: {} },
  minTissue: 0.5,
  pixels: true,
  quality: 85,
  ...over,
});

describe('planTiling', () => {
  it('reads level 0 as is for the 20x SVS, and keeps only tissue cells', async () => {
    const slide = await Slide.open(SVS);
    try {
      const t = await planTiling(slide, options());
      expect(t.plan).toMatchObject({ level: 0, readPx: 256, needsResize: false });
      expect([t.grid.cols, t.grid.rows]).toEqual([9, 12]);
      // About a third of this slide is tissue.
      expect(t.patches.count).toBeGreaterThan(20);
      expect(t.patches.count).toBeLessThan(60);
      for (const f of t.patches.tissue) expect(f).toBeGreaterThanOrEqual(0.5);
      const none = await planTiling(slide, options({ tissue: { name: 'none', params: {} }, minTissue: 0 }));
      expect(none.patches.count).toBe(108);
      expect(none.picture).toBeNull();
    } finally {
      await slide.close();
    }
  });

  it('reads 512 px and halves it when the slide is declared 0.25 µm/px', async () => {
    const slide = await Slide.open(SVS, { mpp: 0.25 });
    try {
      const t = await planTiling(slide, options());
      expect(t.plan).toMatchObject({ level: 0, readPx: 512, needsResize: true, resampleFactor: 2, outputMpp: 0.5 });
      expect(t.grid.extent0Px).toBe(512);
      expect(tilingFacts(t, options(), slide)).toMatchObject({
        read_px: 512,
        resample_factor: 2,
        extent0_px: 512,
        slide_mpp_source: 'override',
      });
    } finally {
      await slide.close();
    }
  });

  it('refuses a slide without resolution, naming --slide-mpp, and a target finer than level 0', async () => {
    const bare = await Slide.open(SMALL_LEVELS);
    await expect(planTiling(bare, options())).rejects.toThrowError(/states no resolution.*--slide-mpp/);
    await bare.close();
    const svs = await Slide.open(SVS);
    await expect(planTiling(svs, options({ resolution: { mpp: 0.25 } }))).rejects.toThrowError(
      /--mpp 0.25: finer than the slide's level 0/,
    );
    await svs.close();
  });
});

describe('patchBatches', () => {
  for (const reader of ['auto', 'openslide'] as const) {
    it(`hands out the first batch after reading a small part of the slide, then the rest in reading order (reader ${reader})`, async () => {
      const slide = await Slide.open(SVS);
      // Counts the pixels each read asks for, on whichever reader is in use.
      let readPx = 0;
      const spyOn = <T extends { readRegion: (...a: never[]) => unknown }>(target: T, w: number, h: number) => {
        const original = target.readRegion;
        target.readRegion = function (this: unknown, ...args: never[]) {
          readPx += (args[w] as number) * (args[h] as number);
          return original.apply(this, args);
        } as T['readRegion'];
        return () => (target.readRegion = original);
      };
      const restore = reader === 'openslide' ? spyOn(slide, 3, 4) : spyOn(JpegTileReader.prototype, 2, 3);
      try {
        // 64 px patches (about 1600) read in blocks of 2 x 2: several batches, many blocks.
        const opts = options({ tilePx: 64, stridePx: 64, tissue: { name: 'none', params: {} }, reader });
        const t = await planTiling(slide, opts, undefined, 128);
        expect(t.jpegTiles !== null).toBe(reader === 'auto');
        expect(t.patches.count).toBeGreaterThan(10 * BATCH_PATCHES);
        expect(t.blocks.length).toBeGreaterThan(t.patches.count / 5);
        const schema = schemaFor(patchMeta(slide, { slideId: 's', patientId: 'p' }, tilingFacts(t, opts, slide), null));
        const readAtBatch: number[] = [];
        const rows: { x0: number; y0: number }[] = [];
        let first: Uint8Array | null = null;
        for await (const batch of patchBatches(slide, t, schema, { slideId: 's' }, opts)) {
          readAtBatch.push(readPx);
          for (const r of batch) rows.push({ x0: r.x0, y0: r.y0 });
          first ??= batch.get(0)!.image as Uint8Array;
        }
        // Bounded read-ahead: one batch plus the blocks in flight, a small part of the slide.
        expect(readAtBatch[0]).toBeLessThanOrEqual((BATCH_PATCHES + 4 * (MAX_BLOCKS_IN_FLIGHT + 1)) * 64 * 64);
        expect(readAtBatch[0] / readPx).toBeLessThan(0.25);
        expect(readPx).toBe(t.patches.count * 64 * 64);
        expect(rows.map((r) => r.x0)).toEqual([...t.patches.x0]);
        expect(rows.map((r) => r.y0)).toEqual([...t.patches.y0]);
        const img = decodeJpeg(first!);
        expect([img.width, img.height]).toEqual([64, 64]);
      } finally {
        restore();
        await slide.close();
      }
    });
  }

  it('encodes the same JPEG bytes from JPEG tiles decoded directly as from OpenSlide, in blocks or patch by patch', async () => {
    const slide = await Slide.open(SVS);
    try {
      const collect = async (blockPx: number, reader: 'auto' | 'openslide') => {
        const opts = options({ tissue: { name: 'none', params: {} }, minTissue: 0, reader });
        const t = await planTiling(slide, opts, undefined, blockPx);
        const byCell = new Map<string, string>();
        let k = 0;
        for await (const jpeg of patchJpegs(slide, t, 85)) {
          byCell.set(`${t.patches.col[k]},${t.patches.row[k]}`, jpeg.toString('base64'));
          k++;
        }
        return { blocks: t.blocks.length, direct: t.jpegTiles !== null, byCell };
      };
      const runs = [
        await collect(2048, 'auto'),
        await collect(256, 'auto'),
        await collect(1024, 'openslide'),
        await collect(256, 'openslide'),
      ];
      // 9 x 12 cells: 2 x 2 blocks of up to 8 x 8, 3 x 3 of up to 4 x 4, or 108 single reads.
      expect(runs.map((r) => [r.blocks, r.direct])).toEqual([
        [4, true],
        [108, true],
        [9, false],
        [108, false],
      ]);
      const [first, ...others] = runs;
      expect(first.byCell.size).toBe(108);
      for (const other of others)
        for (const [cell, jpeg] of first.byCell) expect(other.byCell.get(cell), cell).toBe(jpeg);
    } finally {
      await slide.close();
    }
  });

  it('gives null images and reads nothing in coordinates-only mode', async () => {
    const slide = await Slide.open(SVS);
    try {
      const opts = options({ pixels: false });
      const t = await planTiling(slide, opts);
      let reads = 0;
      const read = slide.readRegion.bind(slide);
      slide.readRegion = (...args) => {
        reads++;
        return read(...args);
      };
      const schema = schemaFor(patchMeta(slide, { slideId: 's', patientId: 'p' }, tilingFacts(t, opts, slide), null));
      let n = 0;
      for await (const batch of patchBatches(slide, t, schema, { slideId: 's' }, opts)) {
        for (const r of batch) {
          expect(r.image).toBeNull();
          n++;
        }
      }
      expect(n).toBe(t.patches.count);
      expect(reads).toBe(0);
    } finally {
      await slide.close();
    }
  });
});
