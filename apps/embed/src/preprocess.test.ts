import { describe, expect, it } from 'vitest';
import { IMAGENET_PREPROCESSING, preprocessingSchema, Preprocessor } from './preprocess';

const spec = (over: Record<string, unknown>) =>
  preprocessingSchema.parse({ ...IMAGENET_PREPROCESSING, input_px: 2, ...over });

describe('Preprocessor', () => {
  it('writes (pixel * scale - mean) / std in NCHW order, one plane per channel', () => {
    const p = new Preprocessor(spec({ mean: [0.5, 0.25, 0], std: [0.5, 0.25, 2], scale: 1 / 255 }));
    // Four pixels: (255, 0, 51) everywhere.
    const data = Uint8Array.from({ length: 12 }, (_, i) => [255, 0, 51][i % 3]);
    const out = p.allocate(2);
    p.write({ data, width: 2, height: 2 }, out, 1);
    expect(Array.from(out.subarray(0, 12))).toEqual(new Array(12).fill(0));
    const img = Array.from(out.subarray(12));
    expect(img.slice(0, 4).every((v) => Math.abs(v - 1) < 1e-6)).toBe(true);
    expect(img.slice(4, 8).every((v) => Math.abs(v - -1) < 1e-6)).toBe(true);
    expect(img.slice(8, 12).every((v) => Math.abs(v - 0.1) < 1e-6)).toBe(true);
  });

  it("puts blue first for a BGR model, with mean and std in the model's channel order", () => {
    const p = new Preprocessor(spec({ channels: 'BGR', mean: [0, 0, 0], std: [1, 1, 1], scale: 1 }));
    const data = Uint8Array.from({ length: 12 }, (_, i) => [10, 20, 30][i % 3]);
    const out = p.allocate(1);
    p.write({ data, width: 2, height: 2 }, out, 0);
    expect([out[0], out[4], out[8]]).toEqual([30, 20, 10]);
  });

  it('resizes bilinearly with pixel centres aligned (align_corners=False)', () => {
    const p = new Preprocessor(spec({ input_px: 4, mean: [0, 0, 0], std: [1, 1, 1], scale: 1 }));
    // A 2 x 2 image whose red is 0 on the left and 255 on the right.
    const data = Uint8Array.from([0, 0, 0, 255, 0, 0, 0, 0, 0, 255, 0, 0]);
    const out = p.allocate(1);
    p.write({ data, width: 2, height: 2 }, out, 0);
    // Source x of the output columns: -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1).
    expect(Array.from(out.subarray(0, 4))).toEqual([0, 63.75, 191.25, 255]);
    expect(Array.from(out.subarray(12, 16))).toEqual([0, 63.75, 191.25, 255]);
    expect(out.subarray(16).every((v) => v === 0)).toBe(true);
  });

  it('refuses a spec with the wrong number of means', () => {
    expect(preprocessingSchema.safeParse({ ...IMAGENET_PREPROCESSING, input_px: 224, mean: [0.5, 0.5] }).success).toBe(
      false,
    );
    expect(preprocessingSchema.safeParse({ ...IMAGENET_PREPROCESSING, input_px: 224, std: [1, 0, 1] }).success).toBe(
      false,
    );
    expect(preprocessingSchema.safeParse({ ...IMAGENET_PREPROCESSING, input_px: 224 }).success).toBe(true);
  });
});
