// wsi-eval: predicted boxes against ground truth with the DigiLut metric (GIoU > threshold, F-beta
// per slide, mean over slides), as eval records and a table for people.
import { iou, type Box } from '@slidepipe/geometry';
import type { RecordStream } from '@slidepipe/io';
import { precision, recall, scoreSlides, type BoxMatching } from '@slidepipe/metrics';
import type { EvalRecord, ProvenanceEntry } from '@slidepipe/schema';

export interface EvalOptions {
  /** A prediction is a hit when its GIoU with a truth box is strictly above this. */
  threshold: number;
  beta: number;
  matching: BoxMatching;
  /** Also score truth slides that have no prediction stream (as misses). */
  includeUnpredicted: boolean;
}

export interface Predictions {
  /** Slides in input order: every slide a stream or a row names, boxes or not. */
  bySlide: Map<string, Box[]>;
  provenance: ProvenanceEntry[];
}

/**
 * Reads every box stream. A slide's stream with no rows still counts: that slide was predicted,
 * with nothing found. Padded (neutral) boxes are predictions like any other: they are part of a
 * submission and count as false positives.
 */
export async function collectPredictions(streams: AsyncIterable<RecordStream>): Promise<Predictions> {
  const bySlide = new Map<string, Box[]>();
  const seen = new Set<string>();
  const provenance: ProvenanceEntry[] = [];
  const slide = (id: string) => {
    let list = bySlide.get(id);
    if (!list) bySlide.set(id, (list = []));
    return list;
  };
  for await (const s of streams) {
    for (const p of s.meta.provenance) {
      const key = JSON.stringify(p);
      if (!seen.has(key)) {
        seen.add(key);
        provenance.push(p);
      }
    }
    if (s.meta.slide) slide(s.meta.slide.slide_id);
    // A Parquet file of several slides lists them all, those without rows too.
    for (const f of (s.meta.facts.slides as { slide_id: string }[] | undefined) ?? []) slide(f.slide_id);
    for await (const b of s.batches) {
      const ids = b.getChild('slide_id')!;
      const [x1, y1, x2, y2] = ['x1', 'y1', 'x2', 'y2'].map((c) => b.getChild(c)!.toArray() as Int32Array);
      for (let i = 0; i < b.numRows; i++)
        slide(ids.get(i) as string).push({ x1: x1[i], y1: y1[i], x2: x2[i], y2: y2[i] });
    }
  }
  return { bySlide, provenance };
}

export interface EvalResult {
  rows: EvalRecord[];
  /** Truth slides left out because nothing was predicted for them (without includeUnpredicted). */
  unpredicted: string[];
  /** Pooled over slides (micro) F-beta, for the table. */
  pooledFBeta: number;
}

/**
 * Per-slide rows, then the mean row. Empty cases (libs/metrics conventions): no truth and no
 * prediction -> precision = recall = F = 1; predictions but no truth -> precision 0, recall 1,
 * F 0; truth but no prediction -> precision 1, recall 0, F 0. The mean row sums the counts and
 * averages precision, recall and F-beta over slides (the DigiLut score is its fbeta).
 */
export function evaluate(pred: Map<string, Box[]>, truth: Map<string, Box[]>, opts: EvalOptions): EvalResult {
  const unpredicted = [...truth.keys()].filter((s) => !pred.has(s));
  const slides = [...pred.keys(), ...(opts.includeUnpredicted ? unpredicted : [])];
  if (!slides.length) return { rows: [], unpredicted, pooledFBeta: 1 };
  const scoring = scoreSlides(
    slides.map((slideId) => ({ slideId, predicted: pred.get(slideId) ?? [], truth: truth.get(slideId) ?? [] })),
    { threshold: opts.threshold, beta: opts.beta, matching: opts.matching },
  );
  // IoU and GIoU of each slide's matched pairs: how well the hits fit, which F-beta does not say.
  const fits = scoring.slides.map((s) => {
    const p = pred.get(s.slideId) ?? [];
    const t = truth.get(s.slideId) ?? [];
    return s.matches.map((m) => ({ iou: iou(p[m.predicted], t[m.truth]), giou: m.giou }));
  });
  const meanOf = (v: number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : null);
  const rows: EvalRecord[] = scoring.slides.map((s, i) => ({
    scope: 'slide',
    slide_id: s.slideId,
    n_truth: truth.get(s.slideId)?.length ?? 0,
    n_pred: pred.get(s.slideId)?.length ?? 0,
    tp: s.tp,
    fp: s.fp,
    fn: s.fn,
    precision: precision(s),
    recall: recall(s),
    fbeta: s.fBeta,
    mean_iou: meanOf(fits[i].map((f) => f.iou)),
    mean_giou: meanOf(fits[i].map((f) => f.giou)),
  }));
  const sum = (k: 'n_truth' | 'n_pred' | 'tp' | 'fp' | 'fn') => rows.reduce((a, r) => a + r[k], 0);
  const mean = (k: 'precision' | 'recall') => rows.reduce((a, r) => a + r[k], 0) / rows.length;
  rows.push({
    scope: 'mean',
    slide_id: '*',
    n_truth: sum('n_truth'),
    n_pred: sum('n_pred'),
    tp: sum('tp'),
    fp: sum('fp'),
    fn: sum('fn'),
    precision: mean('precision'),
    recall: mean('recall'),
    fbeta: scoring.meanFBeta,
    // Over all matched pairs, so a slide with many hits weighs more than one with a single hit.
    mean_iou: meanOf(fits.flat().map((f) => f.iou)),
    mean_giou: meanOf(fits.flat().map((f) => f.giou)),
  });
  const b2 = opts.beta * opts.beta;
  const { tp, fp, fn } = scoring.totals;
  const pooledFBeta = tp + fp + fn === 0 ? 1 : ((1 + b2) * tp) / ((1 + b2) * tp + b2 * fn + fp);
  return { rows, unpredicted, pooledFBeta };
}

/** The rows as an aligned text table (numbers to 3 decimals). */
export function formatTable(result: EvalResult, opts: EvalOptions): string {
  const f = `F${opts.beta}`;
  const head = ['slide', 'truth', 'pred', 'TP', 'FP', 'FN', 'precision', 'recall', f, 'IoU'];
  const body = result.rows.map((r) => [
    r.scope === 'mean' ? `mean of ${result.rows.length - 1}` : r.slide_id,
    ...[r.n_truth, r.n_pred, r.tp, r.fp, r.fn].map(String),
    ...[r.precision, r.recall, r.fbeta].map((v) => v.toFixed(3)),
    r.mean_iou === null ? '-' : r.mean_iou.toFixed(3),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const slideRows = body.slice(0, -1).map(line);
  const meanRow = body.length ? [rule, line(body[body.length - 1])] : [];
  const note = `GIoU > ${opts.threshold}, matching ${opts.matching}; IoU: mean over matched boxes; pooled ${f} over all boxes ${result.pooledFBeta.toFixed(3)}`;
  return [line(head), rule, ...slideRows, ...meanRow, note].join('\n');
}
