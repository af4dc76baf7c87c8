import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Field, Float32 } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { memorySink, type RecordStream } from '@slidepipe/io';
import { buildMlpInferenceModel, initMlpParams } from '@slidepipe/models';
import { makeBatch, schemaFor, type StreamMeta } from '@slidepipe/schema';
import { openEnsemble } from './models';
import { predictStreams } from './predict';

// A model folder as wsi-train writes it (heads with seeded random weights) and embedding streams;
// here, as only these tests use them (libs/testing cannot depend on libs/models, whose tests use it).
const BACKBONE = { kind: 'builtin', name: 'test-backbone', sha256: 'c'.repeat(64), dim: 4, preprocessing: {} };

function writeModelFolder(dir: string, folds = 3, thresholds = [0.3, 0.5, 0.7]): void {
  const entries = Array.from({ length: folds }, (_, k) => {
    const model = buildMlpInferenceModel(
      { inputDim: 4, hidden: [3] },
      { params: initMlpParams({ inputDim: 4, hidden: [3] }, k + 1) },
    );
    writeFileSync(join(dir, `fold-${k}.onnx`), model);
    return {
      fold: k,
      file: `fold-${k}.onnx`,
      sha256: createHash('sha256').update(model).digest('hex'),
      threshold: thresholds[k],
    };
  });
  const manifest = {
    format: 'slidepipe-ensemble',
    version: 1,
    backbone: BACKBONE,
    dim: 4,
    aggregate: 'mean-prob',
    threshold: 0.5,
    folds: entries,
  };
  writeFileSync(join(dir, 'ensemble.json'), JSON.stringify(manifest, null, 2));
}

function embeddingStream(
  slide: string,
  rows: number,
  backbone: object = BACKBONE,
  value: (i: number, j: number) => number = (i, j) => (i - j) / 4,
): RecordStream {
  const meta: StreamMeta = {
    record: 'embedding',
    version: 1,
    slide: { slide_id: slide, patient_id: 'p', width0: 1, height0: 1, mpp0: 0.25 },
    facts: { dim: 4, backbone, tile_px: 256 },
    provenance: [{ tool: 'wsi-embed', version: '0', argv: [], params: {}, time: 't' }],
  };
  const idx = Int32Array.from({ length: rows }, (_, i) => i);
  const extra = [new Field('coverage', new Float32(), false)];
  const schema = schemaFor(meta, extra);
  const batch = makeBatch(schema, {
    slide_id: Array(rows).fill(slide),
    x0: idx,
    y0: idx,
    w0: idx,
    h0: idx,
    col: idx,
    row: idx,
    label: Array.from(idx, (i) => (i % 2 ? 1 : null)),
    embedding: Array.from(idx, (i) => Float32Array.from({ length: 4 }, (_, j) => value(i, j))),
    coverage: Float32Array.from(idx, (i) => i / 10),
  });
  return {
    source: `${slide}.arrows`,
    schema,
    meta,
    batches: (async function* () {
      yield batch;
    })(),
  };
}

async function* streams(...s: ReturnType<typeof embeddingStream>[]) {
  yield* s;
}

describe('wsi-predict', () => {
  it('scores every row with every fold, aggregates, and passes keys, label and extra columns through', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slidepipe-predict-'));
    writeModelFolder(dir);
    const e = await openEnsemble(dir, 1);
    const { sink, out } = memorySink();
    const rows = await predictStreams(streams(embeddingStream('s_a', 5), embeddingStream('s_b', 2)), sink, e, {
      aggregate: 'max',
      provenance: null,
    });
    expect(rows).toBe(7);
    expect(out.map((s) => s.meta.slide?.slide_id)).toEqual(['s_a', 's_b']);
    const s = out[0];
    expect(s.meta.record).toBe('patch-score');
    expect(s.meta.facts).toMatchObject({
      folds: 3,
      fold_ids: [0, 1, 2],
      aggregate: 'max',
      threshold: 0.7,
      fold_thresholds: [0.3, 0.5, 0.7],
      tile_px: 256,
    });
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
    await expect(
      predictStreams(streams(other), memorySink().sink, e, { aggregate: 'mean-prob', provenance: null }),
    ).rejects.toThrow(
      /s_a\.arrows: embeddings from backbone resnet18 \(sha256 dddddddddddd\.\.\.\) but the models in .* were trained on test-backbone \(sha256 cccccccccccc\.\.\.\)/,
    );
    const nan = embeddingStream('s_a', 3, BACKBONE, (i, j) => (i === 2 && j === 1 ? NaN : 0));
    await expect(
      predictStreams(streams(nan), memorySink().sink, e, { aggregate: 'mean-prob', provenance: null }),
    ).rejects.toThrow(/slide s_a patch x0=2 y0=2: embedding component 1 is NaN/);
    await e.close();
  });

  it('refuses a model folder with a missing or changed fold, or without a manifest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slidepipe-predict-'));
    writeModelFolder(dir);
    rmSync(join(dir, 'fold-1.onnx'));
    await expect(openEnsemble(dir, 1)).rejects.toThrow(
      /fold 1 is missing \(fold-1\.onnx\): ensemble\.json lists folds 0, 1, 2, the folder has 0, 2/,
    );
    writeModelFolder(dir);
    writeFileSync(join(dir, 'fold-2.onnx'), 'changed');
    await expect(openEnsemble(dir, 1)).rejects.toThrow(/fold-2\.onnx: sha256 .* differs from ensemble\.json's/);
    rmSync(join(dir, 'ensemble.json'));
    await expect(openEnsemble(dir, 1)).rejects.toThrow(/no ensemble\.json: not a wsi-train model folder/);
  });
});
