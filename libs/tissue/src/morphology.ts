import { TissueParamError } from './errors';
import { checkMask } from './mask';
import type { Mask } from './types';

/**
 * Binary dilation, erosion and closing. Pixels outside the image are ignored (as OpenCV's default
 * border and FAST's clamp-to-edge sampler do), so closing never eats tissue that touches the edge
 * of the thumbnail; the flip side is that a gap narrower than the element between tissue and
 * the edge is closed too.
 *
 * A `square` element of size k is the k x k block; a `disc` of size k holds the offsets (dx, dy)
 * with dx^2 + dy^2 <= r^2 for r = (k - 1) / 2 (FAST's structuring element). Square passes are
 * separable and cost O(1) per pixel whatever k; a disc costs O(k) per pixel (one range count per
 * row of the disc, answered from row prefix sums).
 */
export type StructuringShape = 'square' | 'disc';

export const STRUCTURING_SHAPES: readonly StructuringShape[] = ['square', 'disc'];

type Mode = 'any' | 'all';

function checkElement(sizePx: number, shape: string): void {
  if (!Number.isInteger(sizePx) || sizePx < 1 || sizePx % 2 !== 1) {
    throw new TissueParamError({
      context: 'morphology',
      parameter: 'sizePx',
      expected: 'an odd integer >= 1',
      received: sizePx,
    });
  }
  if (!STRUCTURING_SHAPES.includes(shape as StructuringShape)) {
    throw new TissueParamError({
      context: 'morphology',
      parameter: 'shape',
      expected: '"square" or "disc"',
      received: shape,
    });
  }
}

/** One 1-D pass of a square element along rows (stride 1) or columns (stride width). */
function linePass(
  src: Uint8Array,
  dst: Uint8Array,
  width: number,
  height: number,
  r: number,
  mode: Mode,
  alongRows: boolean,
): void {
  const lines = alongRows ? height : width;
  const n = alongRows ? width : height;
  const step = alongRows ? 1 : width;
  const prefix = new Int32Array(n + 1);
  for (let line = 0; line < lines; line++) {
    const base = alongRows ? line * width : line;
    for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i] + (src[base + i * step] !== 0 ? 1 : 0);
    for (let i = 0; i < n; i++) {
      const lo = i - r < 0 ? 0 : i - r;
      const hi = i + r >= n ? n - 1 : i + r;
      const count = prefix[hi + 1] - prefix[lo];
      dst[base + i * step] = mode === 'any' ? (count > 0 ? 1 : 0) : count === hi - lo + 1 ? 1 : 0;
    }
  }
}

function squareOp(mask: Mask, r: number, mode: Mode): Mask {
  const { width, height } = mask;
  const tmp = new Uint8Array(width * height);
  const out = new Uint8Array(width * height);
  linePass(mask.data, tmp, width, height, r, mode, true);
  linePass(tmp, out, width, height, r, mode, false);
  return { data: out, width, height };
}

/** Half-width of each row of a disc of radius r: the largest a with a^2 + dy^2 <= r^2. */
export function discHalfWidths(r: number): Int32Array {
  const hw = new Int32Array(2 * r + 1);
  for (let dy = -r; dy <= r; dy++) {
    let a = 0;
    while ((a + 1) * (a + 1) + dy * dy <= r * r) a++;
    hw[dy + r] = a;
  }
  return hw;
}

function discOp(mask: Mask, r: number, mode: Mode): Mask {
  const { width, height, data } = mask;
  const rowLen = width + 1;
  const prefix = new Int32Array(rowLen * height);
  for (let y = 0; y < height; y++) {
    const p = y * rowLen;
    const s = y * width;
    for (let x = 0; x < width; x++) prefix[p + x + 1] = prefix[p + x] + (data[s + x] !== 0 ? 1 : 0);
  }
  const hw = discHalfWidths(r);
  const dilate = mode === 'any';
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const dyLo = y - r < 0 ? -y : -r;
    const dyHi = y + r >= height ? height - 1 - y : r;
    for (let x = 0; x < width; x++) {
      // Dilation looks for a row with any tissue, erosion for a row with any background.
      let found = false;
      for (let dy = dyLo; dy <= dyHi; dy++) {
        const a = hw[dy + r];
        const lo = x - a < 0 ? 0 : x - a;
        const hi = x + a >= width ? width - 1 : x + a;
        const p = (y + dy) * rowLen;
        const count = prefix[p + hi + 1] - prefix[p + lo];
        if (dilate ? count > 0 : count !== hi - lo + 1) {
          found = true;
          break;
        }
      }
      out[y * width + x] = found === dilate ? 1 : 0;
    }
  }
  return { data: out, width, height };
}

function apply(mask: Mask, sizePx: number, shape: StructuringShape, mode: Mode): Mask {
  checkMask(mask);
  checkElement(sizePx, shape);
  const r = (sizePx - 1) / 2;
  if (r === 0)
    return { data: Uint8Array.from(mask.data, (v) => (v !== 0 ? 1 : 0)), width: mask.width, height: mask.height };
  return shape === 'square' ? squareOp(mask, r, mode) : discOp(mask, r, mode);
}

/** Tissue wherever the element centred on the pixel touches tissue. */
export function dilateMask(mask: Mask, sizePx: number, shape: StructuringShape = 'square'): Mask {
  return apply(mask, sizePx, shape, 'any');
}

/** Tissue only where the element centred on the pixel lies wholly on tissue (inside the image). */
export function erodeMask(mask: Mask, sizePx: number, shape: StructuringShape = 'square'): Mask {
  return apply(mask, sizePx, shape, 'all');
}

/** Closing (dilation then erosion, sizes may differ as in FAST): fills gaps and notches narrower than the element. */
export function closeMask(
  mask: Mask,
  dilationPx: number,
  erosionPx = dilationPx,
  shape: StructuringShape = 'square',
): Mask {
  return erodeMask(dilateMask(mask, dilationPx, shape), erosionPx, shape);
}
