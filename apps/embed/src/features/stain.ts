// Stain separation: Ruifrok & Johnston's colour deconvolution with their H&E-DAB matrix (as
// skimage's rgb_from_hed): optical density OD_c = -log10((I_c + 1) / 256), concentrations
// [H, E, D] = OD . inv(M). A fixed matrix rather than a per-patch (Macenko) estimate: a patch
// holds too few pixels of each stain for a stable estimate, and the same colour must give the
// same feature on every patch.

/** Ruifrok & Johnston's stain vectors (rows: haematoxylin, eosin, DAB) in OD space. */
const RGB_FROM_HED = [
  [0.65, 0.7, 0.29],
  [0.07, 0.99, 0.11],
  [0.27, 0.57, 0.78],
];

function invert3(m: number[][]): number[][] {
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

const HED_FROM_RGB = invert3(RGB_FROM_HED);
const OD = Float64Array.from({ length: 256 }, (_, v) => -Math.log10((v + 1) / 256));
// H = sum_c OD_c * HED_FROM_RGB[c][0], so per-channel tables turn it into three look-ups.
const lut = (stain: number) => [0, 1, 2].map((c) => Float32Array.from(OD, (o) => o * HED_FROM_RGB[c][stain]));
/** Haematoxylin density of a pixel: HR[r] + HG[g] + HB[b]. */
export const [HR, HG, HB] = lut(0);
/** Eosin density of a pixel: ER[r] + EG[g] + EB[b]. */
export const [ER, EG, EB] = lut(1);

/** A pixel is tissue (not background) when its darkest channel has OD >= TISSUE_OD. */
export const TISSUE_OD = 0.1;
/** The largest channel value with OD < TISSUE_OD: a pixel is background when all three exceed it. */
export const TISSUE_MAX_VALUE = Math.floor(256 * 10 ** -TISSUE_OD - 1);
