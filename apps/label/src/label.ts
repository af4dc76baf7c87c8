// wsi-label: adds to each patch its overlap measures against the slide's annotations (coverage,
// best IoU, best GIoU, the id of that annotation) and a 0/1 label from a named rule. Streams batch
// by batch; the only state is the annotations of the slides seen so far.
import { type Data, Float32, Int8, makeData, RecordBatch, type Schema, Struct, Utf8, type Vector } from 'apache-arrow';
import {
  extraFields,
  recordDef,
  RECORDS,
  schemaFor,
  withProvenance,
  type ProvenanceEntry,
  type SlideFacts,
  type StreamMeta,
} from '@slidepipe/schema';
import { inputError, SlidepipeError, usageError } from '@slidepipe/cli';
import {
  AnnotationSet,
  patchLabelMeasures,
  slideAnnotations,
  type BadBoxPolicy,
  type BoxFile,
  type LabelRule,
  type PatchLabelMeasures,
  type SlideAnnotations,
  type SlideSize,
} from '@slidepipe/geometry';
import type { RecordSink, RecordStream } from '@slidepipe/io';

/** Rules that read only the stored measures, so labelled patches can be re-labelled without boxes. */
export const MEASURE_ONLY_RULES = ['coverage', 'iou'];

export interface LabelOptions {
  rule: LabelRule;
  /** The annotations; null re-labels labelled-patch input from its stored measures. */
  boxes: BoxFile | null;
  badBoxes: BadBoxPolicy;
  exclude: ReadonlySet<string>;
  /** The provenance entry of a stream, given what is known when it starts (box counts per slide). */
  provenance: (params: Record<string, unknown>) => ProvenanceEntry | null;
  log: { info(msg: string): void; warn(msg: string): void };
}

export interface SlideCounts {
  patches: number;
  positives: number;
  boxes: number;
  dropped: number;
  excluded: number;
}

/** The columns wsi-label writes, as Arrow data of one batch. */
interface LabelColumns {
  coverage: Data;
  iou: Data;
  giou: Data;
  box_id: Data;
  label: Data;
}
const LABEL_NAMES = new Set(['coverage', 'iou', 'giou', 'box_id', 'label']);
const NO_ANNOTATIONS = new AnnotationSet([]);
const utf8 = new TextEncoder();

const float32Data = (values: Float32Array): Data =>
  makeData({ type: new Float32(), length: values.length, data: values });

/** A nullable utf8 column; box ids repeat along a slide, so each distinct id is encoded once. */
function utf8Data(values: (string | null)[]): Data {
  const n = values.length;
  const offsets = new Int32Array(n + 1);
  const nullBitmap = new Uint8Array(((n + 63) >> 6) << 3);
  const bytes = new Map<string, Uint8Array>();
  let total = 0;
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null) nulls++;
    else {
      let b = bytes.get(v);
      if (!b) bytes.set(v, (b = utf8.encode(v)));
      total += b.byteLength;
      nullBitmap[i >> 3] |= 1 << (i & 7);
    }
    offsets[i + 1] = total;
  }
  const data = new Uint8Array(total);
  for (let i = 0; i < n; i++) if (values[i] !== null) data.set(bytes.get(values[i]!)!, offsets[i]);
  return makeData({
    type: new Utf8(),
    length: n,
    nullCount: nulls,
    nullBitmap: nulls ? nullBitmap : undefined,
    valueOffsets: offsets,
    data,
  });
}

/**
 * Runs of equal slide ids in a utf8 column, decoding one string per run instead of one per row
 * (a stream usually holds one slide). Compares the raw bytes; offsets are relative to the vector.
 */
export function slideRuns(vec: Vector): { start: number; end: number; id: string }[] {
  const runs: { start: number; end: number; id: string }[] = [];
  const data = vec.data[0];
  const offsets = data.valueOffsets as Int32Array;
  const bytes = data.values as Uint8Array;
  const same = (i: number, j: number) => {
    const a = offsets[i];
    const len = offsets[i + 1] - a;
    const b = offsets[j];
    if (offsets[j + 1] - b !== len) return false;
    for (let k = 0; k < len; k++) if (bytes[a + k] !== bytes[b + k]) return false;
    return true;
  };
  if (vec.data.length !== 1 || data.nullCount > 0) {
    // Not the layout the reader gives; fall back to a string per row.
    for (let i = 0; i < vec.length; i++) runs.push({ start: i, end: i + 1, id: String(vec.get(i)) });
    return runs;
  }
  for (let i = 0; i < vec.length;) {
    let j = i + 1;
    while (j < vec.length && same(i, j)) j++;
    runs.push({ start: i, end: j, id: vec.get(i) as string });
    i = j;
  }
  return runs;
}

