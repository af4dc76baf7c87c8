// The real tissue behind a hard cohort: a real H&E slide read once, unmixed into haematoxylin and
// eosin amounts (Ruifrok-Johnston colour deconvolution), so that each patient can re-stain it with
// its own stain vectors. Windows that are almost all tissue are listed for the mosaic.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { SynthError } from './errors';

/** Stain optical-density vectors (unit length, R G B) of Ruifrok & Johnston's H&E. */
export const H_OD: [number, number, number] = [0.65, 0.704, 0.286];
export const E_OD: [number, number, number] = [0.072, 0.99, 0.105];
/** Largest level-0 area read from the source (a whole small slide or a centre crop). */
const MAX_SOURCE_PX = 4096;
/** Window side in source pixels: the mosaic copies windows of about this size. */
export const WINDOW_SRC_PX = 384;
const WINDOW_STEP_PX = 32;
/** Optical density above which a source pixel counts as tissue. */
const TISSUE_OD = 0.25;
const WINDOW_TISSUE_MIN = 0.85;

export interface TextureSource {
  file: string;
  sha256: string;
  mpp: number;
  widthPx: number;
  heightPx: number;
  /** Haematoxylin and eosin amounts per pixel, sharp and slightly defocused. */
  h: Float32Array;
  e: Float32Array;
  /** The third, residual component (what H and E do not explain: scanner, counterstain). */
  res: Float32Array;
  hBlur: Float32Array;
  eBlur: Float32Array;
  resBlur: Float32Array;
  /** Unit optical-density vector of the residual. */
  residualOd: [number, number, number];
  /** Mean amounts over tissue (the centre of the variance-preserving blend). */
  meanH: number;
  meanE: number;
  /** Amounts of a dark nucleus: the 97th percentile of haematoxylin over tissue. */
  nucleusH: number;
  /** Top-left corners of windows that are almost all tissue. */
  windows: Int32Array;
}

/** The residual direction: the unit cross product of H and E. */
function residualOd(): [number, number, number] {
  const r = [
    H_OD[1] * E_OD[2] - H_OD[2] * E_OD[1],
    H_OD[2] * E_OD[0] - H_OD[0] * E_OD[2],
    H_OD[0] * E_OD[1] - H_OD[1] * E_OD[0],
  ];
  const n = Math.hypot(...r);
  return r.map((v) => v / n) as [number, number, number];
}

/** Inverse of the 3x3 matrix whose rows are H, E and the residual. */
function unmixMatrix(): number[][] {
  const m = [H_OD, E_OD, residualOd()];
  const det =
    m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
    m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
    m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
  const inv: number[][] = [[], [], []];
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++) {
      const a = m[(j + 1) % 3][(i + 1) % 3] * m[(j + 2) % 3][(i + 2) % 3];
      const b = m[(j + 1) % 3][(i + 2) % 3] * m[(j + 2) % 3][(i + 1) % 3];
      inv[i][j] = (a - b) / det;
    }
  return inv;
}

/** Separable box blur, three passes (close to a Gaussian of sigma ~ radius). */
function blur(src: Float32Array, w: number, h: number, radius: number): Float32Array {
  const a = Float32Array.from(src);
  const b = new Float32Array(src.length);
  const pass = (from: Float32Array, to: Float32Array, horizontal: boolean) => {
    const n = horizontal ? w : h;
    const lines = horizontal ? h : w;
    for (let line = 0; line < lines; line++) {
      const at = (k: number) => (horizontal ? line * w + k : k * w + line);
      let sum = 0;
      for (let k = -radius; k <= radius; k++) sum += from[at(Math.min(n - 1, Math.max(0, k)))];
      for (let k = 0; k < n; k++) {
        to[at(k)] = sum / (2 * radius + 1);
        sum += from[at(Math.min(n - 1, k + radius + 1))] - from[at(Math.max(0, k - radius))];
      }
    }
  };
  for (let p = 0; p < 3; p++) {
    pass(a, b, true);
    pass(b, a, false);
  }
  return a;
}

