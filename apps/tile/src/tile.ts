// wsi-tile's work: plan the patch grid of one slide at the output resolution, keep the cells with
// enough tissue, then read them in blocks of neighbouring patches, resample and JPEG-encode each
// patch, a bounded number of blocks at a time, and hand them out as Arrow record batches while
// the rest of the slide is still being read.
import { makeBatch, type StreamMeta, type ProvenanceEntry } from '@slidepipe/schema';
import { SlidepipeError, usageError } from '@slidepipe/cli';
import {
  choosePixelPath,
  mppForMagnification,
  planLowRes,
  readLowRes,
  RegionReader,
  type LowResImage,
  type PixelPath,
  type ReadPlan,
  type Slide,
} from '@slidepipe/openslide';
import { encodeJpegAsync } from '@slidepipe/jpeg';
import {
  getDetector,
  MaskIntegral,
  maskScale,
  patchTissueFraction,
  type Mask,
  type Params,
  type TissueDetector,
} from '@slidepipe/tissue';
import type { RecordBatch, Schema } from 'apache-arrow';
import { BLOCK_PX, planBlocks, TILE_BLOCK_PX, type ReadBlock } from './blocks';
import { insideFraction, makeGrid, selectPatches, type Grid, type PatchList } from './grid';
import { downscale4 } from './resample';

export const DEFAULT_MPP = 0.5;
export const DEFAULT_TILE_PX = 256;
export const DEFAULT_MIN_TISSUE = 0.5;
export const DEFAULT_QUALITY = 85;
/** Patches per record batch: small enough that the first batch leaves early, large enough to be cheap. */
export const BATCH_PATCHES = 128;
// Pixel buffers of blocks being read or encoded at once are bounded by this many bytes.
const IN_FLIGHT_BYTES = 64 * 1024 * 1024;
export const MAX_BLOCKS_IN_FLIGHT = 8;
// Relative mismatch between a level and the target accepted as "no resampling" (as planRead).
const TOLERANCE = 0.01;

/** The output resolution as asked: µm per pixel, or a magnification relative to the objective. */
export type Resolution = { mpp: number } | { magnification: number };

export interface TileOptions {
  resolution: Resolution;
  tilePx: number;
  /** Output pixels from one patch origin to the next (tilePx = no overlap). */
  stridePx: number;
  tissue: { name: string; params: Params };
  minTissue: number;
  /** JPEG-encode the pixels; false for coordinates only. */
  pixels: boolean;
  quality: number;
  /** Also keep the low-resolution picture (for the grid PNG) even when no detector needs it. */
  keepPicture?: boolean;
  /** 'auto': decode the JPEG tiles of Aperio and generic TIFF levels directly; 'openslide': always ask OpenSlide. */
  reader?: 'auto' | 'openslide';
}

/** The output resolution in µm per pixel. A slide without mpp fails here, naming the flag that fixes it. */
export function targetMpp(slide: Slide, resolution: Resolution): number {
  if (!slide.mpp) {
    throw new SlidepipeError(
      'bad-input',
      slide.path,
      'the slide states no resolution (no openslide.mpp-x, no usable TIFF resolution tags): give it with --slide-mpp UM_PER_PX (e.g. 0.25 for a 40x scan)',
    );
  }
  return 'mpp' in resolution
    ? resolution.mpp
    : mppForMagnification(slide.mpp, slide.objectivePower, resolution.magnification);
}

/** The patches' PixelPath: jpegTiles when the level's JPEG tiles are decoded directly, else openslideReason. */
export interface Tiling extends PixelPath {
  plan: ReadPlan;
  grid: Grid;
  /** Kept patches in reading order (block by block). */
  patches: PatchList;
  blocks: ReadBlock[];
  detector: TissueDetector;
  /** The picture tissue was detected on; null when nothing needed it. */
  picture: LowResImage | null;
  mask: Mask | null;
}

/** How a level is read: the library's choice, or OpenSlide when --reader openslide says so. */
function pixelPath(slide: Slide, level: number, how: TileOptions['reader']): PixelPath {
  return how === 'openslide'
    ? { jpegTiles: null, openslideReason: 'asked for with --reader openslide' }
    : choosePixelPath(slide, level);
}

