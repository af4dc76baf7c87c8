// OpenSlide hands out premultiplied ARGB uint32s: bytes B,G,R,A in memory (little-endian).
// Compositing premultiplied colour c with alpha a over white is c + (255 - a): the
// un-premultiply (c * 255 / a) and the blend (* a / 255) cancel, so no division and no
// rounding. Where a = 255 the pixel is unchanged, so opaque data is already BGRX.
import { OpenSlideError } from './errors';

/** Raw pixels as OpenSlide returns them. */
export interface ArgbPixels {
  /** width * height * 4 bytes: premultiplied B,G,R,A per pixel. */
  data: Buffer;
  width: number;
  height: number;
  /** True when every alpha byte is 255: `data` is then plain BGRX. */
  opaque: boolean;
}

// Uint32 views are only possible on 4-byte aligned memory.
function u32View(bytes: Uint8Array, pixelCount: number): Uint32Array | null {
  return bytes.byteOffset % 4 === 0 ? new Uint32Array(bytes.buffer, bytes.byteOffset, pixelCount) : null;
}

/** True when every pixel's alpha is 255. Stops at the first transparent pixel. */
export function isOpaque(argb: Uint8Array, pixelCount = argb.byteLength >>> 2): boolean {
  const words = u32View(argb, pixelCount);
  if (words) {
    // Alpha is the top byte of each little-endian uint32.
    for (let i = 0; i < pixelCount; i++) if (words[i] < 0xff000000) return false;
    return true;
  }
  for (let i = 3; i < pixelCount * 4; i += 4) if (argb[i] !== 255) return false;
  return true;
}

function checkOut(out: Uint8Array | undefined, bytes: number): Buffer {
  if (out === undefined) return Buffer.allocUnsafe(bytes);
  if (out.byteLength < bytes) {
    throw new OpenSlideError('INVALID_ARGUMENT', `out: needs ${bytes} bytes, got ${out.byteLength}`);
  }
  return Buffer.from(out.buffer, out.byteOffset, bytes);
}

/** RGB (3 bytes per pixel), composited on white. A plain byte swizzle when the pixels are opaque. */
export function argbToRgb(pixels: ArgbPixels, out?: Uint8Array): Buffer {
  const n = pixels.width * pixels.height;
  const src = pixels.data;
  const dst = checkOut(out, n * 3);
  // Each pixel is read before it is written, so `out` may be `pixels.data` itself.
  if (pixels.opaque) {
    for (let i = 0, j = 0; j < n * 3; i += 4, j += 3) {
      const b = src[i];
      dst[j] = src[i + 2];
      dst[j + 1] = src[i + 1];
      dst[j + 2] = b;
    }
  } else {
    for (let i = 0, j = 0; j < n * 3; i += 4, j += 3) {
      const white = 255 - src[i + 3];
      const b = src[i];
      const g = src[i + 1];
      const r = src[i + 2];
      dst[j] = Math.min(255, r + white);
      dst[j + 1] = Math.min(255, g + white);
      dst[j + 2] = Math.min(255, b + white);
    }
  }
  return dst;
}

/** RGBX (4 bytes per pixel, X = 255), composited on white. */
export function argbToRgbx(pixels: ArgbPixels, out?: Uint8Array): Buffer {
  const n = pixels.width * pixels.height;
  const src = pixels.data;
  const dst = checkOut(out, n * 4);
  for (let i = 0; i < n * 4; i += 4) {
    const white = 255 - src[i + 3];
    // Read before writing: `out` may be `pixels.data` itself.
    const b = src[i];
    const g = src[i + 1];
    const r = src[i + 2];
    dst[i] = Math.min(255, r + white);
    dst[i + 1] = Math.min(255, g + white);
    dst[i + 2] = Math.min(255, b + white);
    dst[i + 3] = 255;
  }
  return dst;
}

/**
 * BGRX in place, for a JPEG encoder taking pixelFormat 'bgrx': nothing to do when opaque;
 * otherwise composites the transparent pixels on white, overwriting `pixels.data`
 * (which is then opaque). Returns `pixels.data`.
 */
export function argbToBgrx(pixels: ArgbPixels): Buffer {
  if (pixels.opaque) return pixels.data;
  const n = pixels.width * pixels.height;
  const data = pixels.data;
  for (let i = 0; i < n * 4; i += 4) {
    const a = data[i + 3];
    if (a === 255) continue;
    const white = 255 - a;
    data[i] = Math.min(255, data[i] + white);
    data[i + 1] = Math.min(255, data[i + 1] + white);
    data[i + 2] = Math.min(255, data[i + 2] + white);
    data[i + 3] = 255;
  }
  pixels.opaque = true;
  return data;
}
