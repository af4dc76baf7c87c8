// wsi-predict: embedding records in, patch-score records out, batch by batch and one stream per
// input stream (per slide). Every fold head scores every row; the ensemble score is their
// aggregate. Embeddings from another backbone than the heads were trained on are refused.
import { join } from 'node:path';
import { makeData, RecordBatch, Schema, Struct, type Data, type RecordBatch as Batch } from 'apache-arrow';
import type * as Ort from 'onnxruntime-node';
import { inputError } from '@slidepipe/cli';
import { loadOrt } from '@slidepipe/models';
import type { RecordSink, RecordStream } from '@slidepipe/io';
import {
  extraFields,
  makeBatch,
  recordDef,
  schemaFor,
  withProvenance,
  type ProvenanceEntry,
  type StreamMeta,
  flatFloat32List,
} from '@slidepipe/schema';
import { AGGREGATORS, type AggregateName } from './aggregate';
import type { Ensemble } from './models';

export interface PredictOptions {
  aggregate: AggregateName;
  provenance: ProvenanceEntry | null;
  onRows?: (rows: number) => void;
}

interface BackboneFacts {
  name?: string;
  sha256?: string;
  preprocessing?: unknown;
}

/** Refuses a stream whose backbone (name, sha256, dim) is not the one the heads were trained on. */
export function checkBackbone(s: RecordStream, e: Ensemble): void {
  if (typeof s.meta.facts.backbone === 'string') {
    throw inputError(
      s.source,
      "holds embeddings of several backbones (facts.backbone differs between its streams): score each backbone's embeddings with its own models",
    );
  }
  const got = (s.meta.facts.backbone ?? {}) as BackboneFacts;
  const want = e.manifest.backbone;
  const dim = Number(s.meta.facts.dim);
  if (got.sha256 !== want.sha256 || got.name !== want.name) {
    throw inputError(
      s.source,
      `embeddings from backbone ${got.name ?? '(none recorded)'} (sha256 ${got.sha256?.slice(0, 12) ?? '-'}...) but the models in ${e.dir} were trained on ${want.name} (sha256 ${want.sha256.slice(0, 12)}...): embed with the same backbone`,
    );
  }
  if (dim !== e.manifest.dim) throw inputError(s.source, `embeddings of dim ${dim}, the models take ${e.manifest.dim}`);
}

/** JSON with keys sorted, so equal settings compare equal whatever order they were written in. */
const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1)))
      : x,
  ) ?? 'null';

/**
 * Refuses augmented embeddings, and embeddings whose stain normalisation (method and target) is
 * not the one the heads were trained on (facts.stain against ensemble.json's stain).
 */
export function checkStain(s: RecordStream, e: Ensemble): void {
  const aug = s.meta.facts.stain_augment as { method?: unknown } | undefined | null;
  if (aug !== undefined && aug !== null) {
    throw inputError(
      s.source,
      `embeddings made with stain augmentation (wsi-embed --stain-augment ${String(aug.method ?? '')}): augmentation is for training; embed the patches to score without it`,
    );
  }
  const got = (s.meta.facts.stain ?? undefined) as { method?: unknown } | undefined;
  const want = e.manifest.stain;
  if (typeof got === 'string') {
    throw inputError(
      s.source,
      'holds embeddings of several stain normalisations (facts.stain differs between its streams)',
    );
  }
  if (canonical(got ?? null) === canonical(want ?? null)) return;
  const fix = want ? `--stain ${want.method}:target=${join(e.dir, 'ensemble.json')}` : 'no --stain';
  const what = !got
    ? 'without stain normalisation'
    : !want || got.method !== want.method
      ? `normalised with ${String(got.method)}`
      : `normalised with ${String(got.method)} to another target`;
  throw inputError(
    s.source,
    `embeddings ${what} but the models in ${e.dir} were trained on embeddings ${want ? `normalised with ${want.method}` : 'without stain normalisation'}: embed with ${fix}`,
  );
}

