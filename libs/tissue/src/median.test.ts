import { describe, expect, it } from 'vitest';
import { TissueParamError } from './errors';
import { medianFilter } from './median';
import { mulberry32 as rng } from '@slidepipe/testing';

/** Sort every window, edges replicated. */
function naiveMedian(data: Uint8Array, width: number, height: number, k: number): Uint8Array {
  const r = (k - 1) / 2;
  const out = new Uint8Array(width * height);
  const clamp = (v: number, n: number): number => Math.min(n - 1, Math.max(0, v));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const win: number[] = [];
      for (let dy = -r; dy <= r; dy++)
        for (let dx = -r; dx <= r; dx++) win.push(data[clamp(y + dy, height) * width + clamp(x + dx, width)]);
      win.sort((a, b) => a - b);
      out[y * width + x] = win[(win.length - 1) / 2];
    }
  }
  return out;
}

describe('medianFilter', () => {
  it('matches sorting each window on random images, including images smaller than the window', () => {
    const next = rng(11);
    for (const [w, h] of [
      [31, 19],
      [3, 2],
      [1, 9],
    ] as const) {
      for (const k of [1, 3, 7]) {
        // Few distinct values make many ties, the case where a sliding median goes wrong.
        const levels = k === 3 ? 4 : 256;
        const data = Uint8Array.from(
          { length: w * h },
          () => Math.floor(next() * levels) * Math.floor(255 / (levels - 1)),
        );
        expect(medianFilter(data, w, h, k)).toEqual(naiveMedian(data, w, h, k));
      }
    }
  });

  it('removes isolated salt pixels and keeps a flat field', () => {
    const w = 9;
    const data = new Uint8Array(w * w).fill(40);
    data[4 * w + 4] = 255;
    data[0] = 255;
    expect(Array.from(medianFilter(data, w, w, 3))).toEqual(new Array(w * w).fill(40));
  });

  it('rejects an even kernel and a buffer of the wrong length', () => {
    expect(() => medianFilter(new Uint8Array(4), 2, 2, 2)).toThrow(TissueParamError);
    expect(() => medianFilter(new Uint8Array(4), 2, 2, 2)).toThrow(
      /"kernelPx": expected an odd integer >= 1, received 2/,
    );
    expect(() => medianFilter(new Uint8Array(5), 2, 2, 3)).toThrow(/expected 4 bytes/);
  });
});
