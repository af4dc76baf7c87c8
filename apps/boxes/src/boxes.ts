// wsi-boxes: from patch scores to ranked lesion boxes, exactly N per slide when asked.
// Streams in (patch-score records, one or several slides per stream), one box stream per slide out.
import {
  boxArea,
  boxesOverlap,
  clampBoxToSlide,
  intersectionArea,
  iou,
  type Box,
  type ListedSlide,
} from '@slidepipe/geometry';
import { inputError } from '@slidepipe/cli';
import { groupBySlide, type RecordStream } from '@slidepipe/io';
import {
  LAST_UNDERSCORE_PATIENT,
  patchExtent,
  patientIdOf,
  RECORDS,
  slideFactsOf,
  withProvenance,
  type BoxRecord,
  type ProvenanceEntry,
  type SlideFacts,
  type StreamMeta,
} from '@slidepipe/schema';
import { PatchColumns, ScoreGrid } from './grid';
import type { ChosenMethod } from './methods/registry';
import type { Params } from '@slidepipe/core';
import type { SizePrior } from './size-prior';
import { refinedBox, snappedBox, type RefineOptions } from './refine';
import { regionScore, topkCount, type BoxScore } from './score';

/**
 * The box added when a slide has fewer regions than requested: 1 x 1 px at the slide's top-left
 * corner, score 0, padded = true. Its GIoU with any real lesion box is close to -1, so it is never
 * a hit: it costs exactly what any wrong box costs (one false positive) and cannot win by luck.
 */
export const NEUTRAL_BOX: Box = Object.freeze({ x1: 0, y1: 0, x2: 1, y2: 1 });

/** How many boxes each slide gets. */
export type CountPlan =
  | { kind: 'all' }
  | { kind: 'fixed'; n: number }
  /** From a DigiLut validation list: one trustii_id per expected box, in file order. */
  | { kind: 'list'; slides: Map<string, ListedSlide> };

export interface BoxesOptions {
  method: ChosenMethod;
  /** null: grid-snapped boxes. */
  refine: RefineOptions | null;
  count: CountPlan;
  fill: Fill;
  provenance: ProvenanceEntry | null;
  /** Lesion sizes from training boxes, for methods that use one. */
  sizePrior?: SizePrior | null;
  warn?: (msg: string) => void;
}

export interface RankedBox {
  box: Box;
  score: number;
  padded: boolean;
}

export interface SlideResult {
  /** The output stream's metadata (box records). */
  meta: StreamMeta;
  slide: SlideFacts;
  boxes: BoxRecord[];
  /** The scores the boxes came from; null for a listed slide that had no input. */
  grid: ScoreGrid | null;
  /** The slide's file name as the counts list spells it, else from the slide path. */
  filename: string | null;
}

/**
 * How to reach N boxes when fewer regions pass the threshold: 'lower' looks again at half, then a
 * quarter of the method's thresholds (weaker candidates score lower, so they rank after) before
 * padding; 'neutral' pads at once.
 */
export type Fill = 'lower' | 'neutral';
export const FILL_FACTORS = [0.5, 0.25];

function regionBoxes(
  grid: ScoreGrid,
  method: ChosenMethod,
  params: Params,
  refine: RefineOptions | null,
  floor: number,
  sizePrior: SizePrior | null,
): RankedBox[] {
  const regions = grid.n ? method.def.propose(grid, params, { sizePrior }) : [];
  const owner = new Int32Array(grid.n).fill(-1);
  regions.forEach((r, id) => r.members.forEach((m) => (owner[m] = id)));
  const how = params.score as BoxScore;
  const k = topkCount(grid, params.k_tiles as number);
  return regions
    .map((r, id): RankedBox => {
      const raw = refine
        ? refinedBox(grid, r.members, id, owner, r.floor ?? floor, refine)
        : snappedBox(grid, r.members);
      // Whole pixels, outward, then inside the slide.
      const box = clampBoxToSlide(
        { x1: Math.floor(raw.x1), y1: Math.floor(raw.y1), x2: Math.ceil(raw.x2), y2: Math.ceil(raw.y2) },
        grid.width0,
        grid.height0,
      );
      const score = regionScore(grid, r.members, how, k);
      const rank = method.def.rankScore?.(box, score, params, { sizePrior }) ?? score;
      return { box, score: rank, padded: false };
    })
    .filter((b) => b.box.x2 > b.box.x1 && b.box.y2 > b.box.y1);
}

