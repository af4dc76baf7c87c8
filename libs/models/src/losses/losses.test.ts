import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../onnx/graph-builder';
import { createSession, outF32, scalarF32 } from '../onnx/session';
import { getLoss, LOSSES } from './registry';
import type { LossFunction, LossParams } from './types';

const CASES: { loss: LossFunction; params: LossParams }[] = [
  { loss: LOSSES.bce, params: { posWeight: 1, alpha: 0, gamma: 0 } },
  { loss: LOSSES.bce, params: { posWeight: 3.5, alpha: 0, gamma: 0 } },
  { loss: LOSSES.focal, params: { posWeight: 1, alpha: 0.25, gamma: 2 } },
  { loss: LOSSES.focal, params: { posWeight: 1, alpha: 0.8, gamma: 0.5 } },
];

async function runLossGraph(loss: LossFunction, params: LossParams, z: number[], y: number[]) {
  const g = new GraphBuilder();
  g.input('z', 'float32', ['N']);
  g.input('y', 'float32', ['N']);
  for (const i of loss.inputs) g.input(i.name, 'float32', []);
  const out = loss.emit(g, 'z', 'y');
  g.output(g.op('Identity', [out.loss], {}, 'l'), 'float32');
  g.output(g.op('Identity', [out.dLogit], {}, 'd'), 'float32');
  const s = await createSession(g.serialize());
  const feeds: Record<string, ort.Tensor> = {
    z: new ort.Tensor('float32', Float32Array.from(z), [z.length]),
    y: new ort.Tensor('float32', Float32Array.from(y), [y.length]),
  };
  for (const i of loss.inputs) feeds[i.name] = scalarF32(params[i.param]);
  const res = await s.run(feeds);
  await s.release();
  return { l: outF32(res, 'l'), d: outF32(res, 'd') };
}

describe('losses', () => {
  it('give the textbook values', () => {
    const p = { posWeight: 1, alpha: 0.25, gamma: 2 };
    expect(LOSSES.bce.reference(0, 1, p).loss).toBeCloseTo(Math.LN2, 12);
    expect(LOSSES.bce.reference(0, 1, p).dLogit).toBeCloseTo(-0.5, 12);
    // Focal with gamma 0 is alpha-weighted BCE.
    const g0 = { ...p, gamma: 0 };
    for (const [z, y] of [
      [1.3, 1],
      [-0.4, 0],
      [2, 0],
    ]) {
      const w = y ? 0.25 : 0.75;
      expect(LOSSES.focal.reference(z, y, g0).loss).toBeCloseTo(w * LOSSES.bce.reference(z, y, p).loss, 12);
    }
    // At p_t = 0.9 the focal factor is (0.1)^2.
    const z = Math.log(9);
    expect(LOSSES.focal.reference(z, 1, p).loss).toBeCloseTo(0.25 * 0.01 * -Math.log(0.9), 12);
  });

  for (const { loss, params } of CASES) {
    it(`${loss.name} ${JSON.stringify(params)}: closed-form dl/dz matches central differences (float64)`, () => {
      const h = 1e-6;
      for (const y of [0, 1]) {
        for (let z = -12; z <= 12; z += 0.37) {
          const fd = (loss.reference(z + h, y, params).loss - loss.reference(z - h, y, params).loss) / (2 * h);
          const d = loss.reference(z, y, params).dLogit;
          expect(Math.abs(d - fd)).toBeLessThan(1e-6 + 1e-5 * Math.abs(fd));
        }
      }
    });

    it(`${loss.name} ${JSON.stringify(params)}: the ONNX graph agrees with float64 and stays finite at |z| = 100`, async () => {
      const z = [-100, -30, -5, -0.5, 0, 0.7, 4, 30, 100];
      const zs = [...z, ...z];
      const ys = [...z.map(() => 0), ...z.map(() => 1)];
      const { l, d } = await runLossGraph(loss, params, zs, ys);
      for (let i = 0; i < zs.length; i++) {
        const ref = loss.reference(zs[i], ys[i], params);
        expect(Number.isFinite(l[i]) && Number.isFinite(d[i])).toBe(true);
        expect(Math.abs(l[i] - ref.loss)).toBeLessThan(1e-5 * Math.max(1, Math.abs(ref.loss)));
        expect(Math.abs(d[i] - ref.dLogit)).toBeLessThan(1e-5 * Math.max(1, Math.abs(ref.dLogit)));
      }
    });
  }

  it('names the choices when a loss is unknown', () => {
    expect(() => getLoss('hinge')).toThrow(/bce, focal.*"hinge"/);
  });
});
