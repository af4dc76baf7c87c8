// The built-in backbone: 64 hand-made colour and texture features of an H&E patch, no weights to
// download, a few milliseconds per 256 px patch on one core. Every feature is scaled to roughly
// 0..1 so an MLP head can use them as they come.
//
// Stain separation is Ruifrok & Johnston's colour deconvolution with their H&E-DAB matrix (as
// skimage's rgb_from_hed): optical density OD_c = -log10((I_c + 1) / 256), concentrations
// [H, E, D] = OD . inv(M). A fixed matrix rather than a per-patch (Macenko) estimate: a patch
// holds too few pixels of each stain for a stable estimate, and the same colour must give the
// same feature on every patch.
//
// Patches above 255 px a side are binned first (see heFeatures). Features, in order (names in
// HE_FEATURE_NAMES), with pixel counts and distances at the binned scale:
//   0      tissue fraction: pixels with max OD >= 0.1 (not background); colour/stain stats below
//          are over these pixels
//   1-6    mean and standard deviation of R, G, B (/255)
//   7-10   mean and standard deviation of the H and E densities
//   11-15  H density percentiles 10, 25, 50, 75, 90
//   16-20  E density percentiles 10, 25, 50, 75, 90
//   21-28  H density histogram, 8 bins of 0.15 from 0 (the last takes everything above)
//   29-36  E density histogram, 8 bins of 0.1 from 0
//   37     H share of stain, mean H / (mean H + mean E)
//   38-45  grey-level co-occurrence of H (8 levels of 0.15), symmetric, horizontal + vertical,
//          at distance 1 then 2: contrast /49, homogeneity, energy (sqrt of ASM), correlation
//   46-55  local binary patterns of grey, 8 neighbours at distance 1, rotation-invariant uniform
//          codes (riu2: 0..8 ones, 9 = non-uniform), as a histogram
//   56-58  Sobel gradient magnitude of grey (/255): mean, standard deviation; 4-neighbour
//          Laplacian standard deviation
//   59-63  nuclei proxy: connected blobs (4-connected, >= 3 px) of H >= 0.35: blobs per 100 px,
//          mean blob area log10(px) /3, blob area coefficient of variation /2, share of
//          pixels in blobs, share of blobs that are compact (area >= 0.5 x bounding box)
import { createHash } from 'node:crypto';
import type { Backbone, BackboneIdentity, RgbImage } from './backbone';

export const HE_FEATURES_VERSION = 1;

const PERCENTILES = [0.1, 0.25, 0.5, 0.75, 0.9];
const TISSUE_OD = 0.1;
const NUCLEI_H = 0.35;
const MIN_BLOB_PX = 3;
const H_HIST = { bins: 8, width: 0.15 };
const E_HIST = { bins: 8, width: 0.1 };
const GLCM_LEVELS = 8;
const GLCM_WIDTH = 0.15;
/** Fine histogram for percentiles: 0.005 OD steps from -0.25. */
const FINE = { lo: -0.25, width: 0.005, bins: 600 };

export const HE_FEATURE_NAMES: readonly string[] = [
  'tissue_fraction',
  'r_mean', 'g_mean', 'b_mean', 'r_std', 'g_std', 'b_std',
  'h_mean', 'h_std', 'e_mean', 'e_std',
  ...PERCENTILES.map((p) => `h_p${p * 100}`),
  ...PERCENTILES.map((p) => `e_p${p * 100}`),
  ...Array.from({ length: H_HIST.bins }, (_, i) => `h_hist${i}`),
  ...Array.from({ length: E_HIST.bins }, (_, i) => `e_hist${i}`),
  'h_share',
  ...[1, 2].flatMap((d) => ['contrast', 'homogeneity', 'energy', 'correlation'].map((p) => `glcm_d${d}_${p}`)),
  ...Array.from({ length: 10 }, (_, i) => `lbp_riu2_${i}`),
  'sobel_mean', 'sobel_std', 'laplacian_std',
  'blobs_per_100px', 'blob_area_log', 'blob_area_cv', 'blob_fraction', 'blob_compact_share',
];
export const HE_FEATURES_DIM = HE_FEATURE_NAMES.length;

