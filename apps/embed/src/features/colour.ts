// Colour and stain features 0-37, from the one pass that reads every pixel. That pass also
// writes the planes the texture and nuclei features read (grey, quantised H, nuclei mask):
// reading the patch once costs less than one pass per concern.
import { GLCM_LEVELS, GLCM_WIDTH } from './texture';
import { NUCLEI_H } from './nuclei';
import { EB, EG, ER, HB, HG, HR, TISSUE_MAX_VALUE } from './stain';

const PERCENTILES = [0.1, 0.25, 0.5, 0.75, 0.9];
const H_HIST = { bins: 8, width: 0.15 };
const E_HIST = { bins: 8, width: 0.1 };
/** Fine histogram for percentiles: 0.005 OD steps from -0.25. */
export const FINE = { lo: -0.25, width: 0.005, bins: 600 };

export const COLOUR_FEATURE_NAMES: readonly string[] = [
  'tissue_fraction',
  'r_mean',
  'g_mean',
  'b_mean',
  'r_std',
  'g_std',
  'b_std',
  'h_mean',
  'h_std',
  'e_mean',
  'e_std',
  ...PERCENTILES.map((p) => `h_p${p * 100}`),
  ...PERCENTILES.map((p) => `e_p${p * 100}`),
  ...Array.from({ length: H_HIST.bins }, (_, i) => `h_hist${i}`),
  ...Array.from({ length: E_HIST.bins }, (_, i) => `e_hist${i}`),
  'h_share',
];

/** Per-pixel planes the pixel pass writes, n bytes each, and its fine stain histograms. */
export interface PixelPlanes {
  grey: Uint8Array;
  /** H density quantised to GLCM levels. */
  hq: Uint8Array;
  /** 1 where H >= NUCLEI_H. */
  hmask: Uint8Array;
  fineH: Uint32Array;
  fineE: Uint32Array;
}

// Sums of the pixel pass, by index into a Float64Array.
const A_TISSUE = 0,
  A_R = 1,
  A_G = 2,
  A_B = 3,
  A_R2 = 4,
  A_G2 = 5,
  A_B2 = 6,
  A_H = 7,
  A_H2 = 8,
  A_E = 9,
  A_E2 = 10,
  A_HPOS = 11;

/** The pixel pass's colour and stain sums and histograms. */
export interface ColourSums {
  acc: Float64Array;
  hHist: Float64Array;
  eHist: Float64Array;
}

/** Pixels at or above NUCLEI_H, counted by the pixel pass. */
export const nucleiPx = (sums: ColourSums): number => sums.acc[A_HPOS];

/** Per pixel: colour and stain sums and histograms, grey, quantised H, the nuclei mask. fineH/fineE must start at 0. */
export function pixelPass(data: Uint8Array, n: number, s: PixelPlanes): ColourSums {
  const acc = new Float64Array(12);
  const hHist = new Float64Array(H_HIST.bins);
  const eHist = new Float64Array(E_HIST.bins);
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
  let tissue = 0,
    sr = 0,
    sg = 0,
    sb = 0,
    sr2 = 0,
    sg2 = 0,
    sb2 = 0;
  let sh = 0,
    sh2 = 0,
    se = 0,
    se2 = 0,
    hPositive = 0;
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
  return { acc, hHist, eHist };
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

/** Writes the COLOUR_FEATURE_NAMES features of an n-pixel patch to out[at ...]; returns the index after the last. */
export function colourFeatures(sums: ColourSums, s: PixelPlanes, n: number, out: Float32Array, at: number): number {
  const { acc, hHist, eHist } = sums;
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
  return k;
}
