import { labelComponents as labelImageComponents, type Connectivity } from '@slidepipe/image';
import { TissueParamError } from './errors';
import { checkMask } from './mask';
import type { Mask } from './types';

export type { Connectivity };

export interface Components {
  /** Per pixel: 0 outside the labelled value, else the component's label 1..count. */
  labels: Int32Array;
  count: number;
  /** Pixel count of each label; index 0 is unused (0). */
  areasPx: Int32Array;
}

/**
 * Labels the connected components of the pixels equal to `value` (1 = tissue by default),
 * numbered in raster order of their first pixel.
 */
export function labelComponents(mask: Mask, connectivity: Connectivity = 8, value: 0 | 1 = 1): Components {
  checkMask(mask);
  if (connectivity !== 4 && connectivity !== 8) {
    throw new TissueParamError({
      context: 'connected components',
      parameter: 'connectivity',
      expected: '4 or 8',
      received: connectivity,
    });
  }
  const { labels, count, areas } = labelImageComponents(mask.data, mask.width, mask.height, { connectivity, value });
  return { labels, count, areasPx: areas };
}

/** Drops tissue components (8-connected) with fewer than `minAreaPx` pixels. */
export function removeSmallComponents(mask: Mask, minAreaPx: number): Mask {
  const { labels, areasPx } = labelComponents(mask, 8, 1);
  const out = new Uint8Array(mask.width * mask.height);
  for (let i = 0; i < out.length; i++) {
    const l = labels[i];
    out[i] = l !== 0 && areasPx[l] >= minAreaPx ? 1 : 0;
  }
  return { data: out, width: mask.width, height: mask.height };
}

/**
 * Fills holes (background not connected to the image border) of at most `maxAreaPx` pixels.
 * Background is taken 4-connected: with 8-connected tissue, a diagonal gap in a tissue ring
 * does not let the background out, so the hole stays a hole.
 */
export function fillSmallHoles(mask: Mask, maxAreaPx: number): Mask {
  const { width, height } = mask;
  const { labels, count, areasPx } = labelComponents(mask, 4, 0);
  const touchesBorder = new Uint8Array(count + 1);
  for (let x = 0; x < width; x++) {
    touchesBorder[labels[x]] = 1;
    touchesBorder[labels[(height - 1) * width + x]] = 1;
  }
  for (let y = 0; y < height; y++) {
    touchesBorder[labels[y * width]] = 1;
    touchesBorder[labels[y * width + width - 1]] = 1;
  }
  const out = new Uint8Array(width * height);
  for (let i = 0; i < out.length; i++) {
    const l = labels[i];
    out[i] = l === 0 || (!touchesBorder[l] && areasPx[l] <= maxAreaPx) ? 1 : 0;
  }
  return { data: out, width, height };
}
