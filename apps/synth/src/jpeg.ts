// JPEG encoding through sharp, loaded on first use so `--help` does not pay for it. Baseline JPEG
// with 4:2:0 chroma (what the TIFF's YCbCrSubsampling tag declares): OpenSlide reads such tiles
// through libtiff, which converts YCbCr to RGB.
import type { JpegOptions } from 'sharp';

type SharpFn = typeof import('sharp');
let sharpFn: SharpFn | undefined;

export async function loadSharp(): Promise<SharpFn> {
  if (!sharpFn) {
    sharpFn = (await import('sharp')).default;
    // No cache: every input is new, and cached pipelines would only hold memory.
    sharpFn.cache(false);
  }
  return sharpFn;
}

export function jpegOptions(quality: number): JpegOptions {
  return {
    quality,
    chromaSubsampling: '4:2:0',
    progressive: false,
    optimiseCoding: true,
    mozjpeg: false,
    trellisQuantisation: false,
    overshootDeringing: false,
    optimiseScans: false,
  };
}

/** Encodes packed RGB pixels (width x height x 3). */
export async function encodeJpeg(
  rgb: Uint8Array,
  widthPx: number,
  heightPx: number,
  quality: number,
): Promise<Uint8Array> {
  const sharp = await loadSharp();
  return sharp(rgb, { raw: { width: widthPx, height: heightPx, channels: 3 } })
    .jpeg(jpegOptions(quality))
    .toBuffer();
}
