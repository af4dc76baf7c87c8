// ONNX graphs for the MLP head. onnxruntime-node has no training API, so the training step is
// itself a graph: forward, loss, a hand-written backward pass and the AdamW update, run by a plain
// InferenceSession with the updated parameters fed back in. The batch dimension is symbolic, so
// one session takes any batch size (the last, shorter batch of an epoch included).
import { GraphBuilder, type ModelOptions } from '../onnx/graph-builder';
import { getLoss } from '../losses/registry';
import type { LossName } from '../losses/types';
import { checkMlpSpec, mlpLayout, type MlpParam, type MlpParamInfo, type MlpSpec } from './params';
import { ModelError } from '../errors';

/** Value names shared by the graphs and the code that feeds them. */
export const MLP_IO = {
  x: 'x',
  y: 'y',
  weight: 'w',
  logit: 'logit',
  prob: 'prob',
  loss: 'loss',
  step: 't',
  lr: 'lr',
  weightDecay: 'weight_decay',
  mask: (k: number) => `dropout_mask${k}`,
  adamM: (param: string) => `${param}.m`,
  adamV: (param: string) => `${param}.v`,
  next: (value: string) => `${value}.next`,
  grad: (param: string) => `${param}.grad`,
} as const;

const BATCH = 'N';

export interface AdamConstants {
  beta1: number;
  beta2: number;
  eps: number;
}

export const DEFAULT_ADAM: AdamConstants = { beta1: 0.9, beta2: 0.999, eps: 1e-8 };

export interface MlpLossGraphOptions {
  loss: LossName;
  /**
   * 'adamw' (default): decoupled decay, p <- p (1 - lr wd). 'adam': torch.optim.Adam's
   * weight_decay, an L2 term wd p added to the gradient before the moments (weights only).
   */
  optimizer?: 'adam' | 'adamw';
  /** Whether the graph takes dropout masks (one [N, H_k] input per hidden layer). */
  dropout: boolean;
}

interface Forward {
  /** Input of each linear layer: x, then each hidden layer's (masked) activation. */
  acts: string[];
  /** Each hidden layer's pre-activation, for ReLU's backward. */
  pre: string[];
  /** Logits as [N, 1]. */
  logit2d: string;
}

function emitForward(g: GraphBuilder, spec: MlpSpec, masks: readonly string[] | undefined): Forward {
  const acts: string[] = [MLP_IO.x];
  const pre: string[] = [];
  for (let k = 0; k < spec.hidden.length; k++) {
    const z = g.op('Gemm', [acts[k], `hidden${k}.weight`, `hidden${k}.bias`]);
    pre.push(z);
    const h = g.op('Relu', [z]);
    acts.push(masks ? g.op('Mul', [h, masks[k]]) : h);
  }
  const logit2d = g.op('Gemm', [acts[spec.hidden.length], 'out.weight', 'out.bias']);
  return { acts, pre, logit2d };
}

function declareParams(g: GraphBuilder, layout: readonly MlpParamInfo[]): void {
  for (const p of layout) g.input(p.name, 'float32', p.dims);
}

function declareBatch(g: GraphBuilder, spec: MlpSpec, opts: MlpLossGraphOptions): string[] | undefined {
  g.input(MLP_IO.x, 'float32', [BATCH, spec.inputDim]);
  g.input(MLP_IO.y, 'float32', [BATCH]);
  g.input(MLP_IO.weight, 'float32', [BATCH]);
  for (const i of getLoss(opts.loss).inputs) g.input(i.name, 'float32', []);
  return opts.dropout ? spec.hidden.map((h, k) => g.input(MLP_IO.mask(k), 'float32', [BATCH, h])) : undefined;
}

/**
 * Loss = sum(w * l) / sum(w) and the gradient of every parameter. Rows with w = 0 add nothing, and
 * a batch whose weights are all 0 gives loss 0 and zero gradients (the sum is floored, not 0).
 */
