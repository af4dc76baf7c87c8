// Texture features 38-58: grey-level co-occurrence of the quantised H density, local binary
// patterns, Sobel gradient and Laplacian of grey.

export const GLCM_LEVELS = 8;
/** H density step of one GLCM level. */
export const GLCM_WIDTH = 0.15;
export const GLCM_DISTANCES = [1, 2];

export const TEXTURE_FEATURE_NAMES: readonly string[] = [
  ...GLCM_DISTANCES.flatMap((d) => ['contrast', 'homogeneity', 'energy', 'correlation'].map((p) => `glcm_d${d}_${p}`)),
  ...Array.from({ length: 10 }, (_, i) => `lbp_riu2_${i}`),
  'sobel_mean',
  'sobel_std',
  'laplacian_std',
];

/** riu2 code of each 8-bit LBP pattern: the number of ones when uniform, else 9. */
const RIU2 = Uint8Array.from({ length: 256 }, (_, code) => {
  let transitions = 0;
  let ones = 0;
  for (let k = 0; k < 8; k++) {
    const a = (code >> k) & 1;
    const b = (code >> ((k + 1) & 7)) & 1;
    transitions += a ^ b;
    ones += a;
  }
  return transitions <= 2 ? ones : 9;
});

function glcmProps(m: Float64Array, out: Float32Array, at: number): void {
  let total = 0;
  for (let i = 0; i < m.length; i++) total += m[i];
  let contrast = 0;
  let homogeneity = 0;
  let asm = 0;
  let mu = 0;
  for (let i = 0; i < GLCM_LEVELS; i++) {
    for (let j = 0; j < GLCM_LEVELS; j++) {
      const p = total ? m[i * GLCM_LEVELS + j] / total : 0;
      const d = i - j;
      contrast += p * d * d;
      homogeneity += p / (1 + d * d);
      asm += p * p;
      mu += p * i;
    }
  }
  let variance = 0;
  let cov = 0;
  for (let i = 0; i < GLCM_LEVELS; i++) {
    for (let j = 0; j < GLCM_LEVELS; j++) {
      const p = total ? m[i * GLCM_LEVELS + j] / total : 0;
      variance += p * (i - mu) * (i - mu);
      cov += p * (i - mu) * (j - mu);
    }
  }
  out[at] = contrast / 49;
  out[at + 1] = homogeneity;
  out[at + 2] = Math.sqrt(asm);
  // A flat patch has no defined correlation; skimage reports 1.
  out[at + 3] = variance > 1e-12 ? cov / variance : 1;
}

/** Symmetric co-occurrence counts of hq at offsets (0, d) and (d, 0). */
function cooccurrence(hq: Uint8Array, w: number, h: number, d: number, m: Float64Array): void {
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x + d < w; x++) {
      const a = hq[row + x];
      const b = hq[row + x + d];
      m[a * GLCM_LEVELS + b]++;
      m[b * GLCM_LEVELS + a]++;
    }
  }
  for (let y = 0; y + d < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const a = hq[row + x];
      const b = hq[row + d * w + x];
      m[a * GLCM_LEVELS + b]++;
      m[b * GLCM_LEVELS + a]++;
    }
  }
}

// Sums of the neighbourhood pass.
const N_COUNT = 0,
  N_G = 1,
  N_G2 = 2,
  N_L = 3,
  N_L2 = 4;

/** LBP codes, Sobel magnitude and Laplacian of grey over interior pixels. */
function neighbourPass(grey: Uint8Array, w: number, h: number, lbp: Float64Array, acc: Float64Array): void {
  let g1 = 0;
  let g2 = 0;
  let l1 = 0;
  let l2 = 0;
  for (let y = 1; y + 1 < h; y++) {
    let i = y * w + 1;
    // A 3 x 3 window sliding right: left, centre and right columns of (north, middle, south).
    let nw = grey[i - w - 1],
      nn = grey[i - w],
      ww = grey[i - 1],
      c = grey[i],
      sw = grey[i + w - 1],
      ss = grey[i + w];
    for (let x = 1; x + 1 < w; x++, i++) {
      const ne = grey[i - w + 1];
      const ee = grey[i + 1];
      const se = grey[i + w + 1];
      const code =
        (nw >= c ? 1 : 0) |
        (nn >= c ? 2 : 0) |
        (ne >= c ? 4 : 0) |
        (ee >= c ? 8 : 0) |
        (se >= c ? 16 : 0) |
        (ss >= c ? 32 : 0) |
        (sw >= c ? 64 : 0) |
        (ww >= c ? 128 : 0);
      lbp[RIU2[code]]++;
      const gx = ne + 2 * ee + se - nw - 2 * ww - sw;
      const gy = sw + 2 * ss + se - nw - 2 * nn - ne;
      const mag = Math.sqrt(gx * gx + gy * gy);
      g1 += mag;
      g2 += mag * mag;
      const lap = nn + ss + ww + ee - 4 * c;
      l1 += lap;
      l2 += lap * lap;
      nw = nn;
      nn = ne;
      ww = c;
      c = ee;
      sw = ss;
      ss = se;
    }
  }
  acc[N_G] = g1;
  acc[N_G2] = g2;
  acc[N_L] = l1;
  acc[N_L2] = l2;
  acc[N_COUNT] = Math.max(w - 2, 0) * Math.max(h - 2, 0);
}

/**
 * Writes the TEXTURE_FEATURE_NAMES features of a w x h patch to out[at ...], from its grey
 * plane and its H density quantised to GLCM levels; returns the index after the last.
 */
export function textureFeatures(
  grey: Uint8Array,
  hq: Uint8Array,
  w: number,
  h: number,
  out: Float32Array,
  at: number,
): number {
  let k = at;
  for (const d of GLCM_DISTANCES) {
    const m = new Float64Array(GLCM_LEVELS * GLCM_LEVELS);
    cooccurrence(hq, w, h, d, m);
    glcmProps(m, out, k);
    k += 4;
  }

  const lbp = new Float64Array(10);
  const nb = new Float64Array(5);
  neighbourPass(grey, w, h, lbp, nb);
  const m = Math.max(nb[N_COUNT], 1);
  for (let b = 0; b < 10; b++) out[k++] = lbp[b] / m;
  // Sobel magnitudes reach 4 * 255 * sqrt(2); /255 keeps typical values below 1.
  out[k++] = nb[N_G] / m / 255;
  out[k++] = Math.sqrt(Math.max(nb[N_G2] / m - (nb[N_G] / m) ** 2, 0)) / 255;
  out[k++] = Math.sqrt(Math.max(nb[N_L2] / m - (nb[N_L] / m) ** 2, 0)) / 255;
  return k;
}
