// Colour deconvolution (Ruifrok & Johnston 2001) and the optical-density convention shared by the
// stain features, normalisation and augmentation: OD_c = -log10((I_c + 1) / 256), so every 8-bit
// value has a finite density and `valueOfOd` inverts it exactly. Concentrations are row vectors,
// [H, E, D] = OD . HED_FROM_RGB, and OD = [H, E, D] . RGB_FROM_HED (as skimage's rgb2hed).

export type Matrix3 = readonly [
  readonly [number, number, number],
  readonly [number, number, number],
  readonly [number, number, number],
];

/** Ruifrok & Johnston's stain vectors in OD space (rows: haematoxylin, eosin, DAB), skimage's rgb_from_hed. */
export const RGB_FROM_HED: Matrix3 = [
  [0.65, 0.7, 0.29],
  [0.07, 0.99, 0.11],
  [0.27, 0.57, 0.78],
];

/** The inverse of a 3 x 3 matrix (adjugate over determinant). */
export function invert3(m: Matrix3): Matrix3 {
  const [[a, b, c], [d, e, f], [g, h, i]] = m;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [
    [A / det, -(b * i - c * h) / det, (b * f - c * e) / det],
    [B / det, (a * i - c * g) / det, -(a * f - c * d) / det],
    [C / det, -(a * h - b * g) / det, (a * e - b * d) / det],
  ];
}

/** OD to concentrations: [H, E, D] = OD . HED_FROM_RGB. */
export const HED_FROM_RGB: Matrix3 = invert3(RGB_FROM_HED);

/** OD of each 8-bit value: OD_OF_VALUE[v] = -log10((v + 1) / 256). */
export const OD_OF_VALUE = Float64Array.from({ length: 256 }, (_, v) => -Math.log10((v + 1) / 256));

/** The 8-bit value of an optical density, rounded and clamped to 0..255 (inverse of OD_OF_VALUE). */
export function valueOfOd(od: number): number {
  const v = Math.round(256 * 10 ** -od - 1);
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** A pixel is tissue (not background) when its darkest channel has OD >= TISSUE_OD. */
export const TISSUE_OD = 0.1;
/** The largest channel value with OD < TISSUE_OD: a pixel is background when all three exceed it. */
export const TISSUE_MAX_VALUE = Math.floor(256 * 10 ** -TISSUE_OD - 1);

/** Whether an RGB pixel is tissue: some channel at or below TISSUE_MAX_VALUE. */
export const isTissue = (r: number, g: number, b: number): boolean =>
  r <= TISSUE_MAX_VALUE || g <= TISSUE_MAX_VALUE || b <= TISSUE_MAX_VALUE;