function emitLossAndGradients(
  g: GraphBuilder,
  spec: MlpSpec,
  opts: MlpLossGraphOptions,
  masks: readonly string[] | undefined,
): Map<string, string> {
  const fwd = emitForward(g, spec, masks);
  const z = g.op('Squeeze', [fwd.logit2d, g.constI64([1])]);
  const { loss: perSample, dLogit } = getLoss(opts.loss).emit(g, z, MLP_IO.y);
  const wSum = g.op('Max', [g.op('ReduceSum', [MLP_IO.weight], { keepdims: 0 }), g.constF(1e-12)]);
  g.op('Div', [g.op('ReduceSum', [g.op('Mul', [MLP_IO.weight, perSample])], { keepdims: 0 }), wSum], {}, MLP_IO.loss);

  const grads = new Map<string, string>();
  const batchAxis = g.constI64([0]);
  // dLoss/dz for each row, as a column [N, 1].
  let gz = g.op('Unsqueeze', [g.op('Div', [g.op('Mul', [MLP_IO.weight, dLogit]), wSum]), g.constI64([1])]);
  for (let k = spec.hidden.length; k >= 0; k--) {
    const layer = k < spec.hidden.length ? `hidden${k}` : 'out';
    grads.set(`${layer}.weight`, g.op('Gemm', [fwd.acts[k], gz], { transA: 1 }));
    grads.set(`${layer}.bias`, g.op('ReduceSum', [gz, batchAxis], { keepdims: 0 }));
    if (k === 0) break;
    // Back through the layer's input: the previous hidden layer's dropout and ReLU.
    let ga = g.op('Gemm', [gz, `${layer}.weight`], { transB: 1 });
    if (masks) ga = g.op('Mul', [ga, masks[k - 1]]);
    gz = g.op('Where', [g.op('Greater', [fwd.pre[k - 1], g.constF(0)]), ga, g.constF(0)]);
  }
  return grads;
}

/**
 * Inference: x [N, D] -> logit [N], prob [N]. With `params` the weights are initializers (a
 * standalone model); without, they are inputs named as in `mlpLayout` (one session serves
 * weights that change during training).
 */
export function buildMlpInferenceModel(
  spec: MlpSpec,
  opts: { params?: readonly MlpParam[] } & ModelOptions = {},
): Uint8Array {
  checkMlpSpec(spec);
  const g = new GraphBuilder('mlp_head');
  g.input(MLP_IO.x, 'float32', [BATCH, spec.inputDim]);
  const layout = mlpLayout(spec);
  if (opts.params) {
    const byName = new Map(opts.params.map((p) => [p.name, p]));
    for (const info of layout) {
      const p = byName.get(info.name);
      if (!p || p.data.length !== info.dims.reduce((a, b) => a * b, 1)) {
        throw new ModelError(
          'INVALID_PARAMETER',
          `parameter ${info.name}: missing or not of shape [${info.dims.join(', ')}]`,
        );
      }
      g.initializer(info.name, { dtype: 'float32', dims: info.dims, data: p.data });
    }
  } else {
    declareParams(g, layout);
  }
  const fwd = emitForward(g, spec, undefined);
  const logit = g.op('Squeeze', [fwd.logit2d, g.constI64([1])], {}, MLP_IO.logit);
  g.op('Sigmoid', [logit], {}, MLP_IO.prob);
  g.output(MLP_IO.logit, 'float32', [BATCH]);
  g.output(MLP_IO.prob, 'float32', [BATCH]);
  return g.serialize(opts);
}

/** Loss and gradients without an update: `<param>.grad` outputs, for gradient checks. */
export function buildMlpGradientModel(spec: MlpSpec, opts: MlpLossGraphOptions): Uint8Array {
  checkMlpSpec(spec);
  const g = new GraphBuilder('mlp_head_gradient');
  const masks = declareBatch(g, spec, opts);
  const layout = mlpLayout(spec);
  declareParams(g, layout);
  const grads = emitLossAndGradients(g, spec, opts, masks);
  g.output(MLP_IO.loss, 'float32', []);
  for (const p of layout) {
    g.output(g.op('Identity', [grads.get(p.name) as string], {}, MLP_IO.grad(p.name)), 'float32', p.dims);
  }
  return g.serialize({ docString: `gradient of the ${opts.loss} loss` });
}

