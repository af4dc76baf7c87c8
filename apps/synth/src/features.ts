// Per-patch features and a rank AUC, to show what separates lesion patches from normal tissue:
// the mean colour (deliberately useless here) against simple texture measures.

/** Mean R, G, B of packed RGB pixels. */
export function meanRgb(rgb: Uint8Array): [number, number, number] {
  let r = 0;
  let g = 0;
  let b = 0;
  for (let i = 0; i < rgb.length; i += 3) {
    r += rgb[i];
    g += rgb[i + 1];
    b += rgb[i + 2];
  }
  const n = rgb.length / 3;
  return [r / n, g / n, b / n];
}

export function toGray(rgb: Uint8Array): Float32Array {
  const out = new Float32Array(rgb.length / 3);
  for (let i = 0, o = 0; o < out.length; i += 3, o++) out[o] = 0.299 * rgb[i] + 0.587 * rgb[i + 1] + 0.114 * rgb[i + 2];
  return out;
}

/** Mean absolute 4-neighbour Laplacian of the grey image: high-frequency energy. */
export function laplacianEnergy(rgb: Uint8Array, widthPx: number): number {
  const g = toGray(rgb);
  const h = g.length / widthPx;
  let sum = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < widthPx - 1; x++) {
      const i = y * widthPx + x;
      sum += Math.abs(4 * g[i] - g[i - 1] - g[i + 1] - g[i - widthPx] - g[i + widthPx]);
    }
  }
  return sum / ((widthPx - 2) * (h - 2));
}

/** Standard deviation of the grey level. */
export function grayStd(rgb: Uint8Array): number {
  const g = toGray(rgb);
  let m = 0;
  for (const v of g) m += v;
  m /= g.length;
  let s = 0;
  for (const v of g) s += (v - m) ** 2;
  return Math.sqrt(s / g.length);
}

/** Probability that a random positive scores above a random negative (ties count half). */
export function auc(positives: number[], negatives: number[]): number {
  if (positives.length === 0 || negatives.length === 0) throw new Error('auc: needs positives and negatives');
  const all = [...positives.map((v) => ({ v, pos: true })), ...negatives.map((v) => ({ v, pos: false }))].sort(
    (a, b) => a.v - b.v,
  );
  // Mann-Whitney U from mid-ranks.
  let rankSumPos = 0;
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j < all.length && all[j].v === all[i].v) j++;
    const midRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (all[k].pos) rankSumPos += midRank;
    i = j;
  }
  const np = positives.length;
  return (rankSumPos - (np * (np + 1)) / 2) / (np * negatives.length);
}

/** AUC of a score used in whichever direction separates better (a threshold either way). */
export function twoSidedAuc(positives: number[], negatives: number[]): number {
  const a = auc(positives, negatives);
  return Math.max(a, 1 - a);
}