const byRank = (a: RankedBox, b: RankedBox) => b.score - a.score || a.box.y1 - b.box.y1 || a.box.x1 - b.box.x1;

/**
 * Greedy non-maximum suppression of boxes sorted best first: a box goes when its IoU with a kept
 * one is above maxIou, or when half of it or more lies inside a kept one.
 */
export function suppressOverlaps(sorted: RankedBox[], maxIou: number): RankedBox[] {
  if (maxIou >= 1) return sorted;
  const kept: RankedBox[] = [];
  for (const b of sorted) {
    const area = boxArea(b.box);
    const covered = kept.some((k) => iou(k.box, b.box) > maxIou || intersectionArea(k.box, b.box) >= 0.5 * area);
    if (!covered) kept.push(b);
  }
  return kept;
}

/** The method's boxes, best first, after NMS when the method has an nms_iou. */
function rankedBoxes(
  grid: ScoreGrid,
  method: ChosenMethod,
  params: Params,
  refine: RefineOptions | null,
  floor: number,
  sizePrior: SizePrior | null,
): RankedBox[] {
  const sorted = regionBoxes(grid, method, params, refine, floor, sizePrior).sort(byRank);
  return typeof params.nms_iou === 'number' ? suppressOverlaps(sorted, params.nms_iou) : sorted;
}

/** Regions of a slide turned into boxes inside the slide, best first; exactly `n` when n is given. */
export function boxesForGrid(
  grid: ScoreGrid,
  method: ChosenMethod,
  refine: RefineOptions | null,
  n: number | null,
  fill: Fill = 'lower',
  sizePrior: SizePrior | null = null,
): RankedBox[] {
  const floor = refine ? grid.medianScore() : 0;
  // Best first; ties broken by position so the output does not depend on grouping order.
  const boxes = rankedBoxes(grid, method, method.params, refine, floor, sizePrior);
  if (n === null) return boxes;
  const out = boxes.slice(0, n);
  for (const factor of fill === 'lower' ? FILL_FACTORS : []) {
    if (out.length >= n) break;
    const lowered = Object.fromEntries(
      Object.entries(method.params).map(([k, v]) => [k, k.endsWith('threshold') ? (v as number) * factor : v]),
    );
    for (const b of rankedBoxes(grid, method, lowered, refine, floor, sizePrior)) {
      if (out.length >= n) break;
      // A weaker look finds the same lesions again, larger: only new places count.
      if (!out.some((o) => boxesOverlap(o.box, b.box))) out.push(b);
    }
  }
  while (out.length < n) out.push({ box: { ...NEUTRAL_BOX }, score: 0, padded: true });
  return out;
}

const patientOf = (slideId: string) => patientIdOf(slideId, LAST_UNDERSCORE_PATIENT);

/**
 * Boxes for every slide of every stream, in input order, then (with a counts list) padded boxes
 * for listed slides that had no scores. A slide must come whole in one stream.
 */
