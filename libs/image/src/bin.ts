/** Mean of f x f blocks of an RGB image, rounded (the partial blocks at the right and bottom are dropped). */
export function binRgb(data: Uint8Array, w: number, h: number, f: number, out: Uint8Array): void {
  const bw = Math.floor(w / f);
  const bh = Math.floor(h / f);
  if (f === 2) {
    // The common case (256 px patches), unrolled.
    const row = w * 3;
    for (let by = 0; by < bh; by++) {
      let p = 2 * by * row;
      let o = by * bw * 3;
      for (let bx = 0; bx < bw; bx++, p += 6, o += 3) {
        const q = p + row;
        out[o] = (data[p] + data[p + 3] + data[q] + data[q + 3] + 2) >> 2;
        out[o + 1] = (data[p + 1] + data[p + 4] + data[q + 1] + data[q + 4] + 2) >> 2;
        out[o + 2] = (data[p + 2] + data[p + 5] + data[q + 2] + data[q + 5] + 2) >> 2;
      }
    }
    return;
  }
  const area = f * f;
  const half = area >> 1;
  for (let by = 0; by < bh; by++) {
    for (let bx = 0; bx < bw; bx++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let dy = 0; dy < f; dy++) {
        let p = ((by * f + dy) * w + bx * f) * 3;
        for (let dx = 0; dx < f; dx++, p += 3) {
          r += data[p];
          g += data[p + 1];
          b += data[p + 2];
        }
      }
      const o = (by * bw + bx) * 3;
      out[o] = ((r + half) / area) | 0;
      out[o + 1] = ((g + half) / area) | 0;
      out[o + 2] = ((b + half) / area) | 0;
    }
  }
}
