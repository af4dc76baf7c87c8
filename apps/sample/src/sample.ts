// wsi-sample: keeps every positive and a seeded sample of negatives, in two passes over the input.
// Pass 1 counts positives and negatives per slide (memory: two counters per slide); the plan then
// fixes exactly how many rows of each label every slide gives; pass 2 re-reads the input and keeps
// that many by selection sampling (Knuth's Algorithm S: each subset of the requested size is
// equally likely). The counts are exact, not approximate, and the output stays in input order.
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';
import { Type, type DataType, type RecordBatch } from 'apache-arrow';
import {
  extraFields,
  recordDef,
  schemaFor,
  withProvenance,
  type ProvenanceEntry,
  type RecordName,
} from '@slidepipe/schema';
import { inputError } from '@slidepipe/cli';
import { fmix32 } from '@slidepipe/core';
import type { RecordSink, RecordStream } from '@slidepipe/io';
import type { HardChoice, HardNegatives } from './hard';
import { takeRows } from './take';

/** Record types with a 0/1 label column that wsi-sample can balance. */
export const LABELLED_RECORDS: RecordName[] = ['labelled-patch', 'embedding', 'patch-score'];

export interface SampleOptions {
  /** Negatives kept per positive. */
  negPerPos: number;
  /** Apply the ratio within each slide instead of over the whole input. */
  perSlide: boolean;
  /** Negatives kept from every lesion-free slide (fewer only when the slide has fewer). */
  minNegPerSlide: number;
  /** Most rows kept from one slide (positives first); null: no cap. */
  maxPerSlide: number | null;
  seed: number;
  /** Slides to consider; rows of other slides are left out (e.g. not in the train set). */
  keepSlide: (slideId: string) => boolean;
}

export interface SlideCount {
  pos: number;
  neg: number;
}

export interface InputCounts {
  slides: Map<string, SlideCount>;
  /** Per input stream: its slides (in first-seen order) and whether it has rows of kept slides. */
  streams: { slides: string[]; rows: number; keptRows: number }[];
  /** Rows left out by keepSlide. */
  skippedRows: number;
}

export interface SlidePlan extends SlideCount {
  keepPos: number;
  keepNeg: number;
}

export interface SamplePlan {
  slides: Map<string, SlidePlan>;
  totals: {
    pos: number;
    neg: number;
    keepPos: number;
    keepNeg: number;
    lesionFreeSlides: number;
    lesionFreeNeg: number;
  };
  /** Why the requested ratio could not be met, when it could not. */
  notes: string[];
}

function checkLabelColumn(s: RecordStream): void {
  const f = s.schema.fields.find((x) => x.name === 'label');
  if (!f || (f.type as DataType).typeId !== Type.Int) {
    throw inputError(
      s.source,
      `${s.meta.record} records have no integer "label" column; wsi-sample needs labelled records (${LABELLED_RECORDS.join(', ')})`,
    );
  }
}

/** 0/1 labels of a batch; a missing or other label is an error naming the row's slide. */
function labelsOf(batch: RecordBatch, source: string, ids: (i: number) => string): Int8Array {
  const col = batch.getChild('label')!;
  const out = new Int8Array(batch.numRows);
  for (let i = 0; i < batch.numRows; i++) {
    const v = col.get(i);
    if (v !== 0 && v !== 1) {
      throw inputError(
        source,
        `row ${i} of a batch has label ${v === null ? 'null' : v}, expected 0 or 1: label the records first (slide ${ids(i)})`,
      );
    }
    out[i] = v;
  }
  return out;
}

