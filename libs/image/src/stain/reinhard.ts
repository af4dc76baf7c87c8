// Reinhard et al. 2001 colour transfer: each CIELAB channel of the tissue pixels is standardised by
// the image's own mean and standard deviation and given the target's. LAB as skimage's rgb2lab
// (sRGB, D65, 2 degree observer), so numbers can be checked against it.
import type { RgbImage } from '../rgb';
import { invert3, isTissue, type Matrix3 } from './deconvolution';

type Vec3 = [number, number, number];

/** Mean and standard deviation of L, a, b over tissue pixels. */
export interface LabStats {
  lab_mean: Vec3;
  lab_std: Vec3;
}

// skimage.color.colorconv: xyz_from_rgb and the D65 white point.
const XYZ_FROM_RGB: Matrix3 = [
  [0.412453, 0.35758, 0.180423],
  [0.212671, 0.71516, 0.072169],
  [0.019334, 0.119193, 0.950227],
];
const WHITE = [0.95047, 1, 1.08883];
const RGB_FROM_XYZ = invert3(XYZ_FROM_RGB);

const LINEAR = Float64Array.from({ length: 256 }, (_, v) => {
  const c = v / 255;
  return c > 0.04045 ? ((c + 0.055) / 1.055) ** 2.4 : c / 12.92;
});
const f = (t: number) => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116);
const fInv = (t: number) => (t > 0.2068966 ? t * t * t : (t - 16 / 116) / 7.787);

/** CIELAB of an 8-bit sRGB pixel, written to out[0..3). */
export function rgbToLab(r: number, g: number, b: number, out: Float64Array | number[] = new Float64Array(3)) {
  const lr = LINEAR[r];
  const lg = LINEAR[g];
  const lb = LINEAR[b];
  const x = f((XYZ_FROM_RGB[0][0] * lr + XYZ_FROM_RGB[0][1] * lg + XYZ_FROM_RGB[0][2] * lb) / WHITE[0]);
  const y = f(XYZ_FROM_RGB[1][0] * lr + XYZ_FROM_RGB[1][1] * lg + XYZ_FROM_RGB[1][2] * lb);
  const z = f((XYZ_FROM_RGB[2][0] * lr + XYZ_FROM_RGB[2][1] * lg + XYZ_FROM_RGB[2][2] * lb) / WHITE[2]);
  out[0] = 116 * y - 16;
  out[1] = 500 * (x - y);
  out[2] = 200 * (y - z);
  return out;
}

const gammaExact = (c: number) => {
  const v = c > 0.0031308 ? 1.055 * c ** (1 / 2.4) - 0.055 : 12.92 * c;
  const q = Math.round(v * 255);
  return q < 0 ? 0 : q > 255 ? 255 : q;
};
// Linear light to 8-bit sRGB on a 1/65536 grid (a power per channel per pixel is the slow part).
const GAMMA_STEPS = 65536;
const GAMMA = Uint8Array.from({ length: GAMMA_STEPS + 1 }, (_, i) => gammaExact(i / GAMMA_STEPS));
const gamma = (c: number) => (c <= 0 ? 0 : c >= 1 ? 255 : GAMMA[Math.round(c * GAMMA_STEPS)]);

/** The 8-bit sRGB pixel of a CIELAB colour (clipped to the gamut), written to out[0..3). */
export function labToRgb(L: number, a: number, b: number, out: Uint8Array | number[] = new Uint8Array(3)) {
  const fy = (L + 16) / 116;
  const x = fInv(fy + a / 500) * WHITE[0];
  const y = fInv(fy);
  const z = fInv(fy - b / 200) * WHITE[2];
  out[0] = gamma(RGB_FROM_XYZ[0][0] * x + RGB_FROM_XYZ[0][1] * y + RGB_FROM_XYZ[0][2] * z);
  out[1] = gamma(RGB_FROM_XYZ[1][0] * x + RGB_FROM_XYZ[1][1] * y + RGB_FROM_XYZ[1][2] * z);
  out[2] = gamma(RGB_FROM_XYZ[2][0] * x + RGB_FROM_XYZ[2][1] * y + RGB_FROM_XYZ[2][2] * z);
  return out;
}

