// Macenko et al. 2009 stain normalisation: the H and E vectors are the extreme angles (alpha-th and
// (100 - alpha)-th percentiles) of the tissue ODs projected on the plane of their two principal
// directions; concentrations come from the pseudo-inverse of that 3 x 2 matrix and are scaled so
// their 99th percentiles match the target's, then re-coloured with the target's vectors.
import type { RgbImage } from '../rgb';
import { mapTissueOd, percentile, percentiles, sampleOd } from './od';

type Vec3 = [number, number, number];

/** Stain vectors (unit, OD space; rows H then E) and the 99th-percentile concentration of each. */
export interface MacenkoStains {
  stain_matrix: [Vec3, Vec3];
  max_concentrations: [number, number];
}

export interface MacenkoOptions {
  /** Percentile of the angles taken as the extreme stain directions. */
  alpha: number;
  /** Pixels with any channel OD below this are left out of the estimate (too close to white). */
  beta: number;
  /** At most about this many pixels per patch go into its estimate. */
  maxPixels: number;
}

// beta: Macenko's 0.15 is in natural-log OD; ours is log10.
export const MACENKO_DEFAULTS: MacenkoOptions = { alpha: 1, beta: 0.065, maxPixels: 4096 };
/** Fewer OD pixels than this above beta: no estimate (the patch is left as it is). */
export const MACENKO_MIN_PIXELS = 64;

/** Eigenvalues (descending) and unit eigenvectors of a symmetric 3 x 3 matrix, by Jacobi rotations. */
export function symmetricEigen3(m: number[][]): { values: number[]; vectors: Vec3[] } {
  const a = m.map((r) => [...r]);
  const v = [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ];
  for (let sweep = 0; sweep < 50; sweep++) {
    const off = a[0][1] ** 2 + a[0][2] ** 2 + a[1][2] ** 2;
    if (off < 1e-30) break;
    for (const [p, q] of [
      [0, 1],
      [0, 2],
      [1, 2],
    ]) {
      if (Math.abs(a[p][q]) < 1e-300) continue;
      const theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1);
      const s = t * c;
      for (let k = 0; k < 3; k++) {
        const akp = a[k][p];
        const akq = a[k][q];
        a[k][p] = c * akp - s * akq;
        a[k][q] = s * akp + c * akq;
      }
      for (let k = 0; k < 3; k++) {
        const apk = a[p][k];
        const aqk = a[q][k];
        a[p][k] = c * apk - s * aqk;
        a[q][k] = s * apk + c * aqk;
      }
      for (let k = 0; k < 3; k++) {
        const vkp = v[k][p];
        const vkq = v[k][q];
        v[k][p] = c * vkp - s * vkq;
        v[k][q] = s * vkp + c * vkq;
      }
    }
  }
  const order = [0, 1, 2].sort((i, j) => a[j][j] - a[i][i]);
  return {
    values: order.map((i) => a[i][i]),
    vectors: order.map((i) => [v[0][i], v[1][i], v[2][i]] as Vec3),
  };
}

