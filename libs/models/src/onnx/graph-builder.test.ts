import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { decodeModel, GraphBuilder, readOnnxMetadata } from './graph-builder';
import { createSession } from './session';

describe('GraphBuilder', () => {
  it('builds a graph with a symbolic dim, initializers, attributes and metadata that onnxruntime runs', async () => {
    const g = new GraphBuilder('affine');
    g.input('x', 'float32', ['N', 2]);
    g.initializer('W', { dtype: 'float32', dims: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) });
    g.initializer('b', { dtype: 'float32', dims: [3], data: Float32Array.of(0.5, -1, 0) });
    const gemm = g.op('Gemm', ['x', 'W', 'b'], { alpha: { f: 2 } });
    g.op('ReduceSum', [gemm, g.constI64([1])], { keepdims: 0 }, 'rowsum');
    g.output('rowsum', 'float32', ['N']);
    const bytes = g.serialize({ metadata: { fold: '3', note: 'héllo' } });

    expect(readOnnxMetadata(bytes)).toEqual({ fold: '3', note: 'héllo' });
    expect(String(decodeModel(bytes).opsetImport[0].version)).toBe('17');

    const s = await createSession(bytes);
    for (const n of [1, 4]) {
      const x = Float32Array.from({ length: n * 2 }, (_, i) => i - 1);
      const out = await s.run({ x: new ort.Tensor('float32', x, [n, 2]) });
      const got = out.rowsum.data as Float32Array;
      for (let r = 0; r < n; r++) {
        const [a, c] = [x[2 * r], x[2 * r + 1]];
        // 2 * (x @ W) + b, summed over the 3 columns.
        const want = 2 * (a * (1 + 2 + 3) + c * (4 + 5 + 6)) + (0.5 - 1 + 0);
        expect(got[r]).toBeCloseTo(want, 5);
      }
    }
    await s.release();
  });

  it('refuses a value defined twice, an undefined input and a float where an int belongs', () => {
    const g = new GraphBuilder();
    g.input('x', 'float32', [1]);
    expect(() => g.input('x', 'float32', [1])).toThrow(/defined twice/);
    expect(() => g.op('Relu', ['nope'])).toThrow(/not defined/);
    expect(() => g.op('Gemm', ['x', 'x'], { alpha: 0.5 })).toThrow(/not an int/);
    expect(() => g.output('missing', 'float32')).toThrow(/not produced/);
    expect(() => g.initializer('t', { dtype: 'float32', dims: [2, 2], data: new Float32Array(3) })).toThrow(
      /expected 4 values/,
    );
  });

  it('shares scalar constants and keeps -0 apart from 0', () => {
    const g = new GraphBuilder();
    expect(g.constF(1)).toBe(g.constF(1));
    expect(g.constF(0)).not.toBe(g.constF(-0));
    expect(g.constI64([0])).toBe(g.constI64([0]));
  });
});
