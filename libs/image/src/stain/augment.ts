// H&E stain augmentation after Tellez et al. 2018: each patch's haematoxylin, eosin and DAB
// concentrations are scaled by a random factor in [1 - sigma, 1 + sigma] and shifted by a random
// amount in [-bias, bias] (OD units, log10), then turned back into RGB. The draws come from the
// caller's seeded generator, so a patch gets the same colours on every run.
import type { RgbImage } from '../rgb';
import { HED_FROM_RGB, RGB_FROM_HED } from './deconvolution';
import { mapTissueOd } from './od';

/** One patch's perturbation: per stain (H, E, D) a scale and a shift of its concentration. */
export interface HedJitter {
  scale: [number, number, number];
  shift: [number, number, number];
}

/** Draws a jitter from `rand` (uniform in [0, 1)): scales in [1 - sigma, 1 + sigma), shifts in [-bias, bias). */
export function drawHedJitter(rand: () => number, sigma: number, bias: number): HedJitter {
  const scale = [0, 1, 2].map(() => 1 - sigma + 2 * sigma * rand()) as HedJitter['scale'];
  const shift = [0, 1, 2].map(() => -bias + 2 * bias * rand()) as HedJitter['shift'];
  return { scale, shift };
}

/** `img` with its tissue pixels' stain concentrations perturbed by `j`; background kept. */
export function augmentHed(img: RgbImage, j: HedJitter, out?: Uint8Array): RgbImage {
  const M = HED_FROM_RGB;
  const R = RGB_FROM_HED;
  return mapTissueOd(
    img,
    (od) => {
      const x = od[0];
      const y = od[1];
      const z = od[2];
      const h = (x * M[0][0] + y * M[1][0] + z * M[2][0]) * j.scale[0] + j.shift[0];
      const e = (x * M[0][1] + y * M[1][1] + z * M[2][1]) * j.scale[1] + j.shift[1];
      const d = (x * M[0][2] + y * M[1][2] + z * M[2][2]) * j.scale[2] + j.shift[2];
      od[0] = h * R[0][0] + e * R[1][0] + d * R[2][0];
      od[1] = h * R[0][1] + e * R[1][1] + d * R[2][1];
      od[2] = h * R[0][2] + e * R[1][2] + d * R[2][2];
    },
    out,
  );
}
