// wsi-predict: embedding records in, patch-score records out, batch by batch and one stream per
// input stream (per slide). Every fold head scores every row; the ensemble score is their
// aggregate. Embeddings from another backbone than the heads were trained on are refused.
import { join } from 'node:path';
import { makeData, RecordBatch, Schema, Struct, type Data, type RecordBatch as Batch } from 'apache-arrow';
import type * as Ort from 'onnxruntime-node';
import { inputError } from '@slidepipe/cli';
import { loadOrt } from '@slidepipe/models';
import type { RecordSink, RecordStream, SplitEntry } from '@slidepipe/io';
import {
  extraFields,
  makeBatch,
  recordDef,
  schemaFor,
  withProvenance,
  type ProvenanceEntry,
  type StreamMeta,
  flatFloat32List,
  OUT_OF_FOLD,
} from '@slidepipe/schema';
import { AGGREGATORS, type AggregateName } from './aggregate';
import type { Ensemble } from './models';

export interface PredictOptions {
  aggregate: AggregateName;
  provenance: ProvenanceEntry | null;
  onRows?: (rows: number) => void;
  /** Score each row with the head of its slide's own validation fold instead of the aggregate. */
  outOfFold?: OutOfFold | null;
}

/** The split table the heads were trained on, for out-of-fold scores of training slides. */
export interface OutOfFold {
  splits: Map<string, SplitEntry>;
  /** The table's path, as named in messages. */
  path: string;
}

/**
 * slide id -> index of the head that never saw the slide (the head validated on the slide's fold).
 * Test-set slides, slides missing from the table and folds without a head are errors.
 */
export function oofHeadOf(e: Ensemble, oof: OutOfFold, source: string): (slide: string) => number {
  const cache = new Map<string, number>();
  const folds = e.heads.map((h) => h.fold);
  return (slide) => {
    const hit = cache.get(slide);
    if (hit !== undefined) return hit;
    const r = oof.splits.get(slide);
    if (!r)
      throw inputError(source, `slide ${slide} is not in the split table ${oof.path}: no out-of-fold head for it`);
    if (r.set !== 'train') {
      throw inputError(
        source,
        `slide ${slide} is in set "${r.set}" of ${oof.path}: out-of-fold scores are for training slides only (score it without --out-of-fold)`,
      );
    }
    const k = folds.indexOf(r.fold);
    if (k < 0) {
      throw inputError(
        source,
        `slide ${slide} is in fold ${r.fold} of ${oof.path} but the models in ${e.dir} have heads for folds ${folds.join(', ')}: trained on another split?`,
      );
    }
    cache.set(slide, k);
    return k;
  };
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
  oofHead?: ((slide: string) => number) | null,
): StreamMeta {
  const thresholds = e.heads.map((h) => h.threshold);
  // Out of fold, one slide: its head's threshold; several (known only row by row): the heads' mean.
  const k = oofHead && input.slide ? oofHead(input.slide.slide_id) : -1;
  const scoring = oofHead
    ? {
        aggregate: OUT_OF_FOLD,
        threshold: k >= 0 ? thresholds[k] : AGGREGATORS['mean-prob'].threshold(thresholds),
        ...(k >= 0 ? { oof_fold: e.heads[k].fold } : {}),
      }
    : { aggregate, threshold: AGGREGATORS[aggregate].threshold(thresholds) };
  return withProvenance(
    {
      record: 'patch-score',
      version: recordDef('patch-score').version,
      slide: input.slide,
      facts: {
        ...input.facts,
        folds: e.heads.length,
        fold_ids: e.heads.map((h) => h.fold),
        ...scoring,
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

/** Each row's probability from the head of its slide's fold. */
function outOfFoldScores(b: Batch, probs: Float32Array[], oofHead: (slide: string) => number): Float32Array {
  const ids = b.getChild('slide_id')!;
  return Float32Array.from({ length: b.numRows }, (_, i) => probs[oofHead(ids.get(i) as string)][i]);
}

/** Scores one batch; passed-through columns are reused as they are (no copy). */
export async function scoreBatch(
  b: Batch,
  schema: Schema,
  own: Schema,
  pass: string[],
  e: Ensemble,
  aggregate: AggregateName,
  source: string,
  oofHead?: ((slide: string) => number) | null,
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
  const score = oofHead
    ? outOfFoldScores(b, probs, oofHead)
    : AGGREGATORS[aggregate].score({ probs, logits, thresholds: e.heads.map((h) => h.threshold) }, n);
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
    const oofHead = opts.outOfFold ? oofHeadOf(e, opts.outOfFold, s.source) : null;
    const meta = scoreMeta(s.meta, e, opts.aggregate, opts.provenance, oofHead);
    const passFields = extraFields(s.schema, recordDef('embedding'));
    const schema = schemaFor(meta, passFields);
    const own = schemaFor(meta);
    const pass = passFields.map((f) => f.name);
    await sink.begin(schema, meta);
    for await (const b of s.batches) {
      await sink.write(await scoreBatch(b, schema, own, pass, e, opts.aggregate, s.source, oofHead));
      rows += b.numRows;
      opts.onRows?.(b.numRows);
    }
    await sink.end();
  }
  return rows;
}