/** Macenko's stain vectors and maximum concentrations of `n` OD triples; null when they are degenerate. */
export function estimateMacenko(
  od: ArrayLike<number>,
  n: number,
  alpha = MACENKO_DEFAULTS.alpha,
): MacenkoStains | null {
  if (n < MACENKO_MIN_PIXELS) return null;
  // The plane through the origin that holds most of the OD (Macenko's SVD of the raw densities):
  // stain mixtures lie on it, so it is not centred.
  const cov = [
    [0, 0, 0],
    [0, 0, 0],
    [0, 0, 0],
  ];
  for (let i = 0; i < n; i++) {
    const d = [od[3 * i], od[3 * i + 1], od[3 * i + 2]];
    for (let r = 0; r < 3; r++) for (let c = r; c < 3; c++) cov[r][c] += d[r] * d[c];
  }
  for (let r = 0; r < 3; r++) for (let c = 0; c < r; c++) cov[r][c] = cov[c][r];
  const { values, vectors } = symmetricEigen3(cov.map((row) => row.map((x) => x / n)));
  // One colour (or a line of colours) spans no plane: nothing to separate.
  if (!(values[1] > 1e-10 * Math.max(values[0], 1e-300)) || !(values[0] > 1e-12)) return null;
  // Eigenvectors have no sign; point them into positive OD as the densities do.
  const [e1, e2] = vectors.slice(0, 2).map((v) => (v[0] + v[1] + v[2] < 0 ? (v.map((x) => -x) as Vec3) : v));
  const phi = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = od[3 * i];
    const y = od[3 * i + 1];
    const z = od[3 * i + 2];
    phi[i] = Math.atan2(x * e1[0] + y * e1[1] + z * e1[2], x * e2[0] + y * e2[1] + z * e2[2]);
  }
  const along = (a: number): Vec3 => {
    const v = [0, 1, 2].map((c) => e2[c] * Math.cos(a) + e1[c] * Math.sin(a)) as Vec3;
    const len = Math.hypot(...v);
    return v.map((x) => x / len) as Vec3;
  };
  const [lo, hi] = percentiles(phi, n, [alpha, 100 - alpha]);
  const vMin = along(lo);
  const vMax = along(hi);
  // Haematoxylin is the vector with the larger red density.
  const [h, e] = vMin[0] > vMax[0] ? [vMin, vMax] : [vMax, vMin];
  if (Math.abs(h[0] * e[0] + h[1] * e[1] + h[2] * e[2]) > 0.9999) return null;
  const pinv = pseudoInverse(h, e);
  const ch = new Float64Array(n);
  const ce = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = od[3 * i];
    const y = od[3 * i + 1];
    const z = od[3 * i + 2];
    ch[i] = pinv[0][0] * x + pinv[0][1] * y + pinv[0][2] * z;
    ce[i] = pinv[1][0] * x + pinv[1][1] * y + pinv[1][2] * z;
  }
  const maxC: [number, number] = [percentile(ch, n, 99), percentile(ce, n, 99)];
  if (!(maxC[0] > 1e-6 && maxC[1] > 1e-6)) return null;
  return { stain_matrix: [h, e], max_concentrations: maxC };
}

/** The 2 x 3 least-squares inverse of the 3 x 2 matrix whose columns are h and e. */
function pseudoInverse(h: Vec3, e: Vec3): [Vec3, Vec3] {
  const hh = h[0] * h[0] + h[1] * h[1] + h[2] * h[2];
  const he = h[0] * e[0] + h[1] * e[1] + h[2] * e[2];
  const ee = e[0] * e[0] + e[1] * e[1] + e[2] * e[2];
  const det = hh * ee - he * he;
  const row = (a: number, b: number) => [0, 1, 2].map((c) => (a * h[c] + b * e[c]) / det) as Vec3;
  return [row(ee, -he), row(-he, hh)];
}

/** The Macenko estimate of one image (its tissue pixels, subsampled); null when it has none to speak of. */
export function macenkoStainsOf(img: RgbImage, o: MacenkoOptions = MACENKO_DEFAULTS): MacenkoStains | null {
  const { od, n } = sampleOd(img, o.beta, o.maxPixels);
  return estimateMacenko(od, n, o.alpha);
}

/**
 * `img` in the target's stains: tissue pixels re-coloured with the target's vectors at concentrations
 * scaled to its maxima; background kept. An image without a usable estimate comes back unchanged
 * (`normalised` false).
 */
export function macenkoNormalize(
  img: RgbImage,
  target: MacenkoStains,
  o: MacenkoOptions = MACENKO_DEFAULTS,
  out?: Uint8Array,
): { image: RgbImage; normalised: boolean } {
  const source = macenkoStainsOf(img, o);
  if (!source) {
    const n = img.width * img.height * 3;
    const data = out && out.length >= n ? out.subarray(0, n) : new Uint8Array(n);
    data.set(img.data.subarray(0, n));
    return { image: { data, width: img.width, height: img.height }, normalised: false };
  }
  const [p0, p1] = pseudoInverse(...source.stain_matrix);
  const s0 = target.max_concentrations[0] / source.max_concentrations[0];
  const s1 = target.max_concentrations[1] / source.max_concentrations[1];
  const [h, e] = target.stain_matrix;
  const image = mapTissueOd(
    img,
    (od) => {
      const x = od[0];
      const y = od[1];
      const z = od[2];
      const c0 = (p0[0] * x + p0[1] * y + p0[2] * z) * s0;
      const c1 = (p1[0] * x + p1[1] * y + p1[2] * z) * s1;
      od[0] = c0 * h[0] + c1 * e[0];
      od[1] = c0 * h[1] + c1 * e[1];
      od[2] = c0 * h[2] + c1 * e[2];
    },
    out,
  );
  return { image, normalised: true };
}