/**
 * One AdamW step (PyTorch's torch.optim.AdamW, decoupled weight decay, bias-corrected), given
 * parameters and moments, the step number t (1 for the first step), lr and weight_decay:
 *   p <- p (1 - lr wd)   (weights only; with optimizer 'adam' instead g <- g + wd p)
 *   m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2
 *   p <- p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * Outputs: loss, then `<name>.next`, `<name>.m.next`, `<name>.v.next` for each parameter.
 */
export function buildMlpTrainStepModel(spec: MlpSpec, opts: MlpLossGraphOptions & Partial<AdamConstants>): Uint8Array {
  checkMlpSpec(spec);
  const adam = { ...DEFAULT_ADAM, ...opts };
  const g = new GraphBuilder('mlp_head_train_step');
  const masks = declareBatch(g, spec, opts);
  const layout = mlpLayout(spec);
  declareParams(g, layout);
  for (const p of layout) {
    g.input(MLP_IO.adamM(p.name), 'float32', p.dims);
    g.input(MLP_IO.adamV(p.name), 'float32', p.dims);
  }
  g.input(MLP_IO.step, 'float32', []);
  g.input(MLP_IO.lr, 'float32', []);
  g.input(MLP_IO.weightDecay, 'float32', []);

  const grads = emitLossAndGradients(g, spec, opts, masks);

  const one = g.constF(1);
  const b1 = g.constF(adam.beta1);
  const b2 = g.constF(adam.beta2);
  const oneMinusB1 = g.constF(1 - adam.beta1);
  const oneMinusB2 = g.constF(1 - adam.beta2);
  const stepSize = g.op('Div', [MLP_IO.lr, g.op('Sub', [one, g.op('Pow', [b1, MLP_IO.step])])]);
  const sqrtBc2 = g.op('Sqrt', [g.op('Sub', [one, g.op('Pow', [b2, MLP_IO.step])])]);
  const coupled = opts.optimizer === 'adam';
  const decay = coupled ? '' : g.op('Sub', [one, g.op('Mul', [MLP_IO.lr, MLP_IO.weightDecay])]);
  const eps = g.constF(adam.eps);

  g.output(MLP_IO.loss, 'float32', []);
  for (const p of layout) {
    const raw = grads.get(p.name) as string;
    const grad = coupled && p.decay ? g.op('Add', [raw, g.op('Mul', [MLP_IO.weightDecay, p.name])]) : raw;
    const mName = MLP_IO.adamM(p.name);
    const vName = MLP_IO.adamV(p.name);
    const m = g.op('Add', [g.op('Mul', [b1, mName]), g.op('Mul', [oneMinusB1, grad])], {}, MLP_IO.next(mName));
    const v = g.op(
      'Add',
      [g.op('Mul', [b2, vName]), g.op('Mul', [oneMinusB2, g.op('Mul', [grad, grad])])],
      {},
      MLP_IO.next(vName),
    );
    const denom = g.op('Add', [g.op('Div', [g.op('Sqrt', [v]), sqrtBc2]), eps]);
    const decayed = p.decay && !coupled ? g.op('Mul', [p.name, decay]) : p.name;
    const update = g.op('Mul', [stepSize, g.op('Div', [m, denom])]);
    g.op('Sub', [decayed, update], {}, MLP_IO.next(p.name));
    g.output(MLP_IO.next(p.name), 'float32', p.dims);
    g.output(m, 'float32', p.dims);
    g.output(v, 'float32', p.dims);
  }
  return g.serialize({
    docString: `one ${coupled ? 'Adam (L2 weight decay)' : 'AdamW'} step on the ${opts.loss} loss`,
    metadata: { beta1: String(adam.beta1), beta2: String(adam.beta2), eps: String(adam.eps) },
  });
}
