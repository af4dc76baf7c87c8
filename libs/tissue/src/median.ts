import { TissueInputError, TissueParamError } from './errors';

/**
 * Median filter of a one-channel 8-bit image over a k x k window, edges replicated (as OpenCV's
 * medianBlur and PIL's MedianFilter do). Huang's sliding histogram: each step along a row swaps
 * one column of k values and moves the median by the few bins it changed, so the cost per pixel
 * is O(k) rather than O(k^2 log k).
 */
export function medianFilter(data: Uint8Array, width: number, height: number, kernelPx: number): Uint8Array {
  if (!Number.isInteger(kernelPx) || kernelPx < 1 || kernelPx % 2 !== 1) {
    throw new TissueParamError({
      context: 'median filter',
      parameter: 'kernelPx',
      expected: 'an odd integer >= 1',
      received: kernelPx,
    });
  }
  if (data.length !== width * height) {
    throw new TissueInputError(
      `median filter: expected ${width * height} bytes for ${width}x${height}, received ${data.length}`,
    );
  }
  const out = new Uint8Array(width * height);
  if (kernelPx === 1) {
    out.set(data);
    return out;
  }
  const r = (kernelPx - 1) / 2;
  // Rank (0-based) of the median among the k^2 values.
  const half = (kernelPx * kernelPx - 1) / 2;
  const hist = new Int32Array(256);
  const clampX = (x: number): number => (x < 0 ? 0 : x >= width ? width - 1 : x);
  const rows = new Int32Array(kernelPx);

  for (let y = 0; y < height; y++) {
    for (let dy = -r; dy <= r; dy++) {
      const yy = y + dy;
      rows[dy + r] = (yy < 0 ? 0 : yy >= height ? height - 1 : yy) * width;
    }
    hist.fill(0);
    for (let dx = -r; dx <= r; dx++) {
      const xx = clampX(dx);
      for (let i = 0; i < kernelPx; i++) hist[data[rows[i] + xx]]++;
    }
    // Start the median search from the bottom; `below` counts values < med.
    let med = 0;
    let below = 0;
    while (below + hist[med] <= half) below += hist[med++];
    out[y * width] = med;

    for (let x = 1; x < width; x++) {
      const gone = clampX(x - r - 1);
      const come = clampX(x + r);
      for (let i = 0; i < kernelPx; i++) {
        const vOut = data[rows[i] + gone];
        hist[vOut]--;
        if (vOut < med) below--;
        const vIn = data[rows[i] + come];
        hist[vIn]++;
        if (vIn < med) below++;
      }
      while (below > half) below -= hist[--med];
      while (below + hist[med] <= half) below += hist[med++];
      out[y * width + x] = med;
    }
  }
  return out;
}
