import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { decodeJpeg, decodeJpegAsync, encodeJpeg, encodeJpegAsync, JpegError, setJpegMaxInFlight } from './index';
import type { JpegPixelFormat } from './index';

// A smooth, tissue-like RGB test image: gradients plus low-frequency blobs, so JPEG error stays small.
function testImageRgb(width: number, height: number, seed = 0): Buffer {
  const rgb = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      rgb[i] = 128 + 100 * Math.sin((x + seed) / 23);
      rgb[i + 1] = (255 * y) / height;
      rgb[i + 2] = 128 + 90 * Math.cos((x - y + seed) / 31);
    }
  }
  return rgb;
}

// The same pixels in another byte layout; X/A bytes are set to junk that must be ignored.
function toLayout(rgb: Buffer, format: JpegPixelFormat): Buffer {
  if (format === 'rgb') return rgb;
  const n = rgb.length / 3;
  const out = Buffer.alloc(n * 4);
  const [ri, gi, bi, xi] = { rgbx: [0, 1, 2, 3], rgba: [0, 1, 2, 3], bgrx: [2, 1, 0, 3], bgra: [2, 1, 0, 3] }[format];
  for (let p = 0; p < n; p++) {
    out[p * 4 + ri] = rgb[p * 3];
    out[p * 4 + gi] = rgb[p * 3 + 1];
    out[p * 4 + bi] = rgb[p * 3 + 2];
    out[p * 4 + xi] = format.endsWith('a') ? 255 : 17;
  }
  return out;
}

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

async function sharpDecodeRgb(jpeg: Buffer): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(jpeg).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  expect(info.channels).toBe(3);
  return { data, width: info.width, height: info.height };
}

const W = 256;
const H = 192;

