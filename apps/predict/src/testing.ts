// A model folder as wsi-train writes it (heads with seeded random weights), and embedding streams,
// for the predictor's unit tests.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Field, Float32 } from 'apache-arrow';
import { join } from 'node:path';
import type { RecordStream } from '@slidepipe/io';
import { buildMlpInferenceModel, initMlpParams } from '@slidepipe/models';
import { makeBatch, schemaFor, type StreamMeta } from '@slidepipe/schema';

export const BACKBONE = { kind: 'builtin', name: 'test-backbone', sha256: 'c'.repeat(64), dim: 4, preprocessing: {} };

export function writeModelFolder(dir: string, folds = 3, thresholds = [0.3, 0.5, 0.7]): void {
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

export function embeddingStream(
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
