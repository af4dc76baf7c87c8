// Pixels to a backbone's input tensor: bilinear resize, channel order, scale, mean/std per channel,
// written straight into the batch tensor in NCHW order (no intermediate float image).
import { z } from 'zod';
import type { RgbImage } from './backbone';

const fields = {
  input_px: z.number().int().min(1).max(4096),
  channels: z.enum(['RGB', 'BGR']),
  layout: z.literal('NCHW'),
  scale: z.number().positive(),
  mean: z.array(z.number()).length(3),
  std: z.array(z.number().positive()).length(3),
  resize: z.literal('bilinear'),
};

/**
 * How a backbone wants its input. Plane k of the tensor holds channel `channels[k]` as
 * (pixel * scale - mean[k]) / std[k] (mean and std in the model's channel order), resized to
 * input_px x input_px (bilinear, pixel centres aligned as PyTorch's interpolate with
 * align_corners=False, no antialiasing).
 */
export const preprocessingSchema = z.object(fields).strict();
export type Preprocessing = z.output<typeof preprocessingSchema>;

/** Any subset of the fields: what a sidecar JSON or the model metadata may give. */
export const partialPreprocessingSchema = z.object(fields).partial();
export type PartialPreprocessing = z.output<typeof partialPreprocessingSchema>;

/** ImageNet statistics, as torchvision's ResNets and most pathology foundation models expect. */
export const IMAGENET_PREPROCESSING: Omit<Preprocessing, 'input_px'> = {
  channels: 'RGB',
  layout: 'NCHW',
  scale: 1 / 255,
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
  resize: 'bilinear',
};

interface Axis {
  lo: Int32Array;
  hi: Int32Array;
  /** Weight of `hi`. */
  t: Float32Array;
}

/** Source taps for each output coordinate: src = (dst + 0.5) * in / out - 0.5, clamped. */
function axis(inPx: number, outPx: number): Axis {
  const lo = new Int32Array(outPx);
  const hi = new Int32Array(outPx);
  const t = new Float32Array(outPx);
  const ratio = inPx / outPx;
  for (let i = 0; i < outPx; i++) {
    const src = Math.min(Math.max((i + 0.5) * ratio - 0.5, 0), inPx - 1);
    lo[i] = Math.floor(src);
    hi[i] = Math.min(lo[i] + 1, inPx - 1);
    t[i] = src - lo[i];
  }
  return { lo, hi, t };
}

/** Fills image `index` of an NCHW float tensor of `count` images with the preprocessed patch. */
export class Preprocessor {
  private readonly a: Float32Array;
  private readonly b: Float32Array;
  private readonly order: [number, number, number];
  private axes = new Map<string, { x: Axis; y: Axis }>();

  constructor(readonly spec: Preprocessing) {
    // Plane k: value = pixel * a[k] + b[k], with a = scale / std, b = -mean / std.
    this.a = Float32Array.from(spec.std, (s) => spec.scale / s);
    this.b = Float32Array.from(spec.mean, (m, k) => -m / spec.std[k]);
    this.order = spec.channels === 'RGB' ? [0, 1, 2] : [2, 1, 0];
  }

  get px(): number {
    return this.spec.input_px;
  }

  /** A tensor for `count` images: [count, 3, px, px]. */
  allocate(count: number): Float32Array {
    return new Float32Array(count * 3 * this.px * this.px);
  }

  write(img: RgbImage, out: Float32Array, index: number): void {
    const px = this.px;
    const plane = px * px;
    const base = index * 3 * plane;
    const { data, width, height } = img;
    if (data.length < width * height * 3)
      throw new Error(`image data holds ${data.length} bytes, expected ${width * height * 3}`);
    for (let k = 0; k < 3; k++) {
      // Output plane k holds source channel order[k].
      const c = this.order[k];
      const a = this.a[k];
      const b = this.b[k];
      const o = base + k * plane;
      if (width === px && height === px) {
        for (let i = 0; i < plane; i++) out[o + i] = data[i * 3 + c] * a + b;
        continue;
      }
      const key = `${width}x${height}`;
      let ax = this.axes.get(key);
      if (!ax) this.axes.set(key, (ax = { x: axis(width, px), y: axis(height, px) }));
      const { x, y } = ax;
      for (let r = 0; r < px; r++) {
        const row0 = y.lo[r] * width;
        const row1 = y.hi[r] * width;
        const ty = y.t[r];
        for (let q = 0; q < px; q++) {
          const x0 = x.lo[q];
          const x1 = x.hi[q];
          const tx = x.t[q];
          const p00 = data[(row0 + x0) * 3 + c];
          const p01 = data[(row0 + x1) * 3 + c];
          const p10 = data[(row1 + x0) * 3 + c];
          const p11 = data[(row1 + x1) * 3 + c];
          const top = p00 + (p01 - p00) * tx;
          const bottom = p10 + (p11 - p10) * tx;
          out[o + r * px + q] = (top + (bottom - top) * ty) * a + b;
        }
      }
    }
  }
}
