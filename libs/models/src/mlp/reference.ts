// The MLP head and its loss in float64 plain JS: the yardstick the ONNX graphs are checked
// against (finite differences, AdamW steps). Slow by design; tiny sizes only.
import type { LossFunction, LossParams } from '../losses/types';
import type { MlpSpec } from './params';

export type ParamsF64 = ReadonlyMap<string, Float64Array>;

/** Logits of rows x [n, D] (row-major); masks[k] is [n, hidden[k]] when given. */
export function mlpLogitsF64(
  spec: MlpSpec,
  params: ParamsF64,
  x: ArrayLike<number>,
  n: number,
  masks?: readonly ArrayLike<number>[],
): Float64Array {
  const widths = [spec.inputDim, ...spec.hidden, 1];
  let a = Float64Array.from(x);
  for (let k = 0; k + 1 < widths.length; k++) {
    const layer = k < spec.hidden.length ? `hidden${k}` : 'out';
    const W = params.get(`${layer}.weight`) as Float64Array;
    const b = params.get(`${layer}.bias`) as Float64Array;
    const [fi, fo] = [widths[k], widths[k + 1]];
    const z = new Float64Array(n * fo);
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < fo; j++) {
        let s = b[j];
        for (let i = 0; i < fi; i++) s += a[r * fi + i] * W[i * fo + j];
        const hidden = k < spec.hidden.length;
        z[r * fo + j] = hidden ? Math.max(s, 0) * (masks ? masks[k][r * fo + j] : 1) : s;
      }
    }
    a = z;
  }
  return a;
}

/** The weighted-mean loss sum(w l) / sum(w), as the training graphs define it. */
export function mlpLossF64(
  spec: MlpSpec,
  params: ParamsF64,
  batch: { x: ArrayLike<number>; y: ArrayLike<number>; w: ArrayLike<number>; masks?: readonly ArrayLike<number>[] },
  loss: LossFunction,
  lossParams: LossParams,
): number {
  const n = batch.y.length;
  const z = mlpLogitsF64(spec, params, batch.x, n, batch.masks);
  let num = 0;
  let den = 0;
  for (let r = 0; r < n; r++) {
    num += batch.w[r] * loss.reference(z[r], batch.y[r], lossParams).loss;
    den += batch.w[r];
  }
  return num / Math.max(den, 1e-12);
}
