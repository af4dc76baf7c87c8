// Per-feature standardisation fitted on a fold's training rows, and folded into the first layer of
// the exported head so that the head takes raw embeddings: with z = (x - mean) / std,
//   z W + b = x (W / std) + (b - (mean / std) W).
import type { MlpParam } from '@slidepipe/models';

export interface Standardizer {
  mean: Float64Array;
  std: Float64Array;
}

/** Mean and standard deviation of each column over `rows`; a constant column gets std 1. */
export function fitStandardizer(x: Float32Array, dim: number, rows: ArrayLike<number>): Standardizer {
  const mean = new Float64Array(dim);
  const sq = new Float64Array(dim);
  for (let r = 0; r < rows.length; r++) {
    const o = rows[r] * dim;
    for (let j = 0; j < dim; j++) mean[j] += x[o + j];
  }
  for (let j = 0; j < dim; j++) mean[j] /= Math.max(rows.length, 1);
  for (let r = 0; r < rows.length; r++) {
    const o = rows[r] * dim;
    for (let j = 0; j < dim; j++) {
      const d = x[o + j] - mean[j];
      sq[j] += d * d;
    }
  }
  const std = Float64Array.from(sq, (s) => {
    const v = Math.sqrt(s / Math.max(rows.length, 1));
    return v > 1e-6 ? v : 1;
  });
  return { mean, std };
}

export const identityStandardizer = (dim: number): Standardizer => ({
  mean: new Float64Array(dim),
  std: new Float64Array(dim).fill(1),
});

/** Rows `rows` of x, standardised, as a new row-major array. */
export function gatherRows(x: Float32Array, dim: number, rows: ArrayLike<number>, st: Standardizer): Float32Array {
  const out = new Float32Array(rows.length * dim);
  const scale = Float32Array.from(st.std, (s) => 1 / s);
  const shift = Float32Array.from(st.mean);
  for (let r = 0; r < rows.length; r++) {
    const o = rows[r] * dim;
    const q = r * dim;
    for (let j = 0; j < dim; j++) out[q + j] = (x[o + j] - shift[j]) * scale[j];
  }
  return out;
}

/** The parameters with the standardisation folded into the first layer (weights [in, out]). */
export function foldStandardizer(params: readonly MlpParam[], st: Standardizer): MlpParam[] {
  const out = params.map((p) => ({ ...p, data: p.data.slice() }));
  const w = out[0];
  const b = out[1];
  const [inDim, outDim] = w.dims;
  if (inDim !== st.mean.length || b.dims[0] !== outDim)
    throw new Error(`standardizer of ${st.mean.length} features for a first layer of [${w.dims.join(', ')}]`);
  const bias = Float64Array.from(b.data);
  for (let i = 0; i < inDim; i++) {
    const s = st.std[i];
    const m = st.mean[i];
    for (let j = 0; j < outDim; j++) {
      const wij = params[0].data[i * outDim + j];
      w.data[i * outDim + j] = wij / s;
      bias[j] -= (m / s) * wij;
    }
  }
  b.data.set(bias);
  return out;
}
