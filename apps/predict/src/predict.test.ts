import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memorySink } from '@slidepipe/io';
import { openEnsemble } from './models';
import { predictStreams } from './predict';
import { BACKBONE, embeddingStream, writeModelFolder } from './testing';


async function* streams(...s: ReturnType<typeof embeddingStream>[]) {
  yield* s;
}

describe('wsi-predict', () => {
  it('scores every row with every fold, aggregates, and passes keys, label and extra columns through', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slidepipe-predict-'));
    writeModelFolder(dir);
    const e = await openEnsemble(dir, 1);
    const { sink, out } = memorySink();
    const rows = await predictStreams(streams(embeddingStream('s_a', 5), embeddingStream('s_b', 2)), sink, e, { aggregate: 'max', provenance: null });
    expect(rows).toBe(7);
    expect(out.map((s) => s.meta.slide?.slide_id)).toEqual(['s_a', 's_b']);
    const s = out[0];
    expect(s.meta.record).toBe('patch-score');
    expect(s.meta.facts).toMatchObject({ folds: 3, fold_ids: [0, 1, 2], aggregate: 'max', threshold: 0.7, fold_thresholds: [0.3, 0.5, 0.7], tile_px: 256 });
    const b = s.batches[0];
    const folds = b.getChild('fold_scores')!.get(3)!.toArray() as Float32Array;
    expect(folds.length).toBe(3);
    expect(b.getChild('score')!.get(3)).toBe(Math.max(...folds));
    expect(new Set(folds).size).toBe(3);
    expect(b.getChild('label')!.get(3)).toBe(1);
    expect(b.getChild('label')!.get(2)).toBe(null);
    expect(b.getChild('x0')!.get(4)).toBe(4);
    expect(b.getChild('coverage')!.get(4)).toBeCloseTo(0.4);
    await e.close();
  });

  it('refuses embeddings from another backbone, and NaN embeddings', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slidepipe-predict-'));
    writeModelFolder(dir);
    const e = await openEnsemble(dir, 1);
    const other = embeddingStream('s_a', 2, { ...BACKBONE, name: 'resnet18', sha256: 'd'.repeat(64) });
    await expect(predictStreams(streams(other), memorySink().sink, e, { aggregate: 'mean-prob', provenance: null })).rejects.toThrow(
      /s_a\.arrows: embeddings from backbone resnet18 \(sha256 dddddddddddd\.\.\.\) but the models in .* were trained on test-backbone \(sha256 cccccccccccc\.\.\.\)/,
    );
    const nan = embeddingStream('s_a', 3, BACKBONE, (i, j) => (i === 2 && j === 1 ? NaN : 0));
    await expect(predictStreams(streams(nan), memorySink().sink, e, { aggregate: 'mean-prob', provenance: null })).rejects.toThrow(/slide s_a patch x0=2 y0=2: embedding component 1 is NaN/);
    await e.close();
  });

  it('refuses a model folder with a missing or changed fold, or without a manifest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slidepipe-predict-'));
    writeModelFolder(dir);
    rmSync(join(dir, 'fold-1.onnx'));
    await expect(openEnsemble(dir, 1)).rejects.toThrow(/fold 1 is missing \(fold-1\.onnx\): ensemble\.json lists folds 0, 1, 2, the folder has 0, 2/);
    writeModelFolder(dir);
    writeFileSync(join(dir, 'fold-2.onnx'), 'changed');
    await expect(openEnsemble(dir, 1)).rejects.toThrow(/fold-2\.onnx: sha256 .* differs from ensemble\.json's/);
    rmSync(join(dir, 'ensemble.json'));
    await expect(openEnsemble(dir, 1)).rejects.toThrow(/no ensemble\.json: not a wsi-train model folder/);
  });
});