/** Pass 1: positives and negatives per slide, in one read of the input. */
export async function countInput(
  streams: AsyncIterable<RecordStream>,
  keepSlide: (id: string) => boolean,
  visit?: (b: RecordBatch, i: number, label: number) => void,
): Promise<InputCounts> {
  const slides = new Map<string, SlideCount>();
  const perStream: InputCounts['streams'] = [];
  let skippedRows = 0;
  for await (const s of streams) {
    checkLabelColumn(s);
    const info = { slides: [] as string[], rows: 0, keptRows: 0 };
    const seen = new Set<string>();
    for await (const b of s.batches) {
      const ids = b.getChild('slide_id')!;
      const id = (i: number) => ids.get(i) as string;
      const labels = labelsOf(b, s.source, id);
      for (let i = 0; i < b.numRows; i++) {
        const slide = id(i);
        if (!seen.has(slide)) {
          seen.add(slide);
          info.slides.push(slide);
        }
        info.rows++;
        if (!keepSlide(slide)) {
          skippedRows++;
          continue;
        }
        info.keptRows++;
        visit?.(b, i, labels[i]);
        let c = slides.get(slide);
        if (!c) slides.set(slide, (c = { pos: 0, neg: 0 }));
        if (labels[i]) c.pos++;
        else c.neg++;
      }
    }
    perStream.push(info);
  }
  return { slides, streams: perStream, skippedRows };
}

/**
 * Splits `total` units among items in proportion to their weights without exceeding their caps
 * (water-filling), rounding by largest remainder; ties go to the earlier item. Returns the shares.
 */
export function allocate(total: number, weights: number[], caps: number[]): number[] {
  const share = weights.map(() => 0);
  let left = Math.min(
    total,
    caps.reduce((a, b) => a + b, 0),
  );
  let open = weights.map((w, i) => i).filter((i) => caps[i] > 0 && weights[i] > 0);
  while (left > 0 && open.length) {
    const w = open.reduce((a, i) => a + weights[i], 0);
    const exact = open.map((i) => (left * weights[i]) / w);
    // Items whose proportional share reaches their cap take the cap, and the rest is shared again.
    const capped = open.filter((i, k) => exact[k] >= caps[i] - share[i]);
    if (capped.length) {
      for (const i of capped) {
        left -= caps[i] - share[i];
        share[i] = caps[i];
      }
      open = open.filter((i) => !capped.includes(i));
      continue;
    }
    const floors = exact.map(Math.floor);
    open.forEach((i, k) => (share[i] += floors[k]));
    let rest = left - floors.reduce((a, b) => a + b, 0);
    const order = open.map((i, k) => ({ i, frac: exact[k] - floors[k] })).sort((a, b) => b.frac - a.frac || a.i - b.i);
    for (const { i } of order) {
      if (rest <= 0) break;
      share[i]++;
      rest--;
    }
    left = 0;
  }
  return share;
}