/** The slides a stream's metadata describes: its slide, or the slides merged into a table. */
export function slidesOfMeta(meta: StreamMeta): SlideFacts[] {
  if (meta.slide) return [meta.slide];
  const list = meta.facts.slides;
  return Array.isArray(list) ? (list as SlideFacts[]) : [];
}

function sizeOf(f: SlideFacts | undefined): SlideSize | null {
  return f && f.width0 > 0 && f.height0 > 0 ? { width0: f.width0, height0: f.height0 } : null;
}

/**
 * Labels every stream into the sink, one output stream per input stream. Returns counts per slide.
 * Bad annotations are reported through opts.log.warn with their line; under --bad-boxes fail the
 * first slide that has any throws after all of that slide's problems are listed.
 */
export async function labelStreams(
  streams: AsyncIterable<RecordStream>,
  sink: RecordSink,
  opts: LabelOptions,
): Promise<Map<string, SlideCounts>> {
  const counts = new Map<string, SlideCounts>();
  const resolved = new Map<string, SlideAnnotations | null>();
  let warnedNoSize = false;

  // Annotations of a slide, checked once; reports go out when the slide is first met.
  const annotationsOf = (slideId: string, facts: SlideFacts | undefined, source: string): SlideAnnotations | null => {
    if (resolved.has(slideId)) return resolved.get(slideId)!;
    if (!opts.boxes) {
      resolved.set(slideId, null);
      return null;
    }
    const size = sizeOf(facts);
    if (!size && !warnedNoSize) {
      warnedNoSize = true;
      opts.log.warn(
        `${source}: slide ${slideId}: the stream carries no slide size; annotations are checked against the box file's own max_x/max_y only`,
      );
    }
    const a = slideAnnotations(opts.boxes, slideId, size, opts.exclude);
    for (const x of a.excluded) opts.log.info(`${x.where}: slide ${slideId}: box ${x.id} excluded (--exclude)`);
    for (const r of a.rejected) {
      opts.log.warn(
        `${r.where}: slide ${slideId}: ${r.problems.join('; ')}${opts.badBoxes === 'drop' ? ': dropped (--bad-boxes drop)' : ''}`,
      );
    }
    if (a.rejected.length && opts.badBoxes === 'fail') {
      throw inputError(
        opts.boxes.path,
        `${a.rejected.length} bad annotation${a.rejected.length > 1 ? 's' : ''} for slide ${slideId} (listed above); fix the file or pass --bad-boxes drop to leave them out`,
      );
    }
    if (a.used.length === 0)
      opts.log.info(`slide ${slideId}: no annotations in ${opts.boxes.path}: every patch is negative`);
    resolved.set(slideId, a);
    return a;
  };

  for await (const s of streams) {
    const inputDef = recordDef(s.meta.record);
    if (!opts.boxes) {
      if (s.meta.record !== 'labelled-patch') {
        throw usageError(
          '--boxes',
          `${s.source} holds ${s.meta.record} records: give --boxes to label them (without it only labelled-patch records can be re-labelled)`,
        );
      }
    }
    const facts = new Map(slidesOfMeta(s.meta).map((f) => [f.slide_id, f]));
    // Slides named in the metadata are checked before the first batch, so their box counts go into provenance.
    const slides: Record<string, { boxes: number; dropped: number; excluded: number }> = {};
    for (const [id, f] of facts) {
      const a = annotationsOf(id, f, s.source);
      if (a) slides[id] = { boxes: a.used.length, dropped: a.rejected.length, excluded: a.excluded.length };
    }
    const entry = opts.provenance({ slides });
    const meta: StreamMeta = withProvenance(
      {
        ...s.meta,
        record: 'labelled-patch',
        version: RECORDS['labelled-patch'].version,
        facts: { ...s.meta.facts, label_rule: opts.rule.spec },
      },
      entry,
    );
    const extras = extraFields(s.schema, inputDef).filter((f) => !LABEL_NAMES.has(f.name));
    const schema = schemaFor(meta, extras);
    await sink.begin(schema, meta);
    for await (const batch of s.batches) {
      const labels = opts.boxes
        ? measureBatch(batch, (id) => annotationsOf(id, facts.get(id), s.source)!, opts.rule, s.source, counts)
        : relabelBatch(batch, opts.rule, counts);
      await sink.write(withLabels(schema, batch, labels));
    }
    await sink.end();
  }
  for (const [id, c] of counts) {
    const a = resolved.get(id);
    if (a) Object.assign(c, { boxes: a.used.length, dropped: a.rejected.length, excluded: a.excluded.length });
  }
  return counts;
}

