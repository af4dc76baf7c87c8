// Writes one planned slide as an Aperio-style SVS (tiled pyramidal TIFF, 256 px JPEG tiles) that
// OpenSlide 3.4.1 opens as vendor "aperio" with its mpp and objective power. OpenSlide's aperio
// reader takes every tiled directory as a level and names the untiled directory 1 "thumbnail";
// the properties come from directory 0's ImageDescription: "Aperio ...|Key = value|...".
import { tissueOf } from './cohort';
import { encodeJpeg, loadSharp, jpegOptions } from './jpeg';
import type { BigTiffMode, SlidePlan } from './plan';
import { PyramidBuilder, pyramidLevels, type PyramidLevel } from './pyramid';
import { SlideRenderer, TILE_PX } from './texture';
import { COMPRESSION_JPEG, PHOTOMETRIC_YCBCR, SUBFILE_REDUCED } from '@slidepipe/openslide/tiff-tags';
import { TiledTiffWriter, type DataRef } from './tiff-writer';
import { HardSlideRenderer } from './hard-texture';
import type { TextureSource } from './texture-source';

export const GENERATOR = 'slidepipe wsi-synth';
const APERIO_PREFIX = 'Aperio Image Library v12.0.15';
/** Longer side of the thumbnail directory, as Aperio scanners write it. */
const THUMBNAIL_PX = 768;

export interface SlideWriteOptions {
  jpegQuality: number;
  bigTiff: BigTiffMode;
  smallestLevelPx: number;
  /** The real tissue of hard slides (required when the plan is hard). */
  texture?: TextureSource;
  /** Called after each level-0 tile row (for progress). */
  onRow?: (row: number, rows: number) => void;
}

export interface RgbImage {
  data: Uint8Array;
  widthPx: number;
  heightPx: number;
}

export interface SlideWriteResult {
  bytes: number;
  bigTiff: boolean;
  levels: { widthPx: number; heightPx: number; downsample: number }[];
  /** Level-0 tiles holding tissue or ink (the rest is glass, stored once). */
  drawnTiles: number;
  tiles: number;
  /** The smallest level's pixels, for the contact sheet. */
  smallest: RgbImage;
}

/** The ImageDescription of directory 0, in Aperio's "header|key = value|..." form. */
export function aperioDescription(plan: SlidePlan, quality: number): string {
  const w = plan.widthPx;
  const h = plan.heightPx;
  return [
    `${APERIO_PREFIX}\r\n${w}x${h} [0,0 ${w}x${h}] (${TILE_PX}x${TILE_PX}) JPEG/YCC Q=${quality}`,
    `AppMag = ${plan.objectivePower}`,
    `MPP = ${plan.mpp}`,
    `Filename = ${plan.fileName.replace(/\.tif$/, '')}`,
    `ScanScope ID = SYNTH`,
    `Generator = ${GENERATOR}`,
    `Seed = ${plan.seed}`,
  ].join('|');
}

