import { TissueParamError } from './errors';
import { checkMask, checkRgb } from './mask';
import type { Mask, RgbImage } from './types';

export interface OverlayOptions {
  /** Tint of tissue, RGB 0-255. Default green, which H&E does not contain. */
  tintRgb?: readonly [number, number, number];
  /** Weight of the tint over tissue pixels, 0-1. Default 0.35. */
  alpha?: number;
  /** Draw the tissue boundary in the full tint so thin gaps stay visible. Default true. */
  outline?: boolean;
}

/** Mask value under image pixel (x, y), nearest neighbour, for a mask of another size. */
function sampler(mask: Mask, width: number, height: number): (x: number, y: number) => number {
  if (mask.width === width && mask.height === height) return (x, y) => mask.data[y * width + x];
  const sx = mask.width / width;
  const sy = mask.height / height;
  return (x, y) => {
    const mx = Math.min(mask.width - 1, Math.floor((x + 0.5) * sx));
    const my = Math.min(mask.height - 1, Math.floor((y + 0.5) * sy));
    return mask.data[my * mask.width + mx];
  };
}

/**
 * The thumbnail with tissue tinted and outlined, for a person to check a mask by eye. The mask
 * may be of another size than the image (it is sampled nearest-neighbour); background is left as is.
 */
export function maskOverlay(rgb: RgbImage, mask: Mask, options: OverlayOptions = {}): RgbImage {
  checkRgb(rgb);
  checkMask(mask);
  const tint = options.tintRgb ?? [0, 200, 0];
  const alpha = options.alpha ?? 0.35;
  const outline = options.outline ?? true;
  if (!(alpha >= 0 && alpha <= 1)) {
    throw new TissueParamError({
      context: 'mask overlay',
      parameter: 'alpha',
      expected: 'a number in [0, 1]',
      received: alpha,
    });
  }
  if (tint.length !== 3 || !tint.every((c) => Number.isInteger(c) && c >= 0 && c <= 255)) {
    throw new TissueParamError({
      context: 'mask overlay',
      parameter: 'tintRgb',
      expected: 'three integers in [0, 255]',
      received: tint,
    });
  }
  const { width, height } = rgb;
  const at = sampler(mask, width, height);
  const out = new Uint8Array(rgb.data);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (at(x, y) === 0) continue;
      const edge =
        outline &&
        ((x > 0 && at(x - 1, y) === 0) ||
          (x < width - 1 && at(x + 1, y) === 0) ||
          (y > 0 && at(x, y - 1) === 0) ||
          (y < height - 1 && at(x, y + 1) === 0));
      const w = edge ? 1 : alpha;
      const p = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) out[p + c] = Math.round(out[p + c] * (1 - w) + tint[c] * w);
    }
  }
  return { data: out, width, height };
}

/** A mask as an 8-bit greyscale PNG: tissue white (255), background black. */
export async function maskToPng(mask: Mask): Promise<Buffer> {
  checkMask(mask);
  const grey = Uint8Array.from(mask.data, (v) => (v !== 0 ? 255 : 0));
  // sharp is heavy: load it only when a picture is asked for.
  const { default: sharp } = await import('sharp');
  // Without b-w sharp widens one channel to sRGB: three times the bytes for the same picture.
  return sharp(grey, { raw: { width: mask.width, height: mask.height, channels: 1 } })
    .toColourspace('b-w')
    .png()
    .toBuffer();
}

/** maskOverlay written as an RGB PNG. */
export async function maskOverlayPng(rgb: RgbImage, mask: Mask, options: OverlayOptions = {}): Promise<Buffer> {
  const img = maskOverlay(rgb, mask, options);
  const { default: sharp } = await import('sharp');
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .png()
    .toBuffer();
}
