import { checkRgb } from './mask';
import type { RgbImage } from './types';

/**
 * HSV saturation on the 0..255 scale, per pixel: S = 255 * (max - min) / max, rounded half up,
 * and 0 where max = 0 (OpenCV's COLOR_RGB2HSV for 8-bit images, up to its table rounding).
 * Grey glass and white background are unsaturated; eosin and haematoxylin are not.
 */
export function saturation(img: RgbImage): Uint8Array {
  checkRgb(img);
  const n = img.width * img.height;
  const out = new Uint8Array(n);
  const d = img.data;
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    const r = d[j];
    const g = d[j + 1];
    const b = d[j + 2];
    const max = r > g ? (r > b ? r : b) : g > b ? g : b;
    const min = r < g ? (r < b ? r : b) : g < b ? g : b;
    // Integer form of round(255 * (max - min) / max), exact and free of float ties.
    out[i] = max === 0 ? 0 : Math.floor((510 * (max - min) + max) / (2 * max));
  }
  return out;
}
