import { checkRgb } from '../mask';
import { closeMask, type StructuringShape } from '../morphology';
import type { Mask, Params, RgbImage } from '../types';
import type { DetectorDefinition } from './definition';

/**
 * FAST's colour-thresholding tissue segmentation (smistad/FAST TissueSegmentation): a pixel is
 * tissue when its RGB triplet is farther than `threshold` from white, unless it is near-black;
 * then a closing (dilation, then erosion) joins the pale gaps inside tissue.
 */
export const rgbDistance: DetectorDefinition = {
  name: 'rgb-distance',
  description:
    'Tissue where the Euclidean distance of (R, G, B) from white exceeds a threshold, near-black pixels excluded, then a morphological closing (FAST).',
  params: {
    threshold: {
      type: 'number',
      default: 85,
      min: 0,
      max: 442,
      description:
        'tissue where sqrt((255-R)^2 + (255-G)^2 + (255-B)^2) > threshold (FAST default 85; 442 > the largest distance)',
    },
    blackMax: {
      type: 'integer',
      default: 30,
      min: -1,
      max: 255,
      description:
        'pixels with R, G and B all <= blackMax are not tissue (pen ink, scanner padding, dust); 0 drops pure black only (FAST filter-zeros), -1 drops nothing',
    },
    dilationPx: {
      type: 'integer',
      default: 9,
      min: 1,
      max: 255,
      odd: true,
      description: 'closing: dilation element size in mask px (1 = none)',
    },
    erosionPx: {
      type: 'integer',
      default: 9,
      min: 1,
      max: 255,
      odd: true,
      description: 'closing: erosion element size in mask px (1 = none)',
    },
    shape: {
      type: 'string',
      default: 'disc',
      oneOf: ['disc', 'square'],
      description: 'structuring element; FAST uses a disc',
    },
  },
  build(params: Params) {
    const threshold = params.threshold as number;
    const blackMax = params.blackMax as number;
    const dilationPx = params.dilationPx as number;
    const erosionPx = params.erosionPx as number;
    const shape = params.shape as StructuringShape;
    // Compare squared distances: exact in integers and no sqrt per pixel.
    const thresholdSq = threshold * threshold;
    return (img: RgbImage): Mask => {
      checkRgb(img);
      const { width, height, data } = img;
      const raw = new Uint8Array(width * height);
      for (let i = 0, j = 0; i < raw.length; i++, j += 3) {
        const r = data[j];
        const g = data[j + 1];
        const b = data[j + 2];
        if (r <= blackMax && g <= blackMax && b <= blackMax) continue;
        const dr = 255 - r;
        const dg = 255 - g;
        const db = 255 - b;
        if (dr * dr + dg * dg + db * db > thresholdSq) raw[i] = 1;
      }
      return closeMask({ data: raw, width, height }, dilationPx, erosionPx, shape);
    };
  },
};