describe('encodeJpeg', () => {
  it.each(['rgb', 'rgbx', 'bgrx', 'bgra', 'rgba'] as const)(
    'round-trips %s through sharp with a small error',
    async (format) => {
      const rgb = testImageRgb(W, H);
      const jpeg = encodeJpeg(toLayout(rgb, format), W, H, { pixelFormat: format, quality: 90 });
      expect(jpeg.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
      const decoded = await sharpDecodeRgb(jpeg);
      expect([decoded.width, decoded.height]).toEqual([W, H]);
      // A swapped channel order gives a difference of tens of levels.
      expect(meanAbsDiff(decoded.data, rgb)).toBeLessThan(2.5);
    },
  );

  it('honours subsampling and quality', async () => {
    const rgb = testImageRgb(W, H);
    const j420 = encodeJpeg(rgb, W, H, { pixelFormat: 'rgb' });
    const j444 = encodeJpeg(rgb, W, H, { pixelFormat: 'rgb', subsampling: '444' });
    expect((await sharp(j420).metadata()).chromaSubsampling).toBe('4:2:0');
    expect((await sharp(j444).metadata()).chromaSubsampling).toBe('4:4:4');
    const q30 = encodeJpeg(rgb, W, H, { pixelFormat: 'rgb', quality: 30 });
    const q95 = encodeJpeg(rgb, W, H, { pixelFormat: 'rgb', quality: 95 });
    expect(q95.length).toBeGreaterThan(q30.length);
    const err30 = meanAbsDiff((await sharpDecodeRgb(q30)).data, rgb);
    const err95 = meanAbsDiff((await sharpDecodeRgb(q95)).data, rgb);
    expect(err95).toBeLessThan(err30);
  });

  it('reads rows with a pitch larger than the width (a crop of a bigger buffer)', async () => {
    const rgb = testImageRgb(W, H);
    const bgrx = toLayout(rgb, 'bgrx');
    // Left half of the image, rows still W pixels apart.
    const half = encodeJpeg(bgrx, W / 2, H, { pixelFormat: 'bgrx', rowBytes: W * 4, quality: 95 });
    const decoded = await sharpDecodeRgb(half);
    expect([decoded.width, decoded.height]).toEqual([W / 2, H]);
    const expected = Buffer.alloc((W / 2) * H * 3);
    for (let y = 0; y < H; y++) rgb.copy(expected, y * (W / 2) * 3, y * W * 3, y * W * 3 + (W / 2) * 3);
    expect(meanAbsDiff(decoded.data, expected)).toBeLessThan(2);
  });

  it('returns buffers that own their bytes (the next encode does not overwrite them)', () => {
    const first = encodeJpeg(testImageRgb(W, H, 0), W, H, { pixelFormat: 'rgb' });
    const snapshot = Buffer.from(first);
    encodeJpeg(testImageRgb(W, H, 99), W, H, { pixelFormat: 'rgb' });
    expect(first.equals(snapshot)).toBe(true);
    expect(first.buffer.byteLength).toBeLessThan(64 * 1024);
  });

  it('refuses a pixel buffer shorter than width x height x channels', () => {
    const short = Buffer.alloc(W * H * 4 - 1);
    expect(() => encodeJpeg(short, W, H, { pixelFormat: 'bgrx' })).toThrowError(/needs 196608 bytes, got 196607/);
    try {
      encodeJpeg(short, W, H, { pixelFormat: 'bgrx' });
    } catch (err) {
      expect(err).toBeInstanceOf(JpegError);
      expect((err as JpegError).reason).toBe('JPEG_INVALID_ARGUMENT');
    }
  });

  it('refuses bad options with what was expected and what was received', () => {
    const rgb = testImageRgb(8, 8);
    expect(() => encodeJpeg(rgb, 8, 8, { pixelFormat: 'rgb', quality: 0 })).toThrowError(
      /quality: expected an integer in 1..100, got 0/,
    );
    expect(() => encodeJpeg(rgb, 8, 8, { pixelFormat: 'cmyk' as JpegPixelFormat })).toThrowError(
      /pixelFormat: expected one of/,
    );
    expect(() => encodeJpeg(rgb, 0, 8, { pixelFormat: 'rgb' })).toThrowError(/width: expected an integer/);
  });
});

describe('decodeJpeg', () => {
  it('matches sharp decoding a JPEG that sharp encoded', async () => {
    const rgb = testImageRgb(W, H);
    const jpeg = await sharp(rgb, { raw: { width: W, height: H, channels: 3 } })
      .jpeg({ quality: 85 })
      .toBuffer();
    const ours = decodeJpeg(jpeg, { pixelFormat: 'rgb' });
    expect([ours.width, ours.height, ours.channels]).toEqual([W, H, 3]);
    const theirs = await sharpDecodeRgb(jpeg);
    // Same codec underneath; only the upsampling/IDCT details may differ.
    expect(meanAbsDiff(ours.data, theirs.data)).toBeLessThan(1);
  });

  it('decodes to 4-byte layouts in the requested channel order', () => {
    const rgb = testImageRgb(W, H);
    const jpeg = encodeJpeg(rgb, W, H, { pixelFormat: 'rgb', quality: 95 });
    const asRgb = decodeJpeg(jpeg).data;
    const asBgrx = decodeJpeg(jpeg, { pixelFormat: 'bgrx' });
    expect(asBgrx.channels).toBe(4);
    let mismatches = 0;
    for (let p = 0; p < W * H; p++) {
      const [b, g, r] = asBgrx.data.subarray(p * 4, p * 4 + 3);
      if (r !== asRgb[p * 3] || g !== asRgb[p * 3 + 1] || b !== asRgb[p * 3 + 2]) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  it('rejects garbage with TurboJPEG’s message', () => {
    const garbage = Buffer.from('this is not a JPEG file at all, just text');
    expect(() => decodeJpeg(garbage)).toThrowError(JpegError);
    try {
      decodeJpeg(garbage);
    } catch (err) {
      expect((err as JpegError).reason).toBe('JPEG_DECODE_FAILED');
      expect((err as JpegError).tjMessage).toMatch(/Not a JPEG file/);
      expect((err as JpegError).exitCode).toBe(65);
    }
    expect(() => decodeJpeg(Buffer.alloc(0))).toThrowError(/empty input/);
  });

  it('flags a truncated JPEG as a failure marked as a warning', async () => {
    const jpeg = encodeJpeg(testImageRgb(W, H), W, H, { pixelFormat: 'rgb' });
    const truncated = jpeg.subarray(0, Math.floor(jpeg.length / 2));
    let caught: unknown;
    try {
      decodeJpeg(truncated);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(JpegError);
    expect((caught as JpegError).warning).toBe(true);
    await expect(decodeJpegAsync(truncated)).rejects.toMatchObject({ reason: 'JPEG_DECODE_FAILED', warning: true });
  });
});

describe('async variants', () => {
  it('encode the same bytes as the sync call, many at once', async () => {
    const images = Array.from({ length: 12 }, (_, i) => toLayout(testImageRgb(W, H, i * 13), 'bgrx'));
    const syncOut = images.map((px) => encodeJpeg(px, W, H, { pixelFormat: 'bgrx', quality: 80 }));
    const asyncOut = await Promise.all(
      images.map((px) => encodeJpegAsync(px, W, H, { pixelFormat: 'bgrx', quality: 80 })),
    );
    asyncOut.forEach((jpeg, i) => expect(jpeg.equals(syncOut[i])).toBe(true));
    // Distinct inputs give distinct outputs, so a mixed-up scratch buffer would show.
    expect(new Set(asyncOut.map((j) => j.toString('base64'))).size).toBe(images.length);
  });

  it('decode the same pixels as the sync call', async () => {
    const jpegs = Array.from({ length: 6 }, (_, i) => encodeJpeg(testImageRgb(W, H, i), W, H, { pixelFormat: 'rgb' }));
    const decoded = await Promise.all(jpegs.map((j) => decodeJpegAsync(j)));
    decoded.forEach((d, i) => expect(d.data.equals(decodeJpeg(jpegs[i]).data)).toBe(true));
  });

  it('decode into a place inside a larger buffer, with its row stride, leaving the rest alone', async () => {
    const jpeg = encodeJpeg(testImageRgb(W, H), W, H, { pixelFormat: 'rgb' });
    const alone = decodeJpeg(jpeg, { pixelFormat: 'bgrx' }).data;
    // Room for W + 10 pixels a row and two rows more; the image goes 3 rows down, 5 pixels in.
    const rowBytes = (W + 10) * 4;
    const big = Buffer.alloc(rowBytes * (H + 5), 7);
    const at = 3 * rowBytes + 5 * 4;
    for (const decoded of [
      decodeJpeg(jpeg, { pixelFormat: 'bgrx', into: big.subarray(at), rowBytes }),
      await decodeJpegAsync(jpeg, { pixelFormat: 'bgrx', into: big.subarray(at), rowBytes }),
    ]) {
      expect(decoded.data.byteOffset).toBe(big.byteOffset + at);
      for (let y = 0; y < H; y++)
        expect(
          big.subarray(at + y * rowBytes, at + y * rowBytes + W * 4).equals(alone.subarray(y * W * 4, (y + 1) * W * 4)),
        ).toBe(true);
      expect(big[at - 1]).toBe(7);
      expect(big[at + W * 4]).toBe(7);
    }
    expect(() => decodeJpeg(jpeg, { pixelFormat: 'bgrx', into: Buffer.alloc(W * H * 4 - 1) })).toThrowError(
      /into: a \d+x\d+ bgrx decode needs \d+ bytes, got/,
    );
    expect(() => decodeJpeg(jpeg, { pixelFormat: 'bgrx', into: big, rowBytes: 4 })).toThrowError(
      /rowBytes: expected an integer >=/,
    );
  });

  it('queue beyond koffi’s 256 async calls and beyond the in-flight limit', async () => {
    setJpegMaxInFlight(3);
    try {
      const px = testImageRgb(16, 16);
      const expected = encodeJpeg(px, 16, 16, { pixelFormat: 'rgb' });
      const results = await Promise.all(
        Array.from({ length: 400 }, () => encodeJpegAsync(px, 16, 16, { pixelFormat: 'rgb' })),
      );
      expect(results.every((r) => r.equals(expected))).toBe(true);
    } finally {
      setJpegMaxInFlight(Math.min(availableParallelism(), 8));
    }
  });

  it('reject garbage with a JpegError', async () => {
    await expect(decodeJpegAsync(Buffer.from('garbage garbage garbage'))).rejects.toMatchObject({
      reason: 'JPEG_DECODE_FAILED',
      tjMessage: expect.stringMatching(/Not a JPEG file/),
    });
    await expect(encodeJpegAsync(Buffer.alloc(10), W, H, { pixelFormat: 'rgb' })).rejects.toBeInstanceOf(JpegError);
  });
});
