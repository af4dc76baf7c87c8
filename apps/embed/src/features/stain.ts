// Stain densities for the features: Ruifrok & Johnston's colour deconvolution (libs/image) as
// per-channel look-up tables. A fixed matrix rather than a per-patch (Macenko) estimate: a patch
// holds too few pixels of each stain for a stable estimate, and the same colour must give the
// same feature on every patch (normalise the colours before, with wsi-embed --stain).
import { HED_FROM_RGB, OD_OF_VALUE } from '@slidepipe/image';

export { TISSUE_MAX_VALUE, TISSUE_OD } from '@slidepipe/image';

// H = sum_c OD_c * HED_FROM_RGB[c][0], so per-channel tables turn it into three look-ups.
const lut = (stain: number) => [0, 1, 2].map((c) => Float32Array.from(OD_OF_VALUE, (o) => o * HED_FROM_RGB[c][stain]));
/** Haematoxylin density of a pixel: HR[r] + HG[g] + HB[b]. */
export const [HR, HG, HB] = lut(0);
/** Eosin density of a pixel: ER[r] + EG[g] + EB[b]. */
export const [ER, EG, EB] = lut(1);
