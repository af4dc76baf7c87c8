import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { getLoss } from '../losses/registry';
import type { LossName, LossParams } from '../losses/types';
import { createSession, f32, outF32, scalarF32 } from '../onnx/session';
import { createRng, fillDropoutMask, fillUniform } from '../random/rng';
import { norm, randn, relError, toF64 } from '@slidepipe/testing';
import { buildMlpGradientModel, buildMlpInferenceModel, buildMlpTrainStepModel, DEFAULT_ADAM, MLP_IO } from './graphs';
import { initMlpParams, mlpLayout, type MlpParam, type MlpSpec } from './params';
import { mlpLogitsF64, mlpLossF64 } from './reference';

const SPEC: MlpSpec = { inputDim: 5, hidden: [6, 4] };
const N = 7;
const LOSS_PARAMS: LossParams = { posWeight: 2.5, alpha: 0.3, gamma: 2 };

function batch(seed: number, spec = SPEC) {
  const x = randn(seed, N * spec.inputDim);
  const y = Float32Array.from({ length: N }, (_, i) => (i % 3 === 0 ? 1 : 0));
  const w = fillUniform(createRng(seed + 1), new Float32Array(N), 1).map((v) => 1.25 + v);
  const rng = createRng(seed + 2);
  const masks = spec.hidden.map((h) => fillDropoutMask(rng, new Float32Array(N * h), 0.3));
  return { x, y, w, masks };
}

function params(seed: number, spec = SPEC): MlpParam[] {
  const p = initMlpParams(spec, seed);
  // Positive biases keep most ReLUs active, so every weight has a gradient to check.
  for (const q of p) if (q.name.endsWith('.bias')) q.data.fill(0.3);
  return p;
}

function feeds(b: ReturnType<typeof batch>, ps: readonly MlpParam[], withMasks: boolean, loss: LossName, spec = SPEC) {
  const f: Record<string, ort.Tensor> = {
    [MLP_IO.x]: f32(b.x, [N, spec.inputDim]),
    [MLP_IO.y]: f32(b.y, [N]),
    [MLP_IO.weight]: f32(b.w, [N]),
  };
  for (const i of getLoss(loss).inputs) f[i.name] = scalarF32(LOSS_PARAMS[i.param]);
  if (withMasks) b.masks.forEach((m, k) => (f[MLP_IO.mask(k)] = f32(m, [N, spec.hidden[k]])));
  for (const p of ps) f[p.name] = f32(p.data, p.dims);
  return f;
}