export function scoreMeta(
  input: StreamMeta,
  e: Ensemble,
  aggregate: AggregateName,
  provenance: ProvenanceEntry | null,
): StreamMeta {
  const thresholds = e.heads.map((h) => h.threshold);
  return withProvenance(
    {
      record: 'patch-score',
      version: recordDef('patch-score').version,
      slide: input.slide,
      facts: {
        ...input.facts,
        folds: e.heads.length,
        fold_ids: e.heads.map((h) => h.fold),
        aggregate,
        threshold: AGGREGATORS[aggregate].threshold(thresholds),
        fold_thresholds: thresholds,
        models: { ensemble_sha256: e.sha256, folder: e.dir },
      },
      provenance: input.provenance,
    },
    provenance,
  );
}

const flatEmbeddings = (b: Batch, dim: number): Float32Array => flatFloat32List(b, 'embedding', dim);

async function runHeads(e: Ensemble, x: Float32Array, n: number) {
  const Tensor = loadOrt().Tensor;
  const probs: Float32Array[] = [];
  const logits: Float32Array[] = [];
  const feed = { x: new Tensor('float32', x, [n, e.manifest.dim]) };
  for (const h of e.heads) {
    const out = await h.session.run(feed);
    probs.push((out.prob as Ort.Tensor).data as Float32Array);
    logits.push((out.logit as Ort.Tensor).data as Float32Array);
  }
  return { probs, logits };
}

const KEPT = new Set(['slide_id', 'x0', 'y0', 'w0', 'h0', 'col', 'row', 'label']);

/** Scores one batch; passed-through columns are reused as they are (no copy). */
export async function scoreBatch(
  b: Batch,
  schema: Schema,
  own: Schema,
  pass: string[],
  e: Ensemble,
  aggregate: AggregateName,
  source: string,
): Promise<RecordBatch> {
  const n = b.numRows;
  const dim = e.manifest.dim;
  const x = flatEmbeddings(b, dim);
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) {
      const r = Math.floor(i / dim);
      throw inputError(
        source,
        `slide ${b.getChild('slide_id')!.get(r)} patch x0=${b.getChild('x0')!.get(r)} y0=${b.getChild('y0')!.get(r)}: embedding component ${i % dim} is ${x[i]}`,
      );
    }
  }
  const { probs, logits } = n
    ? await runHeads(e, x, n)
    : { probs: e.heads.map(() => new Float32Array(0)), logits: e.heads.map(() => new Float32Array(0)) };
  const score = AGGREGATORS[aggregate].score({ probs, logits, thresholds: e.heads.map((h) => h.threshold) }, n);
  const K = e.heads.length;
  const foldScores = Array.from({ length: n }, (_, i) => Float32Array.from({ length: K }, (_, k) => probs[k][i]));
  const col = (name: string) => b.getChild(name)!.data[0];
  const scored = makeBatch(new Schema(own.fields.filter((f) => f.name === 'score' || f.name === 'fold_scores')), {
    score,
    fold_scores: foldScores,
  });
  const children: Data[] = schema.fields.map((f) => {
    if (f.name === 'score' || f.name === 'fold_scores') return scored.getChild(f.name)!.data[0];
    // Keys, label and passed-through columns are the input's own data.
    if (KEPT.has(f.name) || pass.includes(f.name)) return col(f.name);
    throw new Error(`no data for column ${f.name}`);
  });
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: n, children }));
}

export async function predictStreams(
  streams: AsyncIterable<RecordStream>,
  sink: RecordSink,
  e: Ensemble,
  opts: PredictOptions,
): Promise<number> {
  let rows = 0;
  for await (const s of streams) {
    checkBackbone(s, e);
    checkStain(s, e);
    const meta = scoreMeta(s.meta, e, opts.aggregate, opts.provenance);
    const passFields = extraFields(s.schema, recordDef('embedding'));
    const schema = schemaFor(meta, passFields);
    const own = schemaFor(meta);
    const pass = passFields.map((f) => f.name);
    await sink.begin(schema, meta);
    for await (const b of s.batches) {
      await sink.write(await scoreBatch(b, schema, own, pass, e, opts.aggregate, s.source));
      rows += b.numRows;
      opts.onRows?.(b.numRows);
    }
    await sink.end();
  }
  return rows;
}
