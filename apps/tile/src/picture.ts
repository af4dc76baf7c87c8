// Pictures for a person to check a tiling by eye: the slide with its tissue outlined and every
// kept patch drawn as a rectangle, and the tissue mask itself.
import { maskOverlay, maskToPng, type Mask } from '@slidepipe/tissue';
import type { Grid, PatchList } from './grid';
import type { LowResImage } from '@slidepipe/openslide';

// Small slides get enlarged so that patch outlines are a few pixels apart.
const MIN_LONG_SIDE_PX = 1024;
const PATCH_RGB = [20, 80, 230] as const;

function drawRect(rgb: Uint8Array, width: number, height: number, x: number, y: number, w: number, h: number): void {
  const x1 = Math.min(width - 1, Math.round(x + w) - 1);
  const y1 = Math.min(height - 1, Math.round(y + h) - 1);
  const xa = Math.max(0, Math.round(x));
  const ya = Math.max(0, Math.round(y));
  const put = (px: number, py: number) => {
    const o = (py * width + px) * 3;
    rgb[o] = PATCH_RGB[0];
    rgb[o + 1] = PATCH_RGB[1];
    rgb[o + 2] = PATCH_RGB[2];
  };
  for (let px = xa; px <= x1; px++) {
    put(px, ya);
    put(px, y1);
  }
  for (let py = ya; py <= y1; py++) {
    put(xa, py);
    put(x1, py);
  }
}

/** PNG of the slide picture with the tissue mask outlined (when there is one) and each kept patch boxed. */
export async function gridPng(low: LowResImage, mask: Mask | null, grid: Grid, patches: PatchList): Promise<Buffer> {
  const { default: sharp } = await import('sharp');
  const zoom = Math.max(1, MIN_LONG_SIDE_PX / Math.max(low.width, low.height));
  const width = Math.round(low.width * zoom);
  const height = Math.round(low.height * zoom);
  let rgb: Uint8Array = low.data;
  if (zoom > 1) {
    rgb = new Uint8Array(
      await sharp(low.data, { raw: { width: low.width, height: low.height, channels: 3 } })
        .resize(width, height, { kernel: 'cubic' })
        .raw()
        .toBuffer(),
    );
  }
  if (mask) rgb = maskOverlay({ data: rgb, width, height }, mask, { alpha: 0.12 }).data;
  else rgb = new Uint8Array(rgb);
  const sx = width / grid.width0;
  const sy = height / grid.height0;
  for (let i = 0; i < patches.count; i++) {
    drawRect(rgb, width, height, patches.x0[i] * sx, patches.y0[i] * sy, grid.extent0Px * sx, grid.extent0Px * sy);
  }
  return sharp(rgb, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

export { maskToPng };