/** Running LAB sums over tissue pixels, so many images pool into one mean and standard deviation. */
export class LabAccumulator {
  n = 0;
  private readonly sum = [0, 0, 0];
  private readonly sq = [0, 0, 0];
  private readonly lab = new Float64Array(3);

  add(img: RgbImage): void {
    const d = img.data;
    const lab = this.lab;
    for (let i = 0, end = img.width * img.height * 3; i < end; i += 3) {
      if (!isTissue(d[i], d[i + 1], d[i + 2])) continue;
      rgbToLab(d[i], d[i + 1], d[i + 2], lab);
      for (let c = 0; c < 3; c++) {
        this.sum[c] += lab[c];
        this.sq[c] += lab[c] * lab[c];
      }
      this.n++;
    }
  }

  /** Null before any tissue pixel. */
  stats(): LabStats | null {
    if (this.n === 0) return null;
    const mean = this.sum.map((s) => s / this.n) as Vec3;
    const std = this.sq.map((s, c) => Math.sqrt(Math.max(0, s / this.n - mean[c] ** 2))) as Vec3;
    return { lab_mean: mean, lab_std: std };
  }
}

/** Tissue pixels fewer than this: the image is left as it is. */
export const REINHARD_MIN_PIXELS = 16;
// A channel this flat (one colour) is shifted to the target's mean, not stretched.
const FLAT_STD = 1e-3;

/** `img` with its tissue pixels' LAB statistics moved onto the target's; background kept. */
export function reinhardNormalize(
  img: RgbImage,
  target: LabStats,
  out?: Uint8Array,
): { image: RgbImage; normalised: boolean } {
  const n = img.width * img.height;
  const src = img.data;
  const dst = out && out.length >= n * 3 ? out.subarray(0, n * 3) : new Uint8Array(n * 3);
  dst.set(src.subarray(0, n * 3));
  // One conversion per tissue pixel: the LAB values are kept for the second pass.
  const labs = new Float32Array(n * 3);
  const sum = [0, 0, 0];
  const sq = [0, 0, 0];
  let count = 0;
  const lab = new Float64Array(3);
  for (let i = 0; i < n * 3; i += 3) {
    if (!isTissue(src[i], src[i + 1], src[i + 2])) continue;
    rgbToLab(src[i], src[i + 1], src[i + 2], lab);
    for (let c = 0; c < 3; c++) {
      labs[i + c] = lab[c];
      sum[c] += lab[c];
      sq[c] += lab[c] * lab[c];
    }
    count++;
  }
  const image = { data: dst, width: img.width, height: img.height };
  if (count < REINHARD_MIN_PIXELS) return { image, normalised: false };
  const mean = sum.map((x) => x / count);
  const std = sq.map((x, c) => Math.sqrt(Math.max(0, x / count - mean[c] ** 2)));
  const scale = [0, 1, 2].map((c) => (std[c] > FLAT_STD ? target.lab_std[c] / std[c] : 1));
  const rgb = new Uint8Array(3);
  for (let i = 0; i < n * 3; i += 3) {
    if (!isTissue(src[i], src[i + 1], src[i + 2])) continue;
    labToRgb(
      (labs[i] - mean[0]) * scale[0] + target.lab_mean[0],
      (labs[i + 1] - mean[1]) * scale[1] + target.lab_mean[1],
      (labs[i + 2] - mean[2]) * scale[2] + target.lab_mean[2],
      rgb,
    );
    dst[i] = rgb[0];
    dst[i + 1] = rgb[1];
    dst[i + 2] = rgb[2];
  }
  return { image, normalised: true };
}