/** Ruifrok & Johnston's stain vectors (rows: haematoxylin, eosin, DAB) in OD space. */
const RGB_FROM_HED = [
  [0.65, 0.7, 0.29],
  [0.07, 0.99, 0.11],
  [0.27, 0.57, 0.78],
];

function invert3(m: number[][]): number[][] {
  const [[a, b, c], [d, e, f], [g, h, i]] = m;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [
    [A / det, -(b * i - c * h) / det, (b * f - c * e) / det],
    [B / det, (a * i - c * g) / det, -(a * f - c * d) / det],
    [C / det, -(a * h - b * g) / det, (a * e - b * d) / det],
  ];
}

const HED_FROM_RGB = invert3(RGB_FROM_HED);
const OD = Float64Array.from({ length: 256 }, (_, v) => -Math.log10((v + 1) / 256));
// H = sum_c OD_c * HED_FROM_RGB[c][0], so per-channel tables turn it into three look-ups.
const lut = (stain: number) => [0, 1, 2].map((c) => Float32Array.from(OD, (o) => o * HED_FROM_RGB[c][stain]));
const [HR, HG, HB] = lut(0);
const [ER, EG, EB] = lut(1);
/** A pixel is tissue when its darkest channel has OD >= TISSUE_OD. */
const TISSUE_MAX_VALUE = Math.floor(256 * 10 ** -TISSUE_OD - 1);

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

/** Buffers reused from patch to patch (sized for the largest patch seen). */
export class HeScratch {
  binned = new Uint8Array(0);
  grey = new Uint8Array(0);
  hq = new Uint8Array(0);
  hmask = new Uint8Array(0);
  labels = new Int32Array(0);
  parent = new Int32Array(0);
  fineH = new Uint32Array(FINE.bins);
  fineE = new Uint32Array(FINE.bins);
  ensure(n: number): void {
    if (this.grey.length >= n) return;
    this.grey = new Uint8Array(n);
    this.hq = new Uint8Array(n);
    this.hmask = new Uint8Array(n);
    this.labels = new Int32Array(n);
    this.parent = new Int32Array(n + 1);
  }
}

function percentiles(hist: Uint32Array, total: number, out: Float32Array, at: number): void {
  let k = 0;
  let cum = 0;
  for (let b = 0; b < hist.length && k < PERCENTILES.length; b++) {
    cum += hist[b];
    while (k < PERCENTILES.length && cum >= PERCENTILES[k] * total && total > 0) {
      out[at + k++] = FINE.lo + (b + 0.5) * FINE.width;
    }
  }
  for (; k < PERCENTILES.length; k++) out[at + k] = 0;
}

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

function find(parent: Int32Array, x: number): number {
  while (parent[x] !== x) {
    parent[x] = parent[parent[x]];
    x = parent[x];
  }
  return x;
}

// Sums of pass 1, by index into a Float64Array.
const A_TISSUE = 0, A_R = 1, A_G = 2, A_B = 3, A_R2 = 4, A_G2 = 5, A_B2 = 6, A_H = 7, A_H2 = 8, A_E = 9, A_E2 = 10, A_HPOS = 11;

