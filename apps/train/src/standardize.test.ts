import { describe, expect, it } from 'vitest';
import { buildMlpInferenceModel, createSession, initMlpParams, loadOrt } from '@slidepipe/models';
import { fitStandardizer, foldStandardizer, gatherRows } from './standardize';
import { mulberry32 } from '@slidepipe/testing';

describe('standardisation', () => {
  it('fits mean and std on the given rows, std 1 for a constant column', () => {
    const x = Float32Array.from([1, 5, 3, 5, 100, 5]);
    const st = fitStandardizer(x, 2, [0, 1]);
    expect(Array.from(st.mean)).toEqual([2, 5]);
    expect(Array.from(st.std)).toEqual([1, 1]);
    expect(Array.from(gatherRows(x, 2, [1, 0], st))).toEqual([1, 0, -1, 0]);
  });

  it('folded into the first layer, gives on raw rows the logits of the original head on standardised rows', async () => {
    const rand = mulberry32(3);
    for (const hidden of [[5], []]) {
      const spec = { inputDim: 4, hidden };
      const params = initMlpParams(spec, 11);
      const x = Float32Array.from({ length: 7 * 4 }, () => rand() * 20 - 3);
      const st = fitStandardizer(x, 4, [0, 1, 2, 3, 4, 5, 6]);
      const all = [0, 1, 2, 3, 4, 5, 6];
      const { Tensor } = loadOrt();
      const run = async (model: Uint8Array, input: Float32Array) => {
        const s = await createSession(model);
        const out = await s.run({ x: new Tensor('float32', input, [7, 4]) });
        await s.release();
        return Array.from(out.logit.data as Float32Array);
      };
      const folded = await run(buildMlpInferenceModel(spec, { params: foldStandardizer(params, st) }), x);
      const original = await run(buildMlpInferenceModel(spec, { params }), gatherRows(x, 4, all, st));
      folded.forEach((v, i) => expect(v).toBeCloseTo(original[i], 4));
      // Not trivially equal: standardising changes the input a lot.
      expect(Math.max(...folded.map((v, i) => Math.abs(v - (original[i] + 1))))).toBeGreaterThan(0.5);
    }
  });
});