function countsOf(counts: Map<string, SlideCounts>, slideId: string): SlideCounts {
  let c = counts.get(slideId);
  if (!c) counts.set(slideId, (c = { patches: 0, positives: 0, boxes: 0, dropped: 0, excluded: 0 }));
  return c;
}

/** Computes the label columns of one batch from the patch footprints. */
function measureBatch(
  batch: RecordBatch,
  annotationsOf: (slideId: string) => SlideAnnotations,
  rule: LabelRule,
  source: string,
  counts: Map<string, SlideCounts>,
): LabelColumns {
  const n = batch.numRows;
  const x0 = batch.getChild('x0')!.toArray() as Int32Array;
  const y0 = batch.getChild('y0')!.toArray() as Int32Array;
  const w0 = batch.getChild('w0')!.toArray() as Int32Array;
  const h0 = batch.getChild('h0')!.toArray() as Int32Array;
  const coverage = new Float32Array(n);
  const iou = new Float32Array(n);
  const giou = new Float32Array(n);
  const boxId: (string | null)[] = new Array(n).fill(null);
  const label = new Int8Array(n);
  for (const run of slideRuns(batch.getChild('slide_id')!)) {
    const set = annotationsOf(run.id).set;
    const c = countsOf(counts, run.id);
    for (let i = run.start; i < run.end; i++) {
      if (!(w0[i] > 0 && h0[i] > 0)) {
        throw inputError(
          source,
          `patch at x0=${x0[i]}, y0=${y0[i]} has an empty footprint (w0=${w0[i]}, h0=${h0[i]}) (slide ${run.id})`,
        );
      }
      if (set.size === 0) {
        giou[i] = -1;
        continue;
      }
      const patch = { x1: x0[i], y1: y0[i], x2: x0[i] + w0[i], y2: y0[i] + h0[i] };
      const m = patchLabelMeasures(patch, set);
      coverage[i] = m.coverage;
      iou[i] = m.bestIou;
      giou[i] = m.bestGiou;
      // The record's box_id names an overlapping annotation only (null when none overlaps).
      if (m.bestIou > 0) boxId[i] = m.bestBoxId;
      label[i] = rule.label({ patch, measures: m, annotations: set });
      c.positives += label[i];
    }
    c.patches += run.end - run.start;
  }
  return {
    coverage: float32Data(coverage),
    iou: float32Data(iou),
    giou: float32Data(giou),
    box_id: utf8Data(boxId),
    label: makeData({ type: new Int8(), length: n, data: label }),
  };
}

/** Re-labels labelled patches from their stored measures (rules in MEASURE_ONLY_RULES). */
function relabelBatch(batch: RecordBatch, rule: LabelRule, counts: Map<string, SlideCounts>): LabelColumns {
  const n = batch.numRows;
  const coverage = batch.getChild('coverage')!;
  const iou = batch.getChild('iou')!;
  const giou = batch.getChild('giou')!;
  const boxIds = batch.getChild('box_id')!;
  const [cov, io, gi] = [coverage, iou, giou].map((v) => v.toArray() as Float32Array);
  const label = new Int8Array(n);
  const patch = { x1: 0, y1: 0, x2: 1, y2: 1 };
  for (const run of slideRuns(batch.getChild('slide_id')!)) {
    const c = countsOf(counts, run.id);
    for (let i = run.start; i < run.end; i++) {
      const measures: PatchLabelMeasures = { coverage: cov[i], bestIou: io[i], bestGiou: gi[i], bestBoxId: null };
      label[i] = rule.label({ patch, measures, annotations: NO_ANNOTATIONS });
      c.positives += label[i];
    }
    c.patches += run.end - run.start;
  }
  // The measures are kept as they are; only the label changes.
  return {
    coverage: coverage.data[0],
    iou: iou.data[0],
    giou: giou.data[0],
    box_id: boxIds.data[0],
    label: makeData({ type: new Int8(), length: n, data: label }),
  };
}

/** The output batch: input columns (no copy) with the label columns set or replaced. */
function withLabels(schema: Schema, batch: RecordBatch, labels: LabelColumns): RecordBatch {
  const children: Data[] = schema.fields.map((f) => {
    if (LABEL_NAMES.has(f.name)) return labels[f.name as keyof LabelColumns];
    const v = batch.getChild(f.name);
    if (!v) throw new SlidepipeError('runtime', 'label', `batch lacks column ${f.name}`);
    return v.data[0];
  });
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: batch.numRows, children }));
}
