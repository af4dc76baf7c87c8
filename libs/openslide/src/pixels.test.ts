import { describe, expect, it } from 'vitest';
import { argbToBgrx, argbToRgb, argbToRgbx, isOpaque } from './pixels';
import type { ArgbPixels } from './pixels';

// Three pixels as OpenSlide stores them (B,G,R,A, premultiplied): opaque red-ish,
// fully transparent (outside the slide), and half-transparent blue (b = 64 premultiplied by a = 128).
function sample(): ArgbPixels {
  const data = Buffer.from([10, 20, 200, 255, 0, 0, 0, 0, 64, 0, 0, 128]);
  return { data, width: 3, height: 1, opaque: false };
}

describe('isOpaque', () => {
  it('is true only when every alpha is 255', () => {
    expect(isOpaque(Buffer.from([1, 2, 3, 255, 4, 5, 6, 255]))).toBe(true);
    expect(isOpaque(Buffer.from([1, 2, 3, 255, 4, 5, 6, 254]))).toBe(false);
  });

  it('works on unaligned memory (falls back to bytes)', () => {
    const backing = Buffer.alloc(4 * 3 + 1, 255);
    backing[1 + 4 + 3] = 7;
    expect(isOpaque(backing.subarray(1))).toBe(false);
    backing[1 + 4 + 3] = 255;
    expect(isOpaque(backing.subarray(1))).toBe(true);
  });
});

describe('conversions', () => {
  it('composite on white: c + (255 - a), equal to un-premultiplying and blending', () => {
    // Half-transparent blue: un-premultiplied 128 at a = 128 over white = 128 * 128/255 + 255 * 127/255 = 191.
    expect([...argbToRgb(sample())]).toEqual([200, 20, 10, 255, 255, 255, 127, 127, 191]);
    expect([...argbToRgbx(sample())]).toEqual([200, 20, 10, 255, 255, 255, 255, 255, 127, 127, 191, 255]);
    expect([...argbToBgrx(sample())]).toEqual([10, 20, 200, 255, 255, 255, 255, 255, 191, 127, 127, 255]);
  });

  it('swizzles opaque pixels without touching them otherwise', () => {
    const opaque: ArgbPixels = { data: Buffer.from([1, 2, 3, 255, 4, 5, 6, 255]), width: 2, height: 1, opaque: true };
    expect([...argbToRgb(opaque)]).toEqual([3, 2, 1, 6, 5, 4]);
    expect(argbToBgrx(opaque)).toBe(opaque.data);
    expect([...opaque.data]).toEqual([1, 2, 3, 255, 4, 5, 6, 255]);
  });

  it('gives the same result in place as into a new buffer', () => {
    for (const opaque of [false, true]) {
      const make = (): ArgbPixels => {
        const data = Buffer.alloc(64 * 4);
        for (let i = 0; i < data.length; i++) data[i] = (i * 37) & 255;
        for (let i = 3; i < data.length; i += 4) data[i] = opaque ? 255 : (i * 11) & 255;
        // Keep the premultiplied invariant c <= a.
        for (let i = 0; i < data.length; i++) if (i % 4 !== 3) data[i] = Math.min(data[i], data[i - (i % 4) + 3]);
        return { data, width: 8, height: 8, opaque };
      };
      const a = make();
      expect(argbToRgb(a, a.data).equals(argbToRgb(make()))).toBe(true);
      const b = make();
      expect(argbToRgbx(b, b.data).equals(argbToRgbx(make()))).toBe(true);
    }
  });

  it('marks the pixels opaque after compositing in place', () => {
    const px = sample();
    argbToBgrx(px);
    expect(px.opaque).toBe(true);
    expect(isOpaque(px.data)).toBe(true);
  });

  it('refuses an output buffer that is too small', () => {
    expect(() => argbToRgb(sample(), Buffer.alloc(8))).toThrowError(/out: needs 9 bytes, got 8/);
  });
});