/** Decides how many positives and negatives every slide gives. */
export function planSample(counts: Map<string, SlideCount>, opts: SampleOptions): SamplePlan {
  const ids = [...counts.keys()].sort();
  const cap = opts.maxPerSlide ?? Infinity;
  const notes: string[] = [];
  const slides = new Map<string, SlidePlan>();
  for (const id of ids) {
    const c = counts.get(id)!;
    const keepPos = Math.min(c.pos, cap);
    if (keepPos < c.pos)
      notes.push(`slide ${id}: ${c.pos - keepPos} of ${c.pos} positives left out by --max-per-slide ${cap}`);
    slides.set(id, { ...c, keepPos, keepNeg: 0 });
  }
  const room = (p: SlidePlan) => Math.max(0, Math.min(p.neg, cap - p.keepPos));
  const floorOf = (p: SlidePlan) => (p.pos === 0 ? Math.min(opts.minNegPerSlide, room(p)) : 0);
  if (opts.perSlide) {
    for (const p of slides.values()) {
      p.keepNeg = p.pos > 0 ? Math.min(Math.round(opts.negPerPos * p.keepPos), room(p)) : floorOf(p);
    }
  } else {
    const plans = ids.map((id) => slides.get(id)!);
    const target = Math.round(opts.negPerPos * plans.reduce((n, p) => n + p.keepPos, 0));
    const floors = plans.map(floorOf);
    const floorSum = floors.reduce((a, b) => a + b, 0);
    if (floorSum > target) {
      notes.push(
        `the lesion-free slide floor (--min-neg-per-slide ${opts.minNegPerSlide}) alone keeps ${floorSum} negatives, more than the ${target} the ratio asks for`,
      );
    }
    const extra = allocate(
      Math.max(0, target - floorSum),
      plans.map((p, k) => p.neg - floors[k]),
      plans.map((p, k) => room(p) - floors[k]),
    );
    plans.forEach((p, k) => (p.keepNeg = floors[k] + extra[k]));
  }
  const all = [...slides.values()];
  const sum = (f: (p: SlidePlan) => number) => all.reduce((n, p) => n + f(p), 0);
  const totals = {
    pos: sum((p) => p.pos),
    neg: sum((p) => p.neg),
    keepPos: sum((p) => p.keepPos),
    keepNeg: sum((p) => p.keepNeg),
    lesionFreeSlides: all.filter((p) => p.pos === 0).length,
    lesionFreeNeg: sum((p) => (p.pos === 0 ? p.keepNeg : 0)),
  };
  const wanted = Math.round(opts.negPerPos * totals.keepPos);
  if (!opts.perSlide && totals.keepNeg < wanted) {
    notes.push(
      `only ${totals.keepNeg} negatives can be kept (${totals.neg} in the input${opts.maxPerSlide !== null ? `, --max-per-slide ${opts.maxPerSlide}` : ''}), fewer than the ${wanted} requested`,
    );
  }
  if (opts.perSlide) {
    for (const [id, p] of slides) {
      const want = Math.round(opts.negPerPos * p.keepPos);
      if (p.pos > 0 && p.keepNeg < want)
        notes.push(
          `slide ${id}: ${p.keepNeg} negatives kept, fewer than the ${want} requested (${p.neg} in the slide)`,
        );
    }
  }
  return { slides, totals, notes };
}

/**
 * A seed per slide, so a slide's sample does not depend on which other slides are in the input:
 * FNV-1a over "<seed>:<slide_id>", then murmur3's finalizer so that nearby seeds give unrelated
 * generator states (xoroshiro128plus's first outputs follow its seed closely).
 */
