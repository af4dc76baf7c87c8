// Numeric helpers for libs/models' tests: seeded normal data, error measures, AUC, a separable problem.
import { mulberry32 } from './random';

/** `n` normal draws (Box-Muller, in pairs) of standard deviation `std`, from a seed. */
export function randn(seed: number, n: number, std = 1): Float32Array {
  const next = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - next())) * std;
    const a = 2 * Math.PI * next();
    out[i] = r * Math.cos(a);
    if (i + 1 < n) out[i + 1] = r * Math.sin(a);
  }
  return out;
}

/** Parameters (libs/models' MlpParam shape) as float64 copies by name. */
export function toF64(params: readonly { name: string; data: ArrayLike<number> }[]): Map<string, Float64Array> {
  return new Map(params.map((p) => [p.name, Float64Array.from(p.data)]));
}

/** ||a - b|| / max(||a||, ||b||): scale-free, and 0 only when both agree. */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] - b[i]) ** 2;
    na += a[i] ** 2;
    nb += b[i] ** 2;
  }
  return Math.sqrt(d) / Math.max(Math.sqrt(na), Math.sqrt(nb), 1e-30);
}

export function norm(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] ** 2;
  return Math.sqrt(s);
}

/** ROC AUC by the rank-sum (Mann-Whitney) formula, ties counted as half. */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let rankSumPos = 0;
  let nPos = 0;
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]] === scores[idx[i]]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (labels[idx[k]] === 1) {
        rankSumPos += rank;
        nPos++;
      }
    }
    i = j + 1;
  }
  const nNeg = scores.length - nPos;
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/**
 * A linearly separable two-class problem: labels from the sign of a direction fixed by
 * `dirSeed` (shared by a train and a test set), rows pushed apart from the boundary.
 */
export function separableProblem(
  seed: number,
  n: number,
  dim: number,
  dirSeed = 1000,
): { x: Float32Array; y: Float32Array } {
  const x = randn(seed, n * dim);
  const dir = randn(dirSeed, dim);
  const y = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let i = 0; i < dim; i++) s += x[r * dim + i] * dir[i];
    y[r] = s > 0 ? 1 : 0;
    for (let i = 0; i < dim; i++) x[r * dim + i] += (y[r] ? 0.5 : -0.5) * dir[i];
  }
  return { x, y };
}
