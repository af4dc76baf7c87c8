// In-memory embedding and split streams, for the trainer's unit tests.
import type { RecordStream } from '@slidepipe/io';
import { mulberry32 } from './random';
import { makeBatch, schemaFor, type StreamMeta } from '@slidepipe/schema';

export const EMBEDDING_BACKBONE = {
  kind: 'builtin',
  name: 'test-backbone',
  sha256: 'a'.repeat(64),
  dim: 6,
  preprocessing: {},
};

/**
 * One stream per slide: `rows` embeddings of `dim` values, label 1 for about `share` of them,
 * positives shifted by `signal` on the first two components (learnable, not trivially).
 */
export function embeddingStream(
  slide: string,
  rows: number,
  opts: {
    dim?: number;
    share?: number;
    signal?: number;
    seed?: number;
    label?: (i: number) => number | null;
    value?: (i: number, j: number) => number;
    backbone?: object;
  } = {},
): RecordStream {
  const dim = opts.dim ?? 6;
  const rand = mulberry32(opts.seed ?? slide.length * 7919 + slide.charCodeAt(slide.length - 1));
  const meta: StreamMeta = {
    record: 'embedding',
    version: 1,
    slide: { slide_id: slide, patient_id: slide.split('_')[0], width0: 1, height0: 1, mpp0: 0.25 },
    facts: { dim, backbone: opts.backbone ?? { ...EMBEDDING_BACKBONE, dim } },
    provenance: [{ tool: 'wsi-embed', version: '0', argv: [slide], params: {}, time: 't' }],
  };
  const schema = schemaFor(meta);
  const label = Array.from({ length: rows }, (_, i) =>
    opts.label ? opts.label(i) : i === 0 || rand() < (opts.share ?? 0.3) ? 1 : 0,
  );
  const emb = label.map((l, i) =>
    Float32Array.from({ length: dim }, (_, j) =>
      opts.value ? opts.value(i, j) : rand() * 2 - 1 + (l && j < 2 ? (opts.signal ?? 1.5) : 0),
    ),
  );
  const idx = Int32Array.from({ length: rows }, (_, i) => i);
  const batch = makeBatch(schema, {
    slide_id: label.map(() => slide),
    x0: idx,
    y0: idx,
    w0: idx,
    h0: idx,
    col: idx,
    row: idx,
    label,
    embedding: emb,
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

export async function* streams(...s: RecordStream[]) {
  yield* s;
}

export function splitStream(rows: { slide: string; set?: string; fold: number }[]): RecordStream {
  const meta: StreamMeta = { record: 'split', version: 1, slide: null, facts: {}, provenance: [] };
  const schema = schemaFor(meta);
  const batch = makeBatch(schema, {
    slide_id: rows.map((r) => r.slide),
    patient_id: rows.map((r) => r.slide.split('_')[0]),
    set: rows.map((r) => r.set ?? 'train'),
    fold: Int32Array.from(rows, (r) => r.fold),
    has_lesion: rows.map(() => true),
    n_boxes: Int32Array.from(rows, () => 1),
  });
  return {
    source: 'splits.arrows',
    schema,
    meta,
    batches: (async function* () {
      yield batch;
    })(),
  };
}
