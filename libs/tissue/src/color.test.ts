import { describe, expect, it } from 'vitest';
import { saturation } from './color';

describe('saturation', () => {
  it('is 255 * (max - min) / max rounded, and 0 for black, white and grey', () => {
    const px = [
      [255, 0, 0, 255],
      [255, 255, 255, 0],
      [0, 0, 0, 0],
      [128, 128, 128, 0],
      [200, 100, 150, 128], // 127.5 rounds up
      [3, 2, 1, 170],
      [240, 200, 230, 43], // 42.5 rounds up
    ];
    const img = { data: Uint8Array.from(px.flatMap((p) => p.slice(0, 3))), width: px.length, height: 1 };
    expect(Array.from(saturation(img))).toEqual(px.map((p) => p[3]));
  });
});