/** Pass 1, per pixel: colour and stain sums and histograms, grey, quantised H, the nuclei mask. */
function pixelPass(data: Uint8Array, n: number, s: HeScratch, acc: Float64Array, hHist: Float64Array, eHist: Float64Array): void {
  const { grey, hq, hmask, fineH, fineE } = s;
  const invQ = 1 / GLCM_WIDTH;
  const invFine = 1 / FINE.width;
  const fineLast = FINE.bins - 1;
  const invH = 1 / H_HIST.width;
  const invE = 1 / E_HIST.width;
  const hLast = H_HIST.bins - 1;
  const eLast = E_HIST.bins - 1;
  const qLast = GLCM_LEVELS - 1;
  const t = TISSUE_MAX_VALUE;
  // Local sums (written back once): typed-array writes per pixel cost more than the arithmetic.
  let tissue = 0, sr = 0, sg = 0, sb = 0, sr2 = 0, sg2 = 0, sb2 = 0;
  let sh = 0, sh2 = 0, se = 0, se2 = 0, hPositive = 0;
  for (let i = 0, p = 0; i < n; i++, p += 3) {
    const r = data[p];
    const g = data[p + 1];
    const b = data[p + 2];
    grey[i] = (r * 77 + g * 150 + b * 29) >> 8;
    const H = HR[r] + HG[g] + HB[b];
    const q = H > 0 ? (H * invQ) | 0 : 0;
    hq[i] = q > qLast ? qLast : q;
    if (H >= NUCLEI_H) {
      hmask[i] = 1;
      hPositive++;
    } else hmask[i] = 0;
    if (r > t && g > t && b > t) continue;
    const E = ER[r] + EG[g] + EB[b];
    tissue++;
    sr += r;
    sg += g;
    sb += b;
    sr2 += r * r;
    sg2 += g * g;
    sb2 += b * b;
    sh += H;
    sh2 += H * H;
    se += E;
    se2 += E * E;
    let k = ((H - FINE.lo) * invFine) | 0;
    fineH[k < 0 ? 0 : k > fineLast ? fineLast : k]++;
    k = ((E - FINE.lo) * invFine) | 0;
    fineE[k < 0 ? 0 : k > fineLast ? fineLast : k]++;
    k = H > 0 ? (H * invH) | 0 : 0;
    hHist[k > hLast ? hLast : k]++;
    k = E > 0 ? (E * invE) | 0 : 0;
    eHist[k > eLast ? eLast : k]++;
  }
  acc[A_TISSUE] = tissue;
  acc[A_R] = sr;
  acc[A_G] = sg;
  acc[A_B] = sb;
  acc[A_R2] = sr2;
  acc[A_G2] = sg2;
  acc[A_B2] = sb2;
  acc[A_H] = sh;
  acc[A_H2] = sh2;
  acc[A_E] = se;
  acc[A_E2] = se2;
  acc[A_HPOS] = hPositive;
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
const N_COUNT = 0, N_G = 1, N_G2 = 2, N_L = 3, N_L2 = 4;

/** LBP codes, Sobel magnitude and Laplacian of grey over interior pixels. */
function neighbourPass(grey: Uint8Array, w: number, h: number, lbp: Float64Array, acc: Float64Array): void {
  let g1 = 0;
  let g2 = 0;
  let l1 = 0;
  let l2 = 0;
  for (let y = 1; y + 1 < h; y++) {
    let i = y * w + 1;
    // A 3 x 3 window sliding right: left, centre and right columns of (north, middle, south).
    let nw = grey[i - w - 1], nn = grey[i - w], ww = grey[i - 1], c = grey[i], sw = grey[i + w - 1], ss = grey[i + w];
    for (let x = 1; x + 1 < w; x++, i++) {
      const ne = grey[i - w + 1];
      const ee = grey[i + 1];
      const se = grey[i + w + 1];
      const code =
        (nw >= c ? 1 : 0) | (nn >= c ? 2 : 0) | (ne >= c ? 4 : 0) | (ee >= c ? 8 : 0) |
        (se >= c ? 16 : 0) | (ss >= c ? 32 : 0) | (sw >= c ? 64 : 0) | (ww >= c ? 128 : 0);
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

/** 4-connected blobs of the mask (two-pass labelling with union-find); returns the label count. */
function labelBlobs(mask: Uint8Array, w: number, h: number, labels: Int32Array, parent: Int32Array): number {
  let next = 1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (!mask[i]) {
        labels[i] = 0;
        continue;
      }
      const up = y > 0 ? labels[i - w] : 0;
      const left = x > 0 ? labels[i - 1] : 0;
      if (!up && !left) {
        parent[next] = next;
        labels[i] = next++;
      } else if (up && left) {
        const a = find(parent, up);
        const b = find(parent, left);
        const lo = a < b ? a : b;
        labels[i] = lo;
        if (a !== b) parent[a < b ? b : a] = lo;
      } else labels[i] = up || left;
    }
  }
  return next;
}

// Per-blob statistics: area and bounding box.
const B_AREA = 0, B_X0 = 1, B_X1 = 2, B_Y0 = 3, B_Y1 = 4, B_STRIDE = 5;

function blobStats(labels: Int32Array, parent: Int32Array, w: number, h: number, count: number): Float64Array {
  const st = new Float64Array(count * B_STRIDE);
  for (let l = 0; l < count; l++) {
    st[l * B_STRIDE + B_X0] = w;
    st[l * B_STRIDE + B_X1] = -1;
    st[l * B_STRIDE + B_Y0] = h;
    st[l * B_STRIDE + B_Y1] = -1;
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const l0 = labels[y * w + x];
      if (!l0) continue;
      const o = find(parent, l0) * B_STRIDE;
      st[o + B_AREA]++;
      if (x < st[o + B_X0]) st[o + B_X0] = x;
      if (x > st[o + B_X1]) st[o + B_X1] = x;
      if (y < st[o + B_Y0]) st[o + B_Y0] = y;
      if (y > st[o + B_Y1]) st[o + B_Y1] = y;
    }
  }
  return st;
}

/** Side length above which a patch is binned (mean of f x f pixels) before measuring. */
const BIN_TARGET_PX = 128;

/** Mean of f x f blocks of an RGB image (the partial blocks at the right and bottom are dropped). */
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

/**
 * Writes the HE_FEATURES_DIM features of `img` to out[at ...]. A patch wider than 2 x 128 px is
 * first binned to between 128 and 255 px a side (factor floor(side / 128)): texture at the scale
 * of nuclei survives, and the cost no longer grows with the patch.
 */
export function heFeatures(img: RgbImage, out: Float32Array, at: number, s: HeScratch = new HeScratch()): void {
  const f = Math.max(1, Math.floor(Math.min(img.width, img.height) / BIN_TARGET_PX));
  let { data, width: w, height: h } = img;
  if (data.length < w * h * 3) throw new Error(`image data holds ${data.length} bytes, expected ${w * h * 3}`);
  if (f > 1) {
    const bw = Math.floor(w / f);
    const bh = Math.floor(h / f);
    if (s.binned.length < bw * bh * 3) s.binned = new Uint8Array(bw * bh * 3);
    binRgb(data, w, h, f, s.binned);
    data = s.binned;
    w = bw;
    h = bh;
  }
  const n = w * h;
  s.ensure(n);
  s.fineH.fill(0);
  s.fineE.fill(0);
  const acc = new Float64Array(12);
  const hHist = new Float64Array(H_HIST.bins);
  const eHist = new Float64Array(E_HIST.bins);
  pixelPass(data, n, s, acc, hHist, eHist);

  let k = at;
  const tissue = acc[A_TISSUE];
  out[k++] = tissue / n;
  const t = Math.max(tissue, 1);
  const mean = (i: number) => acc[i] / t;
  const std = (i: number, i2: number) => Math.sqrt(Math.max(acc[i2] / t - mean(i) ** 2, 0));
  out[k++] = mean(A_R) / 255;
  out[k++] = mean(A_G) / 255;
  out[k++] = mean(A_B) / 255;
  out[k++] = std(A_R, A_R2) / 255;
  out[k++] = std(A_G, A_G2) / 255;
  out[k++] = std(A_B, A_B2) / 255;
  out[k++] = mean(A_H);
  out[k++] = std(A_H, A_H2);
  out[k++] = mean(A_E);
  out[k++] = std(A_E, A_E2);
  percentiles(s.fineH, tissue, out, k);
  k += PERCENTILES.length;
  percentiles(s.fineE, tissue, out, k);
  k += PERCENTILES.length;
  for (let b = 0; b < H_HIST.bins; b++) out[k++] = hHist[b] / t;
  for (let b = 0; b < E_HIST.bins; b++) out[k++] = eHist[b] / t;
  const hPos = Math.max(acc[A_H], 0);
  const ePos = Math.max(acc[A_E], 0);
  out[k++] = hPos + ePos > 0 ? hPos / (hPos + ePos) : 0;

  for (const d of [1, 2]) {
    const m = new Float64Array(GLCM_LEVELS * GLCM_LEVELS);
    cooccurrence(s.hq, w, h, d, m);
    glcmProps(m, out, k);
    k += 4;
  }

  const lbp = new Float64Array(10);
  const nb = new Float64Array(5);
  neighbourPass(s.grey, w, h, lbp, nb);
  const m = Math.max(nb[N_COUNT], 1);
  for (let b = 0; b < 10; b++) out[k++] = lbp[b] / m;
  // Sobel magnitudes reach 4 * 255 * sqrt(2); /255 keeps typical values below 1.
  out[k++] = nb[N_G] / m / 255;
  out[k++] = Math.sqrt(Math.max(nb[N_G2] / m - (nb[N_G] / m) ** 2, 0)) / 255;
  out[k++] = Math.sqrt(Math.max(nb[N_L2] / m - (nb[N_L] / m) ** 2, 0)) / 255;

  const count = labelBlobs(s.hmask, w, h, s.labels, s.parent);
  const st = blobStats(s.labels, s.parent, w, h, count);
  let blobs = 0;
  let aSum = 0;
  let aSum2 = 0;
  let compact = 0;
  for (let l = 1; l < count; l++) {
    const o = l * B_STRIDE;
    const a = st[o + B_AREA];
    if (a < MIN_BLOB_PX) continue;
    blobs++;
    aSum += a;
    aSum2 += a * a;
    if (a >= 0.5 * (st[o + B_X1] - st[o + B_X0] + 1) * (st[o + B_Y1] - st[o + B_Y0] + 1)) compact++;
  }
  const meanArea = blobs ? aSum / blobs : 0;
  out[k++] = (blobs / n) * 100;
  out[k++] = blobs ? Math.log10(meanArea) / 3 : 0;
  out[k++] = blobs ? Math.sqrt(Math.max(aSum2 / blobs - meanArea * meanArea, 0)) / meanArea / 2 : 0;
  out[k++] = acc[A_HPOS] / n;
  out[k++] = blobs ? compact / blobs : 0;
}

const RECIPE = {
  name: 'he-features',
  version: HE_FEATURES_VERSION,
  features: HE_FEATURE_NAMES,
  stain_matrix: 'ruifrok-johnston-hed',
  tissue_od: TISSUE_OD,
  nuclei_h: NUCLEI_H,
  min_blob_px: MIN_BLOB_PX,
  glcm: { levels: GLCM_LEVELS, width: GLCM_WIDTH, distances: [1, 2] },
  lbp: { neighbours: 8, radius: 1, mapping: 'riu2' },
};

export const HE_FEATURES_IDENTITY: BackboneIdentity = {
  kind: 'builtin',
  name: `he-features-v${HE_FEATURES_VERSION}`,
  sha256: createHash('sha256').update(JSON.stringify(RECIPE)).digest('hex'),
  dim: HE_FEATURES_DIM,
  // The features use the decoded patch as it is: no resize, no normalisation.
  preprocessing: { input: 'decoded RGB patch at its own size', recipe: RECIPE },
};

export class HeFeaturesBackbone implements Backbone {
  readonly identity = HE_FEATURES_IDENTITY;
  private readonly scratch = new HeScratch();

  async embed(images: readonly RgbImage[]): Promise<Float32Array> {
    const out = new Float32Array(images.length * HE_FEATURES_DIM);
    images.forEach((img, i) => heFeatures(img, out, i * HE_FEATURES_DIM, this.scratch));
    return out;
  }

  async close(): Promise<void> {
    // Nothing to release: no session, no threads.
  }
}