/** Unmixes packed RGB pixels into a texture source. */
export function textureFromRgb(
  rgb: Uint8Array,
  widthPx: number,
  heightPx: number,
  mpp: number,
  file: string,
  sha256: string,
): TextureSource {
  const n = widthPx * heightPx;
  const h = new Float32Array(n);
  const e = new Float32Array(n);
  const res = new Float32Array(n);
  const tissue = new Uint8Array(n);
  const inv = unmixMatrix();
  const od = (v: number) => -Math.log(Math.max(1, v) / 255);
  for (let i = 0; i < n; i++) {
    const o = [od(rgb[3 * i]), od(rgb[3 * i + 1]), od(rgb[3 * i + 2])];
    h[i] = Math.max(0, o[0] * inv[0][0] + o[1] * inv[1][0] + o[2] * inv[2][0]);
    e[i] = Math.max(0, o[0] * inv[0][1] + o[1] * inv[1][1] + o[2] * inv[2][1]);
    res[i] = o[0] * inv[0][2] + o[1] * inv[1][2] + o[2] * inv[2][2];
    tissue[i] = o[0] + o[1] + o[2] > TISSUE_OD ? 1 : 0;
  }
  // Integral image of the tissue mask, for the share of tissue in each window.
  const iw = widthPx + 1;
  const integral = new Float64Array(iw * (heightPx + 1));
  for (let y = 0; y < heightPx; y++)
    for (let x = 0, row = 0; x < widthPx; x++) {
      row += tissue[y * widthPx + x];
      integral[(y + 1) * iw + x + 1] = integral[y * iw + x + 1] + row;
    }
  const W = WINDOW_SRC_PX;
  const windows: number[] = [];
  for (let y = 0; y + W <= heightPx; y += WINDOW_STEP_PX)
    for (let x = 0; x + W <= widthPx; x += WINDOW_STEP_PX) {
      const s =
        integral[(y + W) * iw + x + W] - integral[y * iw + x + W] - integral[(y + W) * iw + x] + integral[y * iw + x];
      if (s >= WINDOW_TISSUE_MIN * W * W) windows.push(x, y);
    }
  if (windows.length < 8) {
    throw new SynthError(
      `${file}: --texture: expected a slide with at least ${WINDOW_SRC_PX * 0.25 * mpp * 4} um squares of solid tissue, found ${windows.length / 2}`,
      65,
    );
  }
  let sumH = 0;
  let sumE = 0;
  let count = 0;
  const hs: number[] = [];
  for (let i = 0; i < n; i++) {
    if (!tissue[i]) continue;
    sumH += h[i];
    sumE += e[i];
    count++;
    if (i % 7 === 0) hs.push(h[i]);
  }
  hs.sort((a, b) => a - b);
  // Defocus of about 1.5 µm.
  const radius = Math.max(1, Math.round(1.5 / mpp / 1.7));
  return {
    file,
    sha256,
    mpp,
    widthPx,
    heightPx,
    h,
    e,
    res,
    hBlur: blur(h, widthPx, heightPx, radius),
    eBlur: blur(e, widthPx, heightPx, radius),
    resBlur: blur(res, widthPx, heightPx, radius),
    residualOd: residualOd(),
    meanH: sumH / count,
    meanE: sumE / count,
    nucleusH: hs[Math.floor(0.97 * (hs.length - 1))],
    windows: Int32Array.from(windows),
  };
}

/** Reads a real H&E slide (level 0, at most a centre crop of 4096 px a side) through OpenSlide. */
export async function loadTextureSource(path: string): Promise<TextureSource> {
  const { Slide, argbToRgb } = await import('@slidepipe/openslide');
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new SynthError(`${path}: --texture: cannot read the slide (${(e as Error).message})`, 66);
  }
  const slide = await Slide.open(path).catch((e: Error) => {
    throw new SynthError(`${path}: --texture: OpenSlide cannot open it (${e.message})`, 65);
  });
  try {
    if (!slide.mpp) throw new SynthError(`${path}: --texture: the slide states no resolution (mpp)`, 65);
    const { width, height } = slide.dimensions;
    const w = Math.min(width, MAX_SOURCE_PX);
    const h = Math.min(height, MAX_SOURCE_PX);
    const region = await slide.readRegion(Math.floor((width - w) / 2), Math.floor((height - h) / 2), 0, w, h);
    const rgb = argbToRgb(region);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    return textureFromRgb(rgb, w, h, slide.mpp.x, basename(path), sha256);
  } finally {
    await slide.close();
  }
}