export async function* boxSlides(
  streams: AsyncIterable<RecordStream>,
  opts: BoxesOptions,
): AsyncGenerator<SlideResult> {
  const done = new Set<string>();
  const listed = opts.count.kind === 'list' ? opts.count.slides : null;
  const unlisted: string[] = [];
  for await (const s of streams) {
    const bySlide = await groupBySlide(
      s,
      ['x0', 'y0', 'w0', 'h0', 'col', 'row', 'score'],
      () => new PatchColumns(),
      (p, c, i) => p.push(c[0][i], c[1][i], c[2][i], c[3][i], c[4][i], c[5][i], c[6][i]),
    );
    for (const [slideId, patches] of bySlide) {
      if (done.has(slideId))
        throw inputError(
          s.source,
          `slide ${slideId} comes in more than one stream; give each slide's scores in one piece`,
        );
      done.add(slideId);
      const entry = listed?.get(slideId);
      if (listed && !entry) unlisted.push(slideId);
      const facts = slideFactsOf(s.meta, slideId);
      const slide = resolveSlide(slideId, facts, entry ?? null, patches, opts.warn);
      const grid = new ScoreGrid(slideId, patches, slide.width0, slide.height0);
      const n = opts.count.kind === 'fixed' ? opts.count.n : listed ? (entry?.trustiiIds.length ?? 0) : null;
      const ranked = boxesForGrid(grid, opts.method, opts.refine, n, opts.fill, opts.sizePrior ?? null);
      const { slides: _slides, ...upstreamFacts } = s.meta.facts;
      const meta = withProvenance(
        { ...s.meta, record: 'box', version: RECORDS.box.version, slide, facts: upstreamFacts },
        opts.provenance,
      );
      yield {
        meta,
        slide,
        boxes: toRecords(slideId, ranked, entry ?? null),
        grid,
        filename: entry?.filename ?? (slide.path ? slide.path.replace(/^.*[\\/]/, '') : null),
      };
    }
  }
  if (unlisted.length)
    opts.warn?.(
      `${unlisted.length} slide(s) not in the counts list get no boxes: ${unlisted.slice(0, 5).join(', ')}${unlisted.length > 5 ? ', ...' : ''}`,
    );
  if (!listed) return;
  const missing = [...listed.values()].filter((l) => !done.has(l.slideId));
  if (missing.length)
    opts.warn?.(
      `${missing.length} listed slide(s) had no scores and get neutral boxes only: ${missing
        .slice(0, 5)
        .map((m) => m.slideId)
        .join(', ')}`,
    );
  for (const l of missing) {
    if (l.width0 === null || l.height0 === null)
      throw inputError(`slide ${l.slideId}`, 'no scores and no max_x/max_y in the counts list: its size is unknown');
    const slide: SlideFacts = {
      slide_id: l.slideId,
      patient_id: patientOf(l.slideId),
      width0: l.width0,
      height0: l.height0,
      mpp0: null,
    };
    const ranked: RankedBox[] = l.trustiiIds.map(() => ({ box: { ...NEUTRAL_BOX }, score: 0, padded: true }));
    const meta: StreamMeta = withProvenance(
      { record: 'box', version: RECORDS.box.version, slide, facts: {}, provenance: [] },
      opts.provenance,
    );
    yield { meta, slide, boxes: toRecords(l.slideId, ranked, l), grid: null, filename: l.filename };
  }
}

/** Slide facts from the stream, else from the counts list, else the extent of the patches (with a warning). */
function resolveSlide(
  slideId: string,
  facts: SlideFacts | null,
  listed: ListedSlide | null,
  p: PatchColumns,
  warn?: (m: string) => void,
): SlideFacts {
  if (facts && facts.width0 > 0 && facts.height0 > 0) return facts;
  if (listed && listed.width0 && listed.height0) {
    return {
      ...(facts ?? { slide_id: slideId, patient_id: patientOf(slideId), mpp0: null }),
      width0: listed.width0,
      height0: listed.height0,
    };
  }
  const { width0: w, height0: h } = patchExtent(p);
  warn?.(
    `slide ${slideId}: no level-0 size in the stream metadata; boxes are kept inside the patches' extent (${w} x ${h} px)`,
  );
  return { ...(facts ?? { slide_id: slideId, patient_id: patientOf(slideId), mpp0: null }), width0: w, height0: h };
}

function toRecords(slideId: string, ranked: RankedBox[], listed: ListedSlide | null): BoxRecord[] {
  return ranked.map((b, rank) => ({
    slide_id: slideId,
    rank,
    ...b.box,
    score: b.score,
    padded: b.padded,
    trustii_id: listed?.trustiiIds[rank] ?? null,
  }));
}