export function slideSeed(seed: number, slideId: string): number {
  let h = 0x811c9dc5;
  for (const ch of `${seed}:${slideId}`) {
    h ^= ch.codePointAt(0)!;
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

/** Selection sampling state of one label of one slide: keeps exactly `want` of `total` rows. */
class Selector {
  private seen = 0;
  private chosen = 0;
  constructor(
    private readonly total: number,
    private readonly want: number,
    private readonly rng: RandomGenerator,
  ) {}
  next(): boolean {
    const left = this.total - this.seen++;
    if (left <= 0) throw new Error('more rows than counted in the first pass: did the input change between passes?');
    if (this.chosen >= this.want) return false;
    if (this.want - this.chosen >= left || uniformInt(this.rng, 0, left - 1) < this.want - this.chosen) {
      this.chosen++;
      return true;
    }
    return false;
  }
}

/** Per slide, what a stream's provenance records: [kept, in the input]; hard negatives [added, candidates]. */
export type SlideRecord = Record<
  string,
  { positives: [number, number]; negatives: [number, number]; hard_negatives?: [number, number] }
>;

export interface WriteOptions {
  /** The provenance entry of an output stream, given its slides' plans. */
  provenance: (slides: SlideRecord) => ProvenanceEntry | null;
  /** Hard negatives to add (chosen after a dry pass), or none. */
  hard?: { negatives: HardNegatives; choice: HardChoice } | null;
}

/**
 * Runs every kept slide's selectors over the input in order; `row` sees each row of a kept slide
 * with the seeded decision and says whether to write it. With no sink nothing is written (a dry pass).
 */
async function walkSample(
  streams: AsyncIterable<RecordStream>,
  sink: RecordSink | null,
  counts: InputCounts,
  plan: SamplePlan,
  opts: SampleOptions & { provenanceOf?: (slides: string[]) => ProvenanceEntry | null },
  row: (b: RecordBatch, i: number, label: number, kept: boolean) => boolean,
): Promise<number> {
  const selectors = new Map<string, { pos: Selector; neg: Selector }>();
  for (const [id, p] of plan.slides) {
    const rng = xoroshiro128plus(slideSeed(opts.seed, id) | 0);
    selectors.set(id, { pos: new Selector(p.pos, p.keepPos, rng), neg: new Selector(p.neg, p.keepNeg, rng) });
  }
  let index = 0;
  let written = 0;
  for await (const s of streams) {
    const info = counts.streams[index++];
    if (!info) throw inputError(s.source, 'more streams than in the first pass: did the input change between passes?');
    // A stream whose rows all belong to left-out slides (e.g. test slides) is left out whole.
    const emit =
      sink !== null &&
      (info.keptRows > 0 || (info.rows === 0 && (!s.meta.slide || opts.keepSlide(s.meta.slide.slide_id))));
    if (emit) {
      const meta = withProvenance(s.meta, opts.provenanceOf!(info.slides));
      await sink.begin(schemaFor(meta, extraFields(s.schema, recordDef(s.meta.record))), meta);
      written++;
    }
    for await (const b of s.batches) {
      if (!emit && sink !== null) continue;
      const ids = b.getChild('slide_id')!;
      const labels = b.getChild('label')!;
      const rows: number[] = [];
      for (let i = 0; i < b.numRows; i++) {
        const sel = selectors.get(ids.get(i) as string);
        if (!sel) continue;
        const label = labels.get(i) === 1 ? 1 : 0;
        if (row(b, i, label, label ? sel.pos.next() : sel.neg.next())) rows.push(i);
      }
      if (emit && rows.length) await sink.write(rows.length === b.numRows ? b : takeRows(b, rows));
    }
    if (emit) await sink.end();
  }
  return written;
}

function slideRecord(ids: string[], plan: SamplePlan, hard?: HardChoice | null): SlideRecord {
  const slides: SlideRecord = {};
  for (const id of ids) {
    const p = plan.slides.get(id);
    if (!p) continue;
    slides[id] = { positives: [p.keepPos, p.pos], negatives: [p.keepNeg, p.neg] };
    const h = hard?.slides.get(id);
    if (h) slides[id].hard_negatives = [h.added, h.candidates];
  }
  return slides;
}

/** Pass 2 of hard-negative mining: marks the scored negatives the seeded sample keeps already. */
export async function markKept(
  streams: AsyncIterable<RecordStream>,
  counts: InputCounts,
  plan: SamplePlan,
  opts: SampleOptions,
  negatives: HardNegatives,
): Promise<void> {
  await walkSample(streams, null, counts, plan, opts, (b, i, label, kept) => {
    if (kept && label === 0) negatives.kept(b, i);
    return false;
  });
}

/** The last pass: writes the planned rows (and hard negatives), one output stream per input stream that has rows of kept slides. */
export async function writeSample(
  streams: AsyncIterable<RecordStream>,
  sink: RecordSink,
  counts: InputCounts,
  plan: SamplePlan,
  opts: SampleOptions & WriteOptions,
): Promise<{ pos: number; neg: number; hard: number; streams: number }> {
  const hard = opts.hard ?? null;
  let pos = 0;
  let neg = 0;
  let added = 0;
  const provenanceOf = (ids: string[]) => opts.provenance(slideRecord(ids, plan, hard?.choice));
  const written = await walkSample(streams, sink, counts, plan, { ...opts, provenanceOf }, (b, i, label, kept) => {
    if (kept) {
      if (label) pos++;
      else neg++;
      return true;
    }
    if (label === 0 && hard?.negatives.take(b, i)) {
      added++;
      return true;
    }
    return false;
  });
  return { pos, neg, hard: added, streams: written };
}
