import { saturation } from '../color';
import { fillSmallHoles, removeSmallComponents } from '../components';
import { checkRgb } from '../mask';
import { medianFilter } from '../median';
import { closeMask, type StructuringShape } from '../morphology';
import { histogram256, otsuThreshold } from '../otsu';
import type { Mask, Params, RgbImage } from '../types';
import type { DetectorDefinition } from './definition';

/** The threshold actually applied: Otsu's, but never below the floor (a blank slide has no tissue). */
export function otsuSaturationThreshold(blurredSaturation: Uint8Array, minThreshold: number): number {
  return Math.max(otsuThreshold(histogram256(blurredSaturation)), minThreshold);
}

/**
 * CLAM / slideflow style: HSV saturation, median blur, Otsu threshold (tissue is saturation
 * > threshold), closing, then components smaller than `minAreaPx` dropped and holes up to
 * `maxHoleAreaPx` filled. Areas are in mask pixels, so they depend on the thumbnail's resolution.
 */
export const otsuSaturation: DetectorDefinition = {
  name: 'otsu-saturation',
  description:
    'HSV saturation, median blur, Otsu threshold with a floor, closing, small components removed and small holes filled (CLAM, slideflow).',
  params: {
    medianKernelPx: {
      type: 'integer',
      default: 7,
      min: 1,
      max: 255,
      odd: true,
      description: 'median blur window in mask px (slideflow: 7)',
    },
    minThreshold: {
      type: 'integer',
      default: 15,
      min: 0,
      max: 254,
      description:
        'floor on the Otsu threshold (saturation 0-255): glass and white background sit below it, so a blank image gives no tissue instead of half noise',
    },
    closingPx: {
      type: 'integer',
      default: 5,
      min: 1,
      max: 255,
      odd: true,
      description: 'closing element size in mask px (1 = none)',
    },
    shape: {
      type: 'string',
      default: 'square',
      oneOf: ['square', 'disc'],
      description: 'closing element; CLAM uses a square',
    },
    minAreaPx: {
      type: 'integer',
      default: 64,
      min: 0,
      max: 1e9,
      description: 'tissue components (8-connected) with fewer mask px than this are dropped',
    },
    maxHoleAreaPx: {
      type: 'integer',
      default: 0,
      min: 0,
      max: 1e9,
      description: 'holes in tissue of at most this many mask px are filled (0 = none)',
    },
  },
  build(params: Params) {
    const medianKernelPx = params.medianKernelPx as number;
    const minThreshold = params.minThreshold as number;
    const closingPx = params.closingPx as number;
    const shape = params.shape as StructuringShape;
    const minAreaPx = params.minAreaPx as number;
    const maxHoleAreaPx = params.maxHoleAreaPx as number;
    return (img: RgbImage): Mask => {
      checkRgb(img);
      const { width, height } = img;
      const blurred = medianFilter(saturation(img), width, height, medianKernelPx);
      const t = otsuSaturationThreshold(blurred, minThreshold);
      const raw = new Uint8Array(width * height);
      for (let i = 0; i < raw.length; i++) raw[i] = blurred[i] > t ? 1 : 0;
      let mask: Mask = closeMask({ data: raw, width, height }, closingPx, closingPx, shape);
      if (minAreaPx > 1) mask = removeSmallComponents(mask, minAreaPx);
      if (maxHoleAreaPx > 0) mask = fillSmallHoles(mask, maxHoleAreaPx);
      return mask;
    };
  },
};