export async function writeSlide(plan: SlidePlan, path: string, opts: SlideWriteOptions): Promise<SlideWriteResult> {
  const sharp = await loadSharp();
  const levels = pyramidLevels(plan.widthPx, plan.heightPx, TILE_PX, opts.smallestLevelPx);
  if (plan.hard && !opts.texture) throw new Error(`synth: ${plan.fileName} is a hard slide: a texture is needed`);
  const renderer =
    plan.hard && opts.texture
      ? new HardSlideRenderer(plan, tissueOf(plan), opts.texture)
      : new SlideRenderer(plan, tissueOf(plan));
  // Hard cohorts: each patient's scanner compresses harder than the --jpeg-quality given.
  opts = { ...opts, jpegQuality: plan.hard?.stain.jpegQuality ?? opts.jpegQuality };
  const tiff = new TiledTiffWriter(path, opts.bigTiff);
  try {
    const pxPerCm = 10_000 / plan.mpp;
    const base = {
      compression: COMPRESSION_JPEG,
      photometric: PHOTOMETRIC_YCBCR,
      ycbcrSubsampling: [2, 2] as [number, number],
      software: GENERATOR,
    };
    // Directory order as in Aperio files: level 0, thumbnail, then the other levels.
    const imageOf: number[] = [];
    imageOf[0] = tiff.addImage({
      ...base,
      widthPx: plan.widthPx,
      heightPx: plan.heightPx,
      tilePx: TILE_PX,
      subfileType: 0,
      description: aperioDescription(plan, opts.jpegQuality),
      pxPerCm,
    });
    const smallest = levels[levels.length - 1];
    const thumbScale = Math.min(1, THUMBNAIL_PX / Math.max(smallest.widthPx, smallest.heightPx));
    const thumbW = Math.max(1, Math.round(smallest.widthPx * thumbScale));
    const thumbH = Math.max(1, Math.round(smallest.heightPx * thumbScale));
    const thumbnail = tiff.addImage({
      ...base,
      widthPx: thumbW,
      heightPx: thumbH,
      subfileType: SUBFILE_REDUCED,
      description: `${APERIO_PREFIX}\r\n${plan.widthPx}x${plan.heightPx} -> ${thumbW}x${thumbH} - `,
    });
    for (let l = 1; l < levels.length; l++) {
      const lv = levels[l];
      imageOf[l] = tiff.addImage({
        ...base,
        widthPx: lv.widthPx,
        heightPx: lv.heightPx,
        tilePx: TILE_PX,
        subfileType: SUBFILE_REDUCED,
        description: `${APERIO_PREFIX}\r\n${plan.widthPx}x${plan.heightPx} -> ${lv.widthPx}x${lv.heightPx} JPEG/YCC Q=${opts.jpegQuality}`,
        pxPerCm: pxPerCm / 2 ** l,
      });
    }

    const glass0 = renderer.backgroundTile();
    const smallestRgb = new Uint8Array(smallest.widthPx * smallest.heightPx * 3);
    let glassRefs: DataRef[] = [];
    const sink = async (level: number, row: number, tiles: (Uint8Array | null)[]) => {
      const jpegs = await Promise.all(tiles.map((t) => (t ? encodeJpeg(t, TILE_PX, TILE_PX, opts.jpegQuality) : null)));
      jpegs.forEach((j, col) => {
        if (j) tiff.writeTile(imageOf[level], col, row, j);
        else tiff.setTile(imageOf[level], col, row, glassRefs[level]);
      });
      if (level === levels.length - 1) copyRow(smallestRgb, smallest, row, tiles, builder.glass[level]);
    };
    const builder = new PyramidBuilder(levels, TILE_PX, glass0, sink);
    // One glass tile per level, written once and shared by every empty tile of that level.
    glassRefs = await Promise.all(builder.glass.map((g) => encodeJpeg(g, TILE_PX, TILE_PX, opts.jpegQuality))).then(
      (js) => js.map((j) => tiff.appendData(j)),
    );

    const lv0 = levels[0];
    let drawnTiles = 0;
    let free: Uint8Array[] = [];
    let inFlight: Promise<void> | undefined;
    let inFlightTiles: (Uint8Array | null)[] = [];
    for (let row = 0; row < lv0.down; row++) {
      // Draw this row while the previous one is being encoded (sharp works on other threads).
      const tiles: (Uint8Array | null)[] = [];
      for (let col = 0; col < lv0.across; col++) {
        const buf = free.pop() ?? new Uint8Array(TILE_PX * TILE_PX * 3);
        if (renderer.renderTile(col * TILE_PX, row * TILE_PX, buf)) {
          tiles.push(buf);
          drawnTiles++;
        } else {
          tiles.push(null);
          free.push(buf);
        }
      }
      if (inFlight) {
        await inFlight;
        free = free.concat(inFlightTiles.filter((t): t is Uint8Array => t !== null));
        opts.onRow?.(row - 1, lv0.down);
      }
      inFlight = builder.pushRow(tiles);
      inFlightTiles = tiles;
    }
    if (inFlight) await inFlight;
    opts.onRow?.(lv0.down - 1, lv0.down);
    builder.finish();

    const thumbJpeg = await sharp(smallestRgb, {
      raw: { width: smallest.widthPx, height: smallest.heightPx, channels: 3 },
    })
      .resize(thumbW, thumbH, { kernel: 'lanczos3', fit: 'fill' })
      .jpeg(jpegOptions(opts.jpegQuality))
      .toBuffer();
    tiff.writeStrip(thumbnail, thumbJpeg);
    const done = tiff.finish();
    return {
      bytes: done.bytes,
      bigTiff: done.bigTiff,
      levels: levels.map((lv, l) => ({ widthPx: lv.widthPx, heightPx: lv.heightPx, downsample: 2 ** l })),
      drawnTiles,
      tiles: lv0.across * lv0.down,
      smallest: { data: smallestRgb, widthPx: smallest.widthPx, heightPx: smallest.heightPx },
    };
  } catch (e) {
    tiff.abort();
    throw e;
  }
}

/** Copies a tile row of the smallest level into the whole-level image (clipping the padding). */
function copyRow(
  dest: Uint8Array,
  lv: PyramidLevel,
  row: number,
  tiles: (Uint8Array | null)[],
  glass: Uint8Array,
): void {
  for (let col = 0; col < tiles.length; col++) {
    const t = tiles[col] ?? glass;
    const x0 = col * TILE_PX;
    const w = Math.min(TILE_PX, lv.widthPx - x0);
    for (let y = 0; y < TILE_PX; y++) {
      const gy = row * TILE_PX + y;
      if (gy >= lv.heightPx) break;
      dest.set(t.subarray(y * TILE_PX * 3, (y * TILE_PX + w) * 3), (gy * lv.widthPx + x0) * 3);
    }
  }
}
