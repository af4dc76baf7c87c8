// The MLP head's shape and parameters. Layers are `hidden<k>` (Linear + ReLU + dropout) and `out`
// (Linear to one logit). Weights are stored [in, out] (x @ W + b), the transpose of PyTorch's
// Linear.weight, so the backward pass needs no transposed copies: dW = a^T g.
import { createRng, fillUniform } from '../random/rng';
import { ModelError } from '../errors';

export interface MlpSpec {
  /** Embedding size D. */
  inputDim: number;
  /** Hidden layer widths, input side first, e.g. [256, 64]; [] is a linear model. */
  hidden: readonly number[];
}

export interface MlpParamInfo {
  name: string;
  dims: readonly number[];
  /** Fan-in of the layer, which sets the init bound. */
  fanIn: number;
  /** AdamW decays weights only: decaying biases just pulls the threshold to 0. */
  decay: boolean;
}

export interface MlpParam extends MlpParamInfo {
  data: Float32Array;
}

export function checkMlpSpec(spec: MlpSpec): MlpSpec {
  const ok = (n: number) => Number.isInteger(n) && n >= 1;
  if (!ok(spec.inputDim))
    throw new ModelError('INVALID_PARAMETER', `inputDim: expected an integer >= 1, received ${spec.inputDim}`);
  if (!spec.hidden.every(ok))
    throw new ModelError('INVALID_PARAMETER', `hidden: expected integers >= 1, received [${spec.hidden.join(', ')}]`);
  return spec;
}

/** Parameter names and shapes in graph order: hidden0.weight, hidden0.bias, ..., out.weight, out.bias. */
export function mlpLayout(spec: MlpSpec): MlpParamInfo[] {
  checkMlpSpec(spec);
  const widths = [spec.inputDim, ...spec.hidden, 1];
  const out: MlpParamInfo[] = [];
  for (let k = 0; k + 1 < widths.length; k++) {
    const layer = k < spec.hidden.length ? `hidden${k}` : 'out';
    const [fanIn, fanOut] = [widths[k], widths[k + 1]];
    out.push({ name: `${layer}.weight`, dims: [fanIn, fanOut], fanIn, decay: true });
    out.push({ name: `${layer}.bias`, dims: [fanOut], fanIn, decay: false });
  }
  return out;
}

/**
 * PyTorch's nn.Linear default: kaiming_uniform_(a=sqrt(5)) for the weight, which works out to
 * U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the same bound for the bias. Drawn from `seed` in
 * layout order, weights row-major in our [in, out] layout.
 */
export function initMlpParams(spec: MlpSpec, seed: number): MlpParam[] {
  const rng = createRng(seed);
  return mlpLayout(spec).map((p) => {
    const size = p.dims.reduce((a, b) => a * b, 1);
    return { ...p, data: fillUniform(rng, new Float32Array(size), 1 / Math.sqrt(p.fanIn)) };
  });
}

export function cloneParams(params: readonly MlpParam[]): MlpParam[] {
  return params.map((p) => ({ ...p, data: p.data.slice() }));
}
