import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Field, Float32 } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { memorySink, type RecordStream, type SplitEntry } from '@slidepipe/io';
import { buildMlpInferenceModel, initMlpParams } from '@slidepipe/models';
import { makeBatch, OUT_OF_FOLD, schemaFor, type StreamMeta } from '@slidepipe/schema';
import { openEnsemble } from './models';
import { oofHeadOf, predictStreams } from './predict';

// A model folder as wsi-train writes it (heads with seeded random weights) and embedding streams;
// here, as only these tests use them (libs/testing cannot depend on libs/models, whose tests use it).
const BACKBONE = { kind: 'builtin', name: 'test-backbone', sha256: 'c'.repeat(64), dim: 4, preprocessing: {} };

function writeModelFolder(dir: string, folds = 3, thresholds = [0.3, 0.5, 0.7], foldIds?: number[]): void {
  const entries = Array.from({ length: folds }, (_, i) => {
    const k = foldIds?.[i] ?? i;
    const model = buildMlpInferenceModel(
      { inputDim: 4, hidden: [3] },
      { params: initMlpParams({ inputDim: 4, hidden: [3] }, k + 1) },
    );
    writeFileSync(join(dir, `fold-${k}.onnx`), model);
    return {
      fold: k,
      file: `fold-${k}.onnx`,
      sha256: createHash('sha256').update(model).digest('hex'),
      threshold: thresholds[i],
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

/** One stream of several slides (slide facts unknown, as after wsi-cat of several slides). */
function mixedStream(slides: string[], rowsEach: number): RecordStream {
  const one = embeddingStream('x', rowsEach);
  const meta: StreamMeta = { ...one.meta, slide: null };
  const schema = schemaFor(
    meta,
    one.schema.fields.filter((f) => f.name === 'coverage'),
  );
  const n = slides.length * rowsEach;
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  const batch = makeBatch(schema, {
    slide_id: Array.from(idx, (i) => slides[Math.floor(i / rowsEach)]),
    x0: idx,
    y0: idx,
    w0: idx,
    h0: idx,
    col: idx,
    row: idx,
    label: Array.from(idx, () => 0),
    embedding: Array.from(idx, (i) => Float32Array.from({ length: 4 }, (_, j) => (i - j) / 4)),
    coverage: new Float32Array(n),
  });
  return {
    source: 'mixed.arrows',
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

describe('wsi-predict --out-of-fold', () => {
  // Heads listed out of fold order, fold ids not their indices: the head is found by its fold.
  const FOLD_IDS = [5, 2, 7];
  const THRESHOLDS = [0.3, 0.5, 0.7];
  const entry = (set: string, fold: number): SplitEntry => ({ patient_id: 'p', set, fold });
  const oof = {
    path: 'splits.parquet',
    splits: new Map<string, SplitEntry>([
      ['s_a', entry('train', 2)],
      ['s_b', entry('train', 7)],
      ['s_c', entry('train', 5)],
      ['s_test', entry('test', -1)],
      ['s_other', entry('train', 3)],
    ]),
  };
  // slide -> index of its fold's head in FOLD_IDS
  const HEAD = { s_a: 1, s_b: 2, s_c: 0 } as Record<string, number>;
  const open = async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slidepipe-predict-oof-'));
    writeModelFolder(dir, 3, THRESHOLDS, FOLD_IDS);
    return openEnsemble(dir, 1);
  };

  it('maps each training slide to the head of its own fold', async () => {
    const e = await open();
    const head = oofHeadOf(e, oof, 'in.arrows');
    expect(['s_a', 's_b', 's_c'].map(head)).toEqual([1, 2, 0]);
    expect(e.heads.map((h) => h.fold)).toEqual(FOLD_IDS);
    await e.close();
  });

  it("scores each slide's rows with the probability of the head validated on its fold", async () => {
    const e = await open();
    const { sink, out } = memorySink();
    const rows = await predictStreams(
      streams(embeddingStream('s_a', 6), embeddingStream('s_b', 6), embeddingStream('s_c', 6)),
      sink,
      e,
      { aggregate: 'mean-prob', provenance: null, outOfFold: oof },
    );
    expect(rows).toBe(18);
    for (const s of out) {
      const slide = s.meta.slide!.slide_id;
      const k = HEAD[slide];
      expect(s.meta.facts.aggregate).toBe('out-of-fold');
      expect(OUT_OF_FOLD).toBe('out-of-fold');
      expect(s.meta.facts).toMatchObject({ oof_fold: FOLD_IDS[k], threshold: THRESHOLDS[k], fold_ids: FOLD_IDS });
      const b = s.batches[0];
      for (let i = 0; i < b.numRows; i++) {
        const folds = Array.from(b.getChild('fold_scores')!.get(i)!.toArray() as Float32Array);
        expect(b.getChild('score')!.get(i)).toBe(folds[k]);
        // The heads differ, so a wrong head would give another score.
        expect(folds.filter((v) => v === folds[k])).toHaveLength(1);
      }
    }
    await e.close();
  });

  it('picks the head row by row in a stream of several slides, with the mean threshold', async () => {
    const e = await open();
    const { sink, out } = memorySink();
    await predictStreams(streams(mixedStream(['s_a', 's_b', 's_c'], 4)), sink, e, {
      aggregate: 'mean-prob',
      provenance: null,
      outOfFold: oof,
    });
    expect(out).toHaveLength(1);
    expect(out[0].meta.facts.aggregate).toBe('out-of-fold');
    expect(out[0].meta.facts.threshold).toBeCloseTo(0.5, 6);
    expect(out[0].meta.facts).not.toHaveProperty('oof_fold');
    const b = out[0].batches[0];
    const used = new Set<number>();
    for (let i = 0; i < b.numRows; i++) {
      const k = HEAD[b.getChild('slide_id')!.get(i) as string];
      used.add(k);
      expect(b.getChild('score')!.get(i)).toBe((b.getChild('fold_scores')!.get(i)!.toArray() as Float32Array)[k]);
    }
    expect(used.size).toBe(3);
    await e.close();
  });

  it('refuses test-set slides, slides missing from the table and folds without a head', async () => {
    const e = await open();
    const run = (s: RecordStream) =>
      predictStreams(streams(s), memorySink().sink, e, { aggregate: 'mean-prob', provenance: null, outOfFold: oof });
    await expect(run(embeddingStream('s_test', 2))).rejects.toThrow(
      's_test.arrows: slide s_test is in set "test" of splits.parquet: out-of-fold scores are for training slides only (score it without --out-of-fold)',
    );
    await expect(run(embeddingStream('s_new', 2))).rejects.toThrow(
      's_new.arrows: slide s_new is not in the split table splits.parquet: no out-of-fold head for it',
    );
    await expect(run(embeddingStream('s_other', 2))).rejects.toThrow(
      new RegExp(
        '^s_other\\.arrows: slide s_other is in fold 3 of splits\\.parquet but the models in .* have heads for folds 5, 2, 7: trained on another split\\?$',
      ),
    );
    // In a stream of several slides, the first test-set row is refused too.
    await expect(run(mixedStream(['s_a', 's_test'], 3))).rejects.toThrow(
      /^mixed\.arrows: slide s_test is in set "test" of splits\.parquet/,
    );
    await e.close();
  });
});