/** Chooses level and resampling, detects tissue, lays the grid, keeps the tissue cells and groups them into reads. */
export async function planTiling(
  slide: Slide,
  options: TileOptions,
  signal?: AbortSignal,
  blockPx?: number,
): Promise<Tiling> {
  const mpp = targetMpp(slide, options.resolution);
  const plan = slide.planRead(mpp, { tilePx: options.tilePx, tolerance: TOLERANCE });
  if (plan.resampleFactor < 1 - TOLERANCE) {
    const flag =
      'mpp' in options.resolution
        ? `--mpp ${mpp}`
        : `--magnification ${(options.resolution as { magnification: number }).magnification}`;
    throw usageError(
      flag,
      `finer than the slide's level 0 (${slide.mpp!.x.toPrecision(4)} µm/px): patches would be enlarged; ask for ${slide.mpp!.x.toPrecision(4)} µm/px or coarser`,
    );
  }
  const detector = getDetector(options.tissue.name, options.tissue.params);
  const { width: width0, height: height0 } = slide.dimensions;
  if (plan.extent0Px > Math.min(width0, height0)) {
    const flag =
      'mpp' in options.resolution
        ? `--mpp ${mpp}`
        : `--magnification ${(options.resolution as { magnification: number }).magnification}`;
    throw usageError(
      flag,
      `a ${options.tilePx} px patch covers ${Math.round(plan.extent0Px)} px of level 0, more than the slide (${width0} x ${height0} px at ${slide.mpp!.x.toPrecision(4)} µm/px)`,
    );
  }
  const grid = makeGrid(width0, height0, plan.extent0Px, options.tilePx, options.stridePx);
  const detect = detector.name !== 'none';
  let picture: LowResImage | null = null;
  let mask: Mask | null = null;
  if (detect || options.keepPicture) {
    const lowPlan = planLowRes(slide, slide.mpp!.x);
    const reader = await RegionReader.open(slide, lowPlan.level, pixelPath(slide, lowPlan.level, options.reader));
    try {
      picture = await readLowRes(slide, lowPlan, signal, undefined, reader.levelReader());
    } finally {
      await reader.close();
    }
    if (detect) mask = detector.detect(picture);
  }
  let fraction: (x0: number, y0: number, extent0Px: number) => number;
  if (mask) {
    const integral = new MaskIntegral(mask);
    const scale = maskScale(mask, width0, height0);
    fraction = (x0, y0, e) => patchTissueFraction(integral, { x0, y0, width0: e, height0: e }, scale);
  } else {
    // No detection: every pixel of the slide is tissue, the outside is not.
    fraction = (x0, y0) => insideFraction(grid, x0, y0);
  }
  const { jpegTiles, openslideReason } = pixelPath(slide, plan.level, options.reader);
  const { patches, blocks } = planBlocks(
    selectPatches(grid, fraction, options.minTissue),
    grid,
    plan.readPx,
    plan.levelDownsample,
    blockPx ?? (jpegTiles ? TILE_BLOCK_PX : BLOCK_PX),
  );
  return { plan, grid, patches, blocks, jpegTiles, openslideReason, detector, picture, mask };
}

/** Stream facts of a patch stream: what a tool downstream needs to interpret the patches. */
export function tilingFacts(tiling: Tiling, options: TileOptions, slide: Slide): Record<string, unknown> {
  const { plan, grid, detector, picture } = tiling;
  return {
    tile_px: options.tilePx,
    stride_px: options.stridePx,
    mpp: plan.outputMpp,
    target_mpp: plan.targetMpp,
    ...('magnification' in options.resolution ? { magnification: options.resolution.magnification } : {}),
    slide_mpp_source: slide.mpp?.source ?? null,
    level: plan.level,
    level_downsample: plan.levelDownsample,
    resample_factor: plan.needsResize ? plan.resampleFactor : 1,
    read_px: plan.readPx,
    extent0_px: grid.extent0Px,
    stride0_px: grid.stride0Px,
    grid_cols: grid.cols,
    grid_rows: grid.rows,
    patches: tiling.patches.count,
    // Records come block by block (squares of grid cells read together), row by row inside a block.
    order: 'blocks',
    reader: tiling.jpegTiles ? 'tiff-jpeg-tiles' : 'openslide',
    tissue: {
      method: detector.name,
      params: detector.params,
      min_tissue: options.minTissue,
      ...(picture
        ? { picture_mpp: picture.mpp, picture_px: [picture.width, picture.height], picture_level: picture.level }
        : {}),
    },
    image: options.pixels ? { format: 'jpeg', quality: options.quality } : null,
  };
}

export function patchMeta(
  slide: Slide,
  ids: { slideId: string; patientId: string },
  facts: Record<string, unknown>,
  entry: ProvenanceEntry | null,
): StreamMeta {
  const { width, height } = slide.dimensions;
  return {
    record: 'patch',
    version: 1,
    slide: {
      slide_id: ids.slideId,
      patient_id: ids.patientId,
      width0: width,
      height0: height,
      mpp0: slide.mpp?.x ?? null,
      path: slide.path,
      vendor: slide.vendor ?? undefined,
    },
    facts,
    provenance: entry ? [entry] : [],
  };
}

