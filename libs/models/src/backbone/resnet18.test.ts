import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { decodeModel, readOnnxMetadata } from '../onnx/graph-builder';
import { randn } from '@slidepipe/testing';
import { buildResNet18Model, RESNET18_IO, writeResNet18Model } from './resnet18';

describe('ResNet-18 backbone', () => {
  it('writes a model with the ResNet-18 layout that maps [N,3,px,px] to finite [N,512] embeddings', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'slidepipe-resnet-'));
    try {
      const path = join(dir, 'backbone.onnx');
      const { sha256 } = await writeResNet18Model(path, { seed: 3, inputPx: 32 });
      const bytes = await readFile(path);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(sha256);

      const graph = decodeModel(bytes).graph;
      const convs = graph?.node?.filter((n) => n.opType === 'Conv') ?? [];
      // 1 stem + 8 blocks x 2 + 3 projections; 11.2M weights as in torchvision (without fc).
      expect(convs.length).toBe(20);
      const weights = (graph?.initializer ?? []).reduce((s, t) => s + (t.rawData?.length ?? 0) / 4, 0);
      expect(weights).toBeGreaterThan(11.1e6);
      expect(weights).toBeLessThan(11.3e6);
      expect(readOnnxMetadata(bytes)['slidepipe.backbone.id']).toBe('resnet18-random-seed3');

      const s = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
      const x = randn(5, 2 * 3 * 32 * 32);
      const out = await s.run({ [RESNET18_IO.input]: new ort.Tensor('float32', x, [2, 3, 32, 32]) });
      await s.release();
      const e = out[RESNET18_IO.output];
      expect(e.dims).toEqual([2, 512]);
      const v = e.data as Float32Array;
      expect(v.every(Number.isFinite)).toBe(true);
      // A sane scale (no blow-up or collapse), and the two images embed differently.
      const meanAbs = v.reduce((a, b) => a + Math.abs(b), 0) / v.length;
      expect(meanAbs).toBeGreaterThan(1e-2);
      expect(meanAbs).toBeLessThan(1e2);
      expect(v.subarray(0, 512)).not.toEqual(v.subarray(512));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses an input too small for five halvings', () => {
    expect(() => buildResNet18Model({ inputPx: 16 })).toThrow(/inputPx/);
  });
});
