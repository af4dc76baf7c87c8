// Pixel <-> optical density helpers used by normalisation and augmentation (hot loops: tables,
// not logarithms and powers per pixel).
import type { RgbImage } from '../rgb';
import { isTissue, OD_OF_VALUE } from './deconvolution';

const STEPS_PER_OD = 4096;
const MAX_OD = 3;
// valueOfOd on a 1/4096 OD grid: at most ~0.15 of a grey level off near white, less elsewhere.
const VALUE_OF_OD = Uint8Array.from({ length: MAX_OD * STEPS_PER_OD + 1 }, (_, i) => {
  const v = Math.round(256 * 10 ** -(i / STEPS_PER_OD) - 1);
  return v < 0 ? 0 : v > 255 ? 255 : v;
});

/** The 8-bit value of an optical density through the table (negative densities give 255). */
export function odToValue(od: number): number {
  if (!(od > 0)) return 255;
  const i = Math.round(od * STEPS_PER_OD);
  return i >= VALUE_OF_OD.length ? 0 : VALUE_OF_OD[i];
}

/**
 * OD triples (interleaved) of the pixels whose three densities are all >= minOd, taking every
 * step-th pixel so that at most about `maxPixels` are kept: what the stain estimates fit on.
 */
export function sampleOd(img: RgbImage, minOd: number, maxPixels: number): { od: Float64Array; n: number } {
  const total = img.width * img.height;
  const step = Math.max(1, Math.floor(total / maxPixels));
  const od = new Float64Array(Math.ceil(total / step) * 3);
  const d = img.data;
  let n = 0;
  for (let p = 0; p < total; p += step) {
    const r = OD_OF_VALUE[d[3 * p]];
    const g = OD_OF_VALUE[d[3 * p + 1]];
    const b = OD_OF_VALUE[d[3 * p + 2]];
    if (r < minOd || g < minOd || b < minOd) continue;
    od[3 * n] = r;
    od[3 * n + 1] = g;
    od[3 * n + 2] = b;
    n++;
  }
  return { od, n };
}

/**
 * A copy of `img` where every tissue pixel's OD triple goes through `map` (which rewrites `od` in
 * place); background and glass (isTissue false) keep their bytes.
 */
export function mapTissueOd(img: RgbImage, map: (od: Float64Array) => void, out?: Uint8Array): RgbImage {
  const n = img.width * img.height;
  const src = img.data;
  const dst = out && out.length >= n * 3 ? out : new Uint8Array(n * 3);
  const od = new Float64Array(3);
  for (let p = 0, i = 0; p < n; p++, i += 3) {
    const r = src[i];
    const g = src[i + 1];
    const b = src[i + 2];
    if (!isTissue(r, g, b)) {
      dst[i] = r;
      dst[i + 1] = g;
      dst[i + 2] = b;
      continue;
    }
    od[0] = OD_OF_VALUE[r];
    od[1] = OD_OF_VALUE[g];
    od[2] = OD_OF_VALUE[b];
    map(od);
    dst[i] = odToValue(od[0]);
    dst[i + 1] = odToValue(od[1]);
    dst[i + 2] = odToValue(od[2]);
  }
  return { data: dst.subarray(0, n * 3), width: img.width, height: img.height };
}

/** The p-th percentiles (0..100) of `values[0..n)` with linear interpolation, as numpy's default; sorts a copy once. */
export function percentiles(values: ArrayLike<number>, n: number, ps: readonly number[]): number[] {
  if (n === 0) return ps.map(() => Number.NaN);
  const s = Float64Array.from({ length: n }, (_, i) => values[i]).sort();
  return ps.map((p) => {
    const at = (p / 100) * (n - 1);
    const lo = Math.floor(at);
    const hi = Math.min(n - 1, lo + 1);
    return s[lo] + (s[hi] - s[lo]) * (at - lo);
  });
}

/** One percentile; see percentiles. */
export const percentile = (values: ArrayLike<number>, n: number, p: number): number => percentiles(values, n, [p])[0];