/**
 * The JPEG of each kept patch, in reading order. Block reads run on koffi's worker threads inside
 * OpenSlide and encodes on libjpeg-turbo's, so both cores work while this loop only keeps them
 * fed and ordered; at most a few blocks (and their pixel buffers) exist at once.
 */
export async function* patchJpegs(
  slide: Slide,
  tiling: Tiling,
  quality: number,
  signal?: AbortSignal,
): AsyncGenerator<Buffer> {
  const { plan, patches, blocks } = tiling;
  const { readPx, tilePx, needsResize } = plan;
  const reader = await RegionReader.open(slide, plan.level, tiling);
  let maxBlockBytes = 0;
  for (const b of blocks) maxBlockBytes = Math.max(maxBlockBytes, reader.bufferBytes(b.widthPx, b.heightPx));
  const inFlight = Math.max(2, Math.min(MAX_BLOCKS_IN_FLIGHT, Math.floor(IN_FLIGHT_BYTES / maxBlockBytes)));
  // Block buffers are recycled: after the first few blocks the loop allocates no pixel memory.
  const free: Buffer[] = [];
  const encode = (pixels: Uint8Array, rowBytes: number) =>
    encodeJpegAsync(pixels, tilePx, tilePx, { pixelFormat: 'bgrx', quality, rowBytes });
  const one = async (b: ReadBlock): Promise<Buffer[]> => {
    const buf = free.pop() ?? Buffer.allocUnsafeSlow(maxBlockBytes);
    try {
      const { data, rowBytes, offset } = await reader.readRegion(b.x0, b.y0, b.widthPx, b.heightPx, buf);
      const jobs: Promise<Buffer>[] = [];
      for (let k = 0; k < b.count; k++) {
        const pixels = data.subarray(offset + b.offsetsPx[2 * k + 1] * rowBytes + b.offsetsPx[2 * k] * 4);
        if (!needsResize) jobs.push(encode(pixels, rowBytes));
        else jobs.push(encode(downscale4(pixels, readPx, readPx, tilePx, tilePx, undefined, rowBytes), tilePx * 4));
      }
      // Every encode must be over before the buffer is reused, failed or not.
      const done = await Promise.allSettled(jobs);
      const failed = done.find((d) => d.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
      return done.map((d) => (d as PromiseFulfilledResult<Buffer>).value);
    } finally {
      free.push(buf);
    }
  };
  const pending: Promise<Buffer[]>[] = [];
  let started = 0;
  let emitted = 0;
  try {
    for (let i = 0; i < blocks.length; i++) {
      while (started < blocks.length && started - i < inFlight) {
        const p = one(blocks[started++]);
        // Awaited in order below; this only keeps a failure that comes early from counting as unhandled.
        p.catch(() => undefined);
        pending.push(p);
      }
      signal?.throwIfAborted();
      for (const jpeg of await pending.shift()!) {
        emitted++;
        yield jpeg;
      }
    }
  } finally {
    // Reads still running (after a failure) finish before the file closes.
    await Promise.allSettled(pending);
    await reader.close();
  }
  if (emitted !== patches.count) throw new Error(`internal: ${emitted} patches encoded, ${patches.count} planned`);
}

/** Record batches of `schema` (a patch schema) for the kept patches, BATCH_PATCHES rows each. */
export async function* patchBatches(
  slide: Slide,
  tiling: Tiling,
  schema: Schema,
  ids: { slideId: string },
  options: Pick<TileOptions, 'pixels' | 'quality'>,
  signal?: AbortSignal,
): AsyncGenerator<RecordBatch> {
  const { patches, grid, plan } = tiling;
  const jpegs = options.pixels ? patchJpegs(slide, tiling, options.quality, signal) : null;
  for (let from = 0; from < patches.count; from += BATCH_PATCHES) {
    const to = Math.min(patches.count, from + BATCH_PATCHES);
    const n = to - from;
    const images: (Buffer | null)[] = new Array(n).fill(null);
    if (jpegs) {
      for (let k = 0; k < n; k++) {
        const next = await jpegs.next();
        if (next.done) throw new Error('patch stream ended early');
        images[k] = next.value;
      }
    }
    yield makeBatch(schema, {
      slide_id: new Array(n).fill(ids.slideId),
      x0: patches.x0.subarray(from, to),
      y0: patches.y0.subarray(from, to),
      w0: new Int32Array(n).fill(grid.extent0Px),
      h0: new Int32Array(n).fill(grid.extent0Px),
      col: patches.col.subarray(from, to),
      row: patches.row.subarray(from, to),
      mpp: new Float32Array(n).fill(plan.outputMpp),
      tissue: patches.tissue.subarray(from, to),
      image: images,
    });
  }
}
