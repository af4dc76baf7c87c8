import { describe, expect, it } from 'vitest';
import { mulberry32 as rng } from '@slidepipe/testing';
import { downscale4 } from './resample';

function randomPixels(w: number, h: number, seed: number): Uint8Array {
  const next = rng(seed);
  return Uint8Array.from({ length: w * h * 4 }, () => Math.floor(next() * 256));
}

/** Exact area average by brute force: each output pixel integrates the source over its footprint. */
function reference(src: Uint8Array, sw: number, sh: number, dw: number, dh: number): number[] {
  const out: number[] = [];
  const sx = sw / dw;
  const sy = sh / dh;
  for (let oy = 0; oy < dh; oy++) {
    for (let ox = 0; ox < dw; ox++) {
      const acc = [0, 0, 0];
      let area = 0;
      for (let y = Math.floor(oy * sy); y < Math.ceil((oy + 1) * sy); y++) {
        const wy = Math.min(y + 1, (oy + 1) * sy) - Math.max(y, oy * sy);
        for (let x = Math.floor(ox * sx); x < Math.ceil((ox + 1) * sx); x++) {
          const w = (Math.min(x + 1, (ox + 1) * sx) - Math.max(x, ox * sx)) * wy;
          for (let c = 0; c < 3; c++) acc[c] += src[(y * sw + x) * 4 + c] * w;
          area += w;
        }
      }
      out.push(...acc.map((v) => v / area), 255);
    }
  }
  return out;
}

describe('downscale4', () => {
  it('averages whole 2x2 blocks, rounding to nearest, and sets the fourth byte to 255', () => {
    // Two 2x2 blocks side by side: B values 0,1,2,3 -> 1.5 -> 2; 10,20,30,41 -> 25.25 -> 25.
    const src = new Uint8Array(4 * 2 * 4);
    const put = (x: number, y: number, v: number) => src.set([v, v + 100, 200, 7], (y * 4 + x) * 4);
    for (const [x, y, v] of [
      [0, 0, 0],
      [1, 0, 1],
      [0, 1, 2],
      [1, 1, 3],
      [2, 0, 10],
      [3, 0, 20],
      [2, 1, 30],
      [3, 1, 41],
    ]) {
      put(x, y, v);
    }
    expect([...downscale4(src, 4, 2, 2, 1)]).toEqual([2, 102, 200, 255, 25, 125, 200, 255]);
  });

  it('matches a brute-force area average for whole and fractional factors', () => {
    for (const [sw, sh, dw, dh] of [
      [512, 512, 256, 256],
      [96, 64, 32, 32],
      [300, 300, 256, 256],
      [77, 50, 20, 13],
    ]) {
      const src = randomPixels(sw, sh, sw * 7 + dw);
      const got = downscale4(src, sw, sh, dw, dh);
      const want = reference(src, sw, sh, dw, dh);
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
      expect(worst, `${sw}x${sh} -> ${dw}x${dh}`).toBeLessThanOrEqual(0.5 + 1e-3);
    }
  });

  it('reads a rectangle inside a larger image through srcRowBytes', () => {
    // A 6 x 5 image; shrink the 4 x 4 rectangle at (1, 1) to 2 x 2 and to 3 x 3.
    const big = randomPixels(6, 5, 99);
    const inner = new Uint8Array(4 * 4 * 4);
    for (let y = 0; y < 4; y++) inner.set(big.subarray(((y + 1) * 6 + 1) * 4, ((y + 1) * 6 + 5) * 4), y * 16);
    for (const side of [2, 3]) {
      expect([...downscale4(big.subarray((6 + 1) * 4), 4, 4, side, side, undefined, 6 * 4)]).toEqual([
        ...downscale4(inner, 4, 4, side, side),
      ]);
    }
  });

  it('keeps a flat colour flat at any factor', () => {
    const src = new Uint8Array(123 * 45 * 4);
    for (let i = 0; i < src.length; i += 4) src.set([200, 150, 100, 255], i);
    const out = downscale4(src, 123, 45, 50, 20);
    for (let i = 0; i < out.length; i += 4) expect([...out.subarray(i, i + 4)]).toEqual([200, 150, 100, 255]);
  });

  it('refuses to enlarge and short buffers', () => {
    expect(() => downscale4(new Uint8Array(16), 2, 2, 4, 4)).toThrowError(/only shrinks/);
    expect(() => downscale4(new Uint8Array(15), 2, 2, 1, 1)).toThrowError(/needs 16 bytes, got 15/);
    expect(() => downscale4(new Uint8Array(16), 2, 2, 1, 1, new Uint8Array(3))).toThrowError(/out: needs 4 bytes/);
    expect(() => downscale4(new Uint8Array(30), 2, 2, 1, 1, undefined, 24)).toThrowError(/needs 32 bytes, got 30/);
    expect(() => downscale4(new Uint8Array(64), 2, 2, 1, 1, undefined, 4)).toThrowError(
      /srcRowBytes: expected an integer >= 8/,
    );
  });
});
