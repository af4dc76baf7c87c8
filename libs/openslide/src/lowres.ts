// The low-resolution picture of the whole slide that tissue detection runs on (and that the grid
// picture is drawn over). It is read from the coarsest level that is still at least as fine as the
// picture, in bands, and box-filtered down, so a single-level slide (no pyramid) works too without
// ever holding a full level in memory.
import type { Slide } from './slide';

/** µm per picture pixel that the tissue detectors' defaults suit (closing 9 px = 36 µm). */
export const LOWRES_MPP = 4;
/** Bounds the picture (and the detectors' working memory) on very large slides. */
export const LOWRES_MAX_PX = 8_000_000;
// One read covers at most this many level pixels (16 MB of ARGB).
const READ_MAX_PX = 4_194_304;
const READ_MAX_SIDE_PX = 4096;

export interface LowResPlan {
  width: number;
  height: number;
  /** µm per picture pixel along x (y differs only by rounding). */
  mpp: number;
  /** The level read, and how many of its pixels go into one picture pixel along x. */
  level: number;
  levelPxPerPx: number;
}

export interface LowResImage extends LowResPlan {
  /** RGB, 3 bytes per pixel, composited on white. */
  data: Uint8Array;
}

/** Size of the picture and the level to read it from. */
export function planLowRes(
  slide: Pick<Slide, 'levelDownsamples' | 'dimensions'>,
  mpp0: number,
  targetMpp = LOWRES_MPP,
  maxPx = LOWRES_MAX_PX,
): LowResPlan {
  const { width: width0, height: height0 } = slide.dimensions;
  let scale = Math.max(1, targetMpp / mpp0);
  // Coarser than asked when the picture would be too large.
  scale = Math.max(scale, Math.sqrt((width0 * height0) / maxPx));
  const width = Math.max(1, Math.round(width0 / scale));
  const height = Math.max(1, Math.round(height0 / scale));
  // Level-0 pixels per picture pixel, after rounding; a level coarser than that would leave holes.
  const px0 = Math.min(width0 / width, height0 / height);
  let level = 0;
  slide.levelDownsamples.forEach((ds, i) => {
    if (ds <= px0 && ds > slide.levelDownsamples[level]) level = i;
  });
  return { width, height, mpp: (mpp0 * width0) / width, level, levelPxPerPx: px0 / slide.levelDownsamples[level] };
}

/**
 * Reads a w x h rectangle at level pixel (x, y) of the planned level: 4 bytes a pixel, B, G, R,
 * then alpha (premultiplied, as OpenSlide gives) or 255; rows `rowBytes` apart from `offset`.
 */
export type LevelReader = (
  x: number,
  y: number,
  w: number,
  h: number,
) => Promise<{ data: Uint8Array; rowBytes: number; offset: number }>;

/** OpenSlide's reads of `level`. */
export function openslideLevelReader(slide: Slide, level: number): LevelReader {
  const ds = slide.levelDownsamples[level];
  return async (x, y, w, h) => {
    const r = await slide.readRegion(Math.round(x * ds), Math.round(y * ds), level, w, h);
    return { data: r.data, rowBytes: w * 4, offset: 0 };
  };
}

/** Bounds on one read (tests shrink them to force many bands). */
export interface ReadLimits {
  maxReadPx: number;
  maxReadSidePx: number;
}

/** Reads the level named by `plan` band by band and averages its pixels into the picture. */
export async function readLowRes(
  slide: Slide,
  plan: LowResPlan,
  signal?: AbortSignal,
  limits: ReadLimits = { maxReadPx: READ_MAX_PX, maxReadSidePx: READ_MAX_SIDE_PX },
  read: LevelReader = openslideLevelReader(slide, plan.level),
): Promise<LowResImage> {
  const { width, height, level } = plan;
  const { width: width0, height: height0 } = slide.dimensions;
  const ds = slide.levelDownsamples[level];
  const { width: lw, height: lh } = slide.levelDimensions[level];
  // Picture pixels per level pixel (<= 1): level pixel i lands in picture pixel floor((i + 0.5) * f).
  const fx = (width * ds) / width0;
  const fy = (height * ds) / height0;
  const pxOfCol = new Int32Array(lw);
  for (let i = 0; i < lw; i++) pxOfCol[i] = Math.min(width - 1, Math.floor((i + 0.5) * fx));
  const firstRowOf = (py: number) => Math.min(lh, Math.max(0, Math.ceil(py / fy - 0.5)));

  const out = new Uint8Array(width * height * 3).fill(255);
  const chunkW = Math.min(lw, limits.maxReadSidePx);
  const maxRows = Math.max(1, Math.floor(limits.maxReadPx / chunkW));
  // Picture rows per band: as many as fit in one read's height.
  const bandPx = Math.max(1, Math.floor(maxRows * fy));
  const sums = new Uint32Array(bandPx * width * 4);
  for (let py0 = 0; py0 < height; py0 += bandPx) {
    signal?.throwIfAborted();
    const py1 = Math.min(height, py0 + bandPx);
    const ly0 = firstRowOf(py0);
    const ly1 = py1 === height ? lh : firstRowOf(py1);
    if (ly1 <= ly0) continue;
    sums.fill(0);
    const reads = [];
    for (let lx0 = 0; lx0 < lw; lx0 += chunkW) {
      const w = Math.min(chunkW, lw - lx0);
      reads.push(read(lx0, ly0, w, ly1 - ly0).then((r) => ({ r, lx0, w })));
    }
    for (const { r, lx0, w } of await Promise.all(reads)) {
      const src = r.data;
      for (let y = 0; y < ly1 - ly0; y++) {
        const py = Math.min(height - 1, Math.floor((ly0 + y + 0.5) * fy));
        const rowBase = (py - py0) * width;
        let p = r.offset + y * r.rowBytes;
        for (let x = 0; x < w; x++, p += 4) {
          // Premultiplied ARGB over white: colour + (255 - alpha); nothing to add where opaque.
          const white = 255 - src[p + 3];
          const s = (rowBase + pxOfCol[lx0 + x]) * 4;
          sums[s] += src[p + 2] + white;
          sums[s + 1] += src[p + 1] + white;
          sums[s + 2] += src[p] + white;
          sums[s + 3]++;
        }
      }
    }
    for (let py = py0; py < py1; py++) {
      for (let px = 0; px < width; px++) {
        const s = ((py - py0) * width + px) * 4;
        const n = sums[s + 3];
        // A picture pixel no level pixel fell into (rounding at the far edge) stays white.
        if (n === 0) continue;
        const o = (py * width + px) * 3;
        out[o] = Math.min(255, Math.round(sums[s] / n));
        out[o + 1] = Math.min(255, Math.round(sums[s + 1] / n));
        out[o + 2] = Math.min(255, Math.round(sums[s + 2] / n));
      }
    }
  }
  return { ...plan, data: out };
}
