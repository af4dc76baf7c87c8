import { type Box, formatBox, giou, isValidBox } from '@slidepipe/geometry';
import { maxWeightAssignment } from './assignment';
import { MetricsError, checkBeta } from './errors';
import { fBeta } from './classification';

/**
 * How predictions meet truth boxes (the DigiLut rules never said):
 * - 'one-to-one': each truth box confirms at most one prediction. The matching has the most
 *   pairs with GIoU > threshold (maximum cardinality), and among those the largest total GIoU.
 * - 'any': a prediction is a TP when its GIoU with any truth box is above the threshold, so one
 *   truth box may absorb several predictions (as in the seed's evaluator).
 */
export type BoxMatching = 'one-to-one' | 'any';

export interface BoxMatchOptions {
  /** A pair counts when GIoU is strictly above this; DigiLut uses 0.5. */
  readonly threshold?: number;
  readonly matching?: BoxMatching;
}

export interface BoxMatch {
  readonly predicted: number;
  readonly truth: number;
  readonly giou: number;
}

export interface BoxMatchResult {
  /** Predictions confirmed by a truth box. */
  readonly tp: number;
  /** Predictions not confirmed. tp + fp = number of predictions. */
  readonly fp: number;
  /** Truth boxes that confirm no prediction. */
  readonly fn: number;
  /** The confirming pairs, by prediction index; in 'any' mode each TP with its best truth box. */
  readonly matches: readonly BoxMatch[];
}

/** GIoU of every predicted box (rows) with every truth box (columns). */
export function giouMatrix(predicted: readonly Box[], truth: readonly Box[]): number[][] {
  return predicted.map((p) => truth.map((t) => giou(p, t)));
}

export function matchBoxes(
  predicted: readonly Box[],
  truth: readonly Box[],
  options: BoxMatchOptions = {},
): BoxMatchResult {
  const threshold = options.threshold ?? 0.5;
  const matching = options.matching ?? 'one-to-one';
  if (!Number.isFinite(threshold) || threshold < -1 || threshold >= 1) {
    throw new MetricsError('INVALID_OPTION', `matchBoxes: expected a GIoU threshold in [-1, 1), received ${threshold}`);
  }
  if (matching !== 'one-to-one' && matching !== 'any') {
    throw new MetricsError(
      'INVALID_OPTION',
      `matchBoxes: expected matching "one-to-one" or "any", received ${JSON.stringify(matching)}`,
    );
  }
  checkBoxes('predicted', predicted);
  checkBoxes('truth', truth);
  const g = giouMatrix(predicted, truth);
  const matches =
    matching === 'any' ? matchAny(g, threshold) : matchOneToOne(g, threshold, Math.min(predicted.length, truth.length));
  const hitTruth = new Set(matching === 'any' ? anyHitTruth(g, threshold) : matches.map((m) => m.truth));
  return { tp: matches.length, fp: predicted.length - matches.length, fn: truth.length - hitTruth.size, matches };
}

function matchAny(g: number[][], threshold: number): BoxMatch[] {
  const matches: BoxMatch[] = [];
  g.forEach((row, predicted) => {
    let truth = -1;
    for (let t = 0; t < row.length; t++) if (row[t] > threshold && (truth < 0 || row[t] > row[truth])) truth = t;
    if (truth >= 0) matches.push({ predicted, truth, giou: row[truth] });
  });
  return matches;
}

function anyHitTruth(g: number[][], threshold: number): number[] {
  const truthCount = g[0]?.length ?? 0;
  return Array.from({ length: truthCount }, (_, t) => t).filter((t) => g.some((row) => row[t] > threshold));
}

function matchOneToOne(g: number[][], threshold: number, maxPairs: number): BoxMatch[] {
  if (maxPairs === 0) return [];
  // Every edge outweighs any sum of GIoUs (at most maxPairs of them, each <= 1), so the best
  // assignment first has the most edges, then the largest total GIoU among those.
  const edgeBonus = maxPairs + 1;
  const weights = g.map((row) => row.map((value) => (value > threshold ? edgeBonus + value : 0)));
  return maxWeightAssignment(weights)
    .filter(([p, t]) => g[p][t] > threshold)
    .map(([predicted, truth]) => ({ predicted, truth, giou: g[predicted][truth] }));
}

function checkBoxes(what: string, boxes: readonly Box[]): void {
  boxes.forEach((b, i) => {
    if (!isValidBox(b)) {
      throw new MetricsError(
        'INVALID_BOXES',
        `matchBoxes: ${what} box ${i}: expected finite corners with x1 <= x2 and y1 <= y2, received ${formatBox(b)}`,
      );
    }
  });
}

export interface SlideBoxes {
  readonly slideId: string;
  readonly predicted: readonly Box[];
  readonly truth: readonly Box[];
}

export interface SlideScore extends BoxMatchResult {
  readonly slideId: string;
  /** F-beta from this slide's TP/FP/FN; 1 when the slide has no truth and no prediction. */
  readonly fBeta: number;
}

export interface SlideScoring {
  /** Mean of the per-slide F-beta: the DigiLut score (with beta 2, threshold 0.5). */
  readonly meanFBeta: number;
  readonly slides: readonly SlideScore[];
  /** Sums over slides, for a pooled (micro) F-beta if wanted. */
  readonly totals: { readonly tp: number; readonly fp: number; readonly fn: number };
}

/**
 * The DigiLut metric: per slide, match predictions to truth boxes on GIoU > threshold and take
 * F-beta of the slide's TP/FP/FN (beta 2 by default); the score is the mean over slides. Empty
 * cases follow fBeta's convention: no truth and no prediction -> 1, no truth but predictions -> 0,
 * truth but no prediction -> 0.
 */
export function scoreSlides(
  slides: readonly SlideBoxes[],
  options: BoxMatchOptions & { beta?: number } = {},
): SlideScoring {
  const beta = options.beta ?? 2;
  checkBeta('scoreSlides', beta);
  if (slides.length === 0) {
    throw new MetricsError('INVALID_BOXES', 'scoreSlides: expected at least one slide, received none');
  }
  const seen = new Set<string>();
  const scored = slides.map((slide): SlideScore => {
    if (seen.has(slide.slideId)) {
      throw new MetricsError(
        'INVALID_BOXES',
        `scoreSlides: expected each slide once, received ${JSON.stringify(slide.slideId)} twice`,
      );
    }
    seen.add(slide.slideId);
    const result = matchBoxes(slide.predicted, slide.truth, options);
    return { slideId: slide.slideId, ...result, fBeta: fBeta(result, beta) };
  });
  const totals = { tp: 0, fp: 0, fn: 0 };
  for (const s of scored) {
    totals.tp += s.tp;
    totals.fp += s.fp;
    totals.fn += s.fn;
  }
  return { meanFBeta: scored.reduce((sum, s) => sum + s.fBeta, 0) / scored.length, slides: scored, totals };
}
