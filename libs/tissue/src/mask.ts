import { TissueInputError } from './errors';
import type { Mask, RgbImage } from './types';

export function emptyMask(width: number, height: number): Mask {
  return { data: new Uint8Array(width * height), width, height };
}

function checkSize(what: string, width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new TissueInputError(`${what}: expected a positive integer width and height, received ${width}x${height}`);
  }
}

export function checkRgb(img: RgbImage): void {
  checkSize('RGB image', img.width, img.height);
  const expected = img.width * img.height * 3;
  if (!(img.data instanceof Uint8Array) || img.data.length !== expected) {
    throw new TissueInputError(
      `RGB image ${img.width}x${img.height}: expected ${expected} bytes (3 per pixel, interleaved), received ${img.data?.length ?? 'no'} bytes`,
    );
  }
}

export function checkMask(mask: Mask): void {
  checkSize('mask', mask.width, mask.height);
  const expected = mask.width * mask.height;
  if (!(mask.data instanceof Uint8Array) || mask.data.length !== expected) {
    throw new TissueInputError(
      `mask ${mask.width}x${mask.height}: expected ${expected} bytes (1 per pixel), received ${mask.data?.length ?? 'no'} bytes`,
    );
  }
}

/** Number of tissue pixels (any non-zero byte counts as tissue). */
export function countTissuePx(mask: Mask): number {
  let n = 0;
  for (let i = 0; i < mask.data.length; i++) if (mask.data[i] !== 0) n++;
  return n;
}
