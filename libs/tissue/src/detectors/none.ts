import { checkRgb } from '../mask';
import type { Mask, RgbImage } from '../types';
import type { DetectorDefinition } from './definition';

/** Everything is tissue: for slides already cropped to tissue, or to tile the whole slide. */
export const noneDetector: DetectorDefinition = {
  name: 'none',
  description: 'Every pixel is tissue (no detection).',
  params: {},
  build() {
    return (img: RgbImage): Mask => {
      checkRgb(img);
      return { data: new Uint8Array(img.width * img.height).fill(1), width: img.width, height: img.height };
    };
  },
};