describe('MLP graphs', () => {
  async function checkGradients(spec: MlpSpec, loss: LossName, withMasks: boolean) {
    const b = batch(11, spec);
    const ps = params(3, spec);
    const s = await createSession(buildMlpGradientModel(spec, { loss, dropout: withMasks }));
    const out = await s.run(feeds(b, ps, withMasks, loss, spec));
    await s.release();

    const f64 = toF64(ps);
    const lossFn = getLoss(loss);
    const data = { x: b.x, y: b.y, w: b.w, masks: withMasks ? b.masks : undefined };
    const lossAt = () => mlpLossF64(spec, f64, data, lossFn, LOSS_PARAMS);
    expect(outF32(out, MLP_IO.loss)[0]).toBeCloseTo(lossAt(), 5);

    const h = 1e-6;
    for (const p of ps) {
      const theta = f64.get(p.name) as Float64Array;
      const fd = new Float64Array(theta.length);
      for (let i = 0; i < theta.length; i++) {
        const keep = theta[i];
        theta[i] = keep + h;
        const up = lossAt();
        theta[i] = keep - h;
        const down = lossAt();
        theta[i] = keep;
        fd[i] = (up - down) / (2 * h);
      }
      const grad = outF32(out, MLP_IO.grad(p.name));
      expect(norm(fd), p.name).toBeGreaterThan(1e-4);
      expect(relError(grad, fd), p.name).toBeLessThan(1e-3);
    }
  }

  for (const loss of ['bce', 'focal'] as const) {
    for (const withMasks of [false, true]) {
      it(`${loss}${withMasks ? ' with dropout masks' : ''}: gradients match central differences of the float64 loss`, () =>
        checkGradients(SPEC, loss, withMasks));
    }
  }

  it('a head without hidden layers (logistic regression) has the right gradients too', () =>
    checkGradients({ inputDim: 4, hidden: [] }, 'bce', true));

  it('a train step applies AdamW (bias-corrected, decoupled decay on weights only) to the graph gradients', async () => {
    const loss = 'focal';
    const b = batch(5);
    const ps = params(9);
    const f = feeds(b, ps, true, loss);
    const gs = await createSession(buildMlpGradientModel(SPEC, { loss, dropout: true }));
    const grads = await gs.run(f);
    await gs.release();

    const [t, lr, wd] = [3, 0.01, 0.1];
    const rng = createRng(77);
    const moments = new Map<string, { m: Float32Array; v: Float32Array }>();
    for (const p of ps) {
      const m = fillUniform(rng, new Float32Array(p.data.length), 0.1);
      const v = fillUniform(rng, new Float32Array(p.data.length), 0.01).map(Math.abs);
      moments.set(p.name, { m, v });
      f[MLP_IO.adamM(p.name)] = f32(m, p.dims);
      f[MLP_IO.adamV(p.name)] = f32(v, p.dims);
    }
    f[MLP_IO.step] = scalarF32(t);
    f[MLP_IO.lr] = scalarF32(lr);
    f[MLP_IO.weightDecay] = scalarF32(wd);
    const ts = await createSession(buildMlpTrainStepModel(SPEC, { loss, dropout: true }));
    const out = await ts.run(f);
    await ts.release();

    expect(outF32(out, MLP_IO.loss)[0]).toBe(outF32(grads, MLP_IO.loss)[0]);
    const { beta1: b1, beta2: b2, eps } = DEFAULT_ADAM;
    for (const p of ps) {
      const g = outF32(grads, MLP_IO.grad(p.name));
      const { m, v } = moments.get(p.name) as { m: Float32Array; v: Float32Array };
      const wantM = m.map((mi, i) => b1 * mi + (1 - b1) * g[i]);
      const wantV = v.map((vi, i) => b2 * vi + (1 - b2) * g[i] * g[i]);
      const wantP = p.data.map((pi, i) => {
        const decayed = p.decay ? pi * (1 - lr * wd) : pi;
        const mHat = wantM[i] / (1 - b1 ** t);
        const vHat = wantV[i] / (1 - b2 ** t);
        return decayed - (lr * mHat) / (Math.sqrt(vHat) + eps);
      });
      expect(relError(outF32(out, MLP_IO.next(MLP_IO.adamM(p.name))), wantM), p.name).toBeLessThan(1e-5);
      expect(relError(outF32(out, MLP_IO.next(MLP_IO.adamV(p.name))), wantV), p.name).toBeLessThan(1e-5);
      expect(relError(outF32(out, MLP_IO.next(p.name)), wantP), p.name).toBeLessThan(1e-5);
      // The step moved the parameter by more than float32 noise.
      expect(relError(wantP, p.data), p.name).toBeGreaterThan(1e-4);
    }
  });

  it("with optimizer 'adam' the decay is an L2 term added to the gradient before the moments", async () => {
    const loss = 'bce';
    const b = batch(6);
    const ps = params(10);
    const f = feeds(b, ps, false, loss);
    const gs = await createSession(buildMlpGradientModel(SPEC, { loss, dropout: false }));
    const grads = await gs.run(f);
    await gs.release();
    const [lr, wd] = [0.01, 0.5];
    for (const p of ps) {
      f[MLP_IO.adamM(p.name)] = f32(new Float32Array(p.data.length), p.dims);
      f[MLP_IO.adamV(p.name)] = f32(new Float32Array(p.data.length), p.dims);
    }
    f[MLP_IO.step] = scalarF32(1);
    f[MLP_IO.lr] = scalarF32(lr);
    f[MLP_IO.weightDecay] = scalarF32(wd);
    const ts = await createSession(buildMlpTrainStepModel(SPEC, { loss, dropout: false, optimizer: 'adam' }));
    const out = await ts.run(f);
    await ts.release();
    const { beta1: b1 } = DEFAULT_ADAM;
    for (const p of ps) {
      const g = outF32(grads, MLP_IO.grad(p.name));
      const wantM = p.data.map((pi, i) => (1 - b1) * (g[i] + (p.decay ? wd * pi : 0)));
      expect(relError(outF32(out, MLP_IO.next(MLP_IO.adamM(p.name))), wantM), p.name).toBeLessThan(1e-5);
    }
  });

  it('inference graph (weights as initializers or as inputs) gives the float64 logits', async () => {
    const ps = params(4);
    const x = randn(8, N * SPEC.inputDim);
    const want = mlpLogitsF64(SPEC, toF64(ps), x, N);
    const standalone = await createSession(buildMlpInferenceModel(SPEC, { params: ps }));
    const a = await standalone.run({ [MLP_IO.x]: f32(x, [N, SPEC.inputDim]) });
    const fed = await createSession(buildMlpInferenceModel(SPEC));
    const bf: Record<string, ort.Tensor> = { [MLP_IO.x]: f32(x, [N, SPEC.inputDim]) };
    for (const p of ps) bf[p.name] = f32(p.data, p.dims);
    const c = await fed.run(bf);
    await Promise.all([standalone.release(), fed.release()]);
    for (const out of [a, c]) {
      expect(relError(outF32(out, MLP_IO.logit), want)).toBeLessThan(1e-6);
      const prob = outF32(out, MLP_IO.prob);
      want.forEach((z, i) => expect(prob[i]).toBeCloseTo(1 / (1 + Math.exp(-z)), 6));
    }
  });

  it('lays out [in, out] weights and refuses a parameter of the wrong shape', () => {
    expect(mlpLayout(SPEC).map((p) => `${p.name}:${p.dims.join('x')}`)).toEqual([
      'hidden0.weight:5x6',
      'hidden0.bias:6',
      'hidden1.weight:6x4',
      'hidden1.bias:4',
      'out.weight:4x1',
      'out.bias:1',
    ]);
    const ps = params(1);
    ps[2] = { ...ps[2], data: new Float32Array(3) };
    expect(() => buildMlpInferenceModel(SPEC, { params: ps })).toThrow(/hidden1.weight/);
  });
});
