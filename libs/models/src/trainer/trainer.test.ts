import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { ModelError } from '../errors';
import { readOnnxMetadata } from '../onnx/graph-builder';
import { rocAuc, separableProblem } from '@slidepipe/testing';
import type { MlpTrainOptionsInput } from './options';
import { HEAD_METADATA_PREFIX, MlpTrainer, type EpochReport } from './trainer';

const DIM = 8;
const BASE: MlpTrainOptionsInput = {
  hidden: [16, 8],
  dropout: 0.2,
  lr: 0.01,
  weightDecay: 1e-4,
  // 150 rows in batches of 32: the last batch of each epoch has 22 rows.
  batchSize: 32,
  epochs: 4,
  seed: 7,
};

function sameParams(a: MlpTrainer, b: MlpTrainer): boolean {
  const pa = a.getParams();
  const pb = b.getParams();
  return pa.every((p, i) => p.name === pb[i].name && p.data.every((v, j) => Object.is(v, pb[i].data[j])));
}

describe('MlpTrainer', () => {
  for (const loss of ['bce', 'focal'] as const) {
    it(`${loss}: learns a separable problem (high held-out AUC, falling loss)`, async () => {
      const train = separableProblem(1, 400, DIM);
      const test = separableProblem(2, 200, DIM);
      const t = MlpTrainer.create(DIM, { ...BASE, loss, epochs: 12 });
      const reports: EpochReport[] = [];
      await t.fit(train, { onEpochEnd: (r) => void reports.push(r) });
      const { prob } = await t.predict(test.x);
      await t.dispose();

      expect(reports.map((r) => r.epoch)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
      expect(reports[0].steps).toBe(13);
      expect(rocAuc(prob, test.y)).toBeGreaterThan(0.97);
      expect(reports[11].loss).toBeLessThan(0.5 * reports[0].loss);
      expect(t.finished).toBe(true);
    });
  }

  it('gives bit-identical weights for the same seed and different ones for another seed', async () => {
    const data = separableProblem(3, 150, DIM);
    const [a, b, c] = [7, 7, 8].map((seed) => MlpTrainer.create(DIM, { ...BASE, seed }));
    for (const t of [a, b, c]) await t.fit(data);
    expect(sameParams(a, b)).toBe(true);
    expect(sameParams(a, c)).toBe(false);
    await Promise.all([a, b, c].map((t) => t.dispose()));
  });

  it('continues from a saved state exactly as if never interrupted, and does not retrain a finished one', async () => {
    const data = separableProblem(4, 150, DIM);
    const straight = MlpTrainer.create(DIM, BASE);
    let atEpoch2: Uint8Array | undefined;
    await straight.fit(data, {
      onEpochEnd: (r, t) => {
        if (r.epoch === 2) atEpoch2 = t.saveState();
      },
    });

    const resumed = MlpTrainer.restore(atEpoch2 as Uint8Array);
    expect([resumed.epoch, resumed.finished]).toEqual([2, false]);
    const summary = await resumed.fit(data);
    expect(summary.epochsRun).toBe(2);
    expect(sameParams(straight, resumed)).toBe(true);
    expect(resumed.history).toEqual(straight.history);

    const finished = MlpTrainer.restore(straight.saveState());
    const again = await finished.fit(data);
    expect(again).toEqual({ epochsRun: 0, epoch: 4, finished: true, stoppedEarly: false });
    expect(sameParams(straight, finished)).toBe(true);
    await Promise.all([straight, resumed, finished].map((t) => t.dispose()));
  });

  it("stops when a callback answers 'stop' and stays finished", async () => {
    const data = separableProblem(5, 100, DIM);
    const t = MlpTrainer.create(DIM, { ...BASE, epochs: 10 });
    const s = await t.fit(data, { onEpochEnd: (r) => (r.epoch === 3 ? 'stop' : 'continue') });
    expect(s).toEqual({ epochsRun: 3, epoch: 3, finished: true, stoppedEarly: true });
    expect((await t.fit(data)).epochsRun).toBe(0);
    await t.dispose();
  });

  it('ignores the labels of rows with sample weight 0, and weights change the result otherwise', async () => {
    const data = separableProblem(6, 120, DIM);
    const w = new Float32Array(120).fill(1);
    for (let i = 0; i < 120; i += 5) w[i] = 0;
    const flipped = data.y.map((v, i) => (w[i] === 0 ? 1 - v : v));
    const a = MlpTrainer.create(DIM, { ...BASE, loss: 'focal' });
    const b = MlpTrainer.create(DIM, { ...BASE, loss: 'focal' });
    const c = MlpTrainer.create(DIM, { ...BASE, loss: 'focal' });
    await a.fit({ ...data, w });
    await b.fit({ ...data, y: flipped, w });
    await c.fit({ ...data, y: flipped });
    expect(sameParams(a, b)).toBe(true);
    expect(sameParams(a, c)).toBe(false);
    await Promise.all([a, b, c].map((t) => t.dispose()));
  });

  it('exports an ONNX model that reloads with its metadata and predicts as the trainer does', async () => {
    const data = separableProblem(7, 100, DIM);
    const t = MlpTrainer.create(DIM, { ...BASE, loss: 'focal', alpha: 0.5, gamma: 1 });
    await t.fit(data);
    const bytes = t.exportOnnx({ fold: '2', threshold: '0.37', backbone_sha256: 'ab12' });

    const meta = readOnnxMetadata(bytes);
    expect(meta).toMatchObject({ fold: '2', threshold: '0.37', backbone_sha256: 'ab12' });
    expect(JSON.parse(meta[`${HEAD_METADATA_PREFIX}hidden`])).toEqual([16, 8]);
    expect(JSON.parse(meta[`${HEAD_METADATA_PREFIX}train_options`])).toMatchObject({
      loss: 'focal',
      alpha: 0.5,
      seed: 7,
    });

    const s = await ort.InferenceSession.create(bytes);
    const out = await s.run({ x: new ort.Tensor('float32', data.x, [100, DIM]) });
    const mine = await t.predict(data.x);
    const logit = out.logit.data as Float32Array;
    const prob = out.prob.data as Float32Array;
    for (let i = 0; i < 100; i++) {
      expect(Math.abs(logit[i] - mine.logit[i])).toBeLessThan(1e-5);
      expect(Math.abs(prob[i] - mine.prob[i])).toBeLessThan(1e-6);
    }
    // The model is not trivial: its predictions separate the classes.
    expect(rocAuc(prob, data.y)).toBeGreaterThan(0.9);
    await Promise.all([s.release(), t.dispose()]);
  });

  it('predicts across its internal chunks exactly as the exported model does in one run', async () => {
    const t = MlpTrainer.create(DIM, { ...BASE, epochs: 1 });
    await t.fit(separableProblem(8, 64, DIM));
    // More rows than one predict() chunk (8192), so the chunk boundary is crossed.
    const rows = 8192 + 37;
    const { x } = separableProblem(9, rows, DIM);
    const mine = await t.predict(x);
    const s = await ort.InferenceSession.create(t.exportOnnx());
    const out = await s.run({ x: new ort.Tensor('float32', x, [rows, DIM]) });
    const logit = out.logit.data as Float32Array;
    let worst = 0;
    for (let i = 0; i < rows; i++) worst = Math.max(worst, Math.abs(logit[i] - mine.logit[i]));
    expect(worst).toBeLessThan(1e-5);
    expect(mine.logit[rows - 1]).not.toBe(0);
    await Promise.all([s.release(), t.dispose()]);
  });

  it('refuses bad options, mis-sized data, soft labels for focal and a damaged state', async () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as ModelError).reason;
      }
      return 'no error';
    };
    expect(code(() => MlpTrainer.create(DIM, { dropout: 1 }))).toBe('INVALID_PARAMETER');
    expect(code(() => MlpTrainer.create(DIM, { lr: 0.1, learningRate: 3 } as MlpTrainOptionsInput))).toBe(
      'INVALID_PARAMETER',
    );
    expect(() => MlpTrainer.create(DIM, { loss: 'hinge' as 'bce' })).toThrow(/loss/);

    const t = MlpTrainer.create(DIM, { ...BASE, loss: 'focal' });
    const x = new Float32Array(4 * DIM);
    await expect(t.fit({ x, y: [0, 1, 0] })).rejects.toThrow(/expected x of 3 x 8/);
    await expect(t.fit({ x, y: [0, 1, 0.5, 1] })).rejects.toThrow(/label 2: expected 0 or 1/);
    await expect(t.fit({ x, y: [0, 1, 0, 1], w: [0, 0, 0, 0] })).rejects.toThrow(/all sample weights are 0/);

    const state = t.saveState();
    expect(code(() => MlpTrainer.restore(state.subarray(0, state.length - 4)))).toBe('INVALID_STATE');
    expect(code(() => MlpTrainer.restore(new TextEncoder().encode('not a state at all')))).toBe('INVALID_STATE');
    await t.dispose();
  });
});
