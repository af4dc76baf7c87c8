// Area-average (box) downscaling of 4-byte pixels, for patches read larger at a finer level than
// the output resolution. Each output pixel is the mean of the source area it covers, so no
// aliasing from skipped pixels and no ringing; it runs on the main thread between the native
// read and the native encode, so it is kept to integer arithmetic where the factor is whole.

/** Source pixels per output pixel along one axis, as (first source index, weights) per output pixel. */
interface AxisWeights {
  first: Int32Array;
  count: Int32Array;
  weights: Float32Array;
  maxCount: number;
}

function axisWeights(srcPx: number, dstPx: number): AxisWeights {
  const scale = srcPx / dstPx;
  const maxCount = Math.ceil(scale) + 1;
  const first = new Int32Array(dstPx);
  const count = new Int32Array(dstPx);
  const weights = new Float32Array(dstPx * maxCount);
  for (let o = 0; o < dstPx; o++) {
    const a = o * scale;
    const b = Math.min(srcPx, (o + 1) * scale);
    const i0 = Math.floor(a);
    const i1 = Math.min(srcPx, Math.ceil(b));
    first[o] = i0;
    count[o] = i1 - i0;
    for (let i = i0; i < i1; i++) weights[o * maxCount + (i - i0)] = (Math.min(i + 1, b) - Math.max(i, a)) / (b - a);
  }
  return { first, count, weights, maxCount };
}

function checkSizes(src: Uint8Array, srcW: number, srcH: number, dstW: number, dstH: number, rowBytes: number): void {
  for (const [name, v] of [
    ['srcW', srcW],
    ['srcH', srcH],
    ['dstW', dstW],
    ['dstH', dstH],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name}: expected a positive integer, got ${v}`);
  }
  if (dstW > srcW || dstH > srcH) throw new RangeError(`only shrinks: ${srcW}x${srcH} -> ${dstW}x${dstH}`);
  if (!Number.isInteger(rowBytes) || rowBytes < srcW * 4)
    throw new RangeError(`srcRowBytes: expected an integer >= ${srcW * 4}, got ${rowBytes}`);
  const needed = rowBytes * (srcH - 1) + srcW * 4;
  if (src.byteLength < needed)
    throw new RangeError(`src: ${srcW}x${srcH} needs ${needed} bytes, got ${src.byteLength}`);
}

/**
 * Shrinks 4-byte pixels (BGRX, RGBX, ...: the first three bytes are averaged, the fourth is set
 * to 255) from srcW x srcH to dstW x dstH by area averaging. A whole factor (512 -> 256) takes
 * an integer path; any other factor weights the source pixels by their overlap. `srcRowBytes`
 * lets the source be a rectangle inside a larger image (a patch inside a block read).
 */
export function downscale4(
  src: Uint8Array,
  srcW: number,
  srcH: number,
  dstW: number,
  dstH: number,
  out?: Uint8Array,
  srcRowBytes = srcW * 4,
): Uint8Array {
  checkSizes(src, srcW, srcH, dstW, dstH, srcRowBytes);
  const dst = out ?? new Uint8Array(dstW * dstH * 4);
  if (dst.byteLength < dstW * dstH * 4)
    throw new RangeError(`out: needs ${dstW * dstH * 4} bytes, got ${dst.byteLength}`);
  const kx = srcW / dstW;
  const ky = srcH / dstH;
  if (Number.isInteger(kx) && Number.isInteger(ky)) return downscaleWhole(src, srcRowBytes, dstW, dstH, kx, ky, dst);
  return downscaleArea(src, srcW, srcH, srcRowBytes, dstW, dstH, dst);
}

function downscaleWhole(
  src: Uint8Array,
  rowBytes: number,
  dstW: number,
  dstH: number,
  kx: number,
  ky: number,
  dst: Uint8Array,
): Uint8Array {
  const n = kx * ky;
  const half = n >> 1;
  const rowSums = new Uint32Array(dstW * 3);
  for (let oy = 0; oy < dstH; oy++) {
    rowSums.fill(0);
    for (let dy = 0; dy < ky; dy++) {
      let p = (oy * ky + dy) * rowBytes;
      for (let ox = 0, s = 0; ox < dstW; ox++, s += 3) {
        let c0 = 0;
        let c1 = 0;
        let c2 = 0;
        for (let dx = 0; dx < kx; dx++, p += 4) {
          c0 += src[p];
          c1 += src[p + 1];
          c2 += src[p + 2];
        }
        rowSums[s] += c0;
        rowSums[s + 1] += c1;
        rowSums[s + 2] += c2;
      }
    }
    for (let ox = 0, s = 0, q = oy * dstW * 4; ox < dstW; ox++, s += 3, q += 4) {
      // Integer division with rounding to nearest.
      dst[q] = ((rowSums[s] + half) / n) | 0;
      dst[q + 1] = ((rowSums[s + 1] + half) / n) | 0;
      dst[q + 2] = ((rowSums[s + 2] + half) / n) | 0;
      dst[q + 3] = 255;
    }
  }
  return dst;
}

function downscaleArea(
  src: Uint8Array,
  srcW: number,
  srcH: number,
  rowBytes: number,
  dstW: number,
  dstH: number,
  dst: Uint8Array,
): Uint8Array {
  const wx = axisWeights(srcW, dstW);
  const wy = axisWeights(srcH, dstH);
  // Horizontal pass into floats (dstW x srcH x 3), then vertical.
  const mid = new Float32Array(dstW * srcH * 3);
  for (let y = 0; y < srcH; y++) {
    const row = y * rowBytes;
    for (let ox = 0; ox < dstW; ox++) {
      const i0 = wx.first[ox];
      const cnt = wx.count[ox];
      const wBase = ox * wx.maxCount;
      let c0 = 0;
      let c1 = 0;
      let c2 = 0;
      for (let k = 0; k < cnt; k++) {
        const w = wx.weights[wBase + k];
        const p = row + (i0 + k) * 4;
        c0 += src[p] * w;
        c1 += src[p + 1] * w;
        c2 += src[p + 2] * w;
      }
      const m = (y * dstW + ox) * 3;
      mid[m] = c0;
      mid[m + 1] = c1;
      mid[m + 2] = c2;
    }
  }
  for (let oy = 0; oy < dstH; oy++) {
    const j0 = wy.first[oy];
    const cnt = wy.count[oy];
    const wBase = oy * wy.maxCount;
    for (let ox = 0; ox < dstW; ox++) {
      let c0 = 0;
      let c1 = 0;
      let c2 = 0;
      for (let k = 0; k < cnt; k++) {
        const w = wy.weights[wBase + k];
        const m = ((j0 + k) * dstW + ox) * 3;
        c0 += mid[m] * w;
        c1 += mid[m + 1] * w;
        c2 += mid[m + 2] * w;
      }
      const q = (oy * dstW + ox) * 4;
      dst[q] = Math.min(255, Math.round(c0));
      dst[q + 1] = Math.min(255, Math.round(c1));
      dst[q + 2] = Math.min(255, Math.round(c2));
      dst[q + 3] = 255;
    }
  }
  return dst;
}
