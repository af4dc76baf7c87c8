// What every box method is: a named way to group positive patches into regions. Turning a region
// into a box (grid-snapped or refined) and keeping exactly N happen after, the same for all.
import type { Box } from '@slidepipe/geometry';
import type { ScoreGrid } from '../grid';
import type { SizePrior } from '../size-prior';
import type { ParamSpecs, Params } from '@slidepipe/core';

/** A group of patches (indices into the grid) that makes one box. */
export interface Region {
  readonly members: readonly number[];
  /** The level refinement measures this region's height from; the slide's median when absent. */
  readonly floor?: number;
}

/** What a method may know besides the scores. */
export interface MethodContext {
  /** Lesion sizes learned from training boxes (--size-prior), else null. */
  readonly sizePrior: SizePrior | null;
}

export interface BoxMethodDef {
  readonly name: string;
  /** One line for --help. */
  readonly description: string;
  readonly params: ParamSpecs;
  /** Whether propose reads ctx.sizePrior (a built-in DigiLut one when none is given). */
  readonly usesSizePrior?: boolean;
  propose(grid: ScoreGrid, params: Params, ctx?: MethodContext): Region[];
  /** The score a box ranks by, from its region's score (default: that score). */
  rankScore?(box: Box, score: number, params: Params, ctx: MethodContext): number;
}

/** Parameters every method takes. */
export const COMMON_PARAMS: ParamSpecs = {
  threshold: {
    type: 'number',
    default: 0.5,
    min: 0,
    max: 1,
    description: 'a patch is positive when its score is >= this',
  },
  score: {
    type: 'string',
    default: 'topk',
    oneOf: ['topk', 'max', 'mean'],
    description:
      'box score: mean of the best member scores over k_tiles patch footprints (missing count 0), the best, or the mean',
  },
  k_tiles: {
    type: 'number',
    default: 1,
    min: 0.1,
    max: 100,
    description:
      'score=topk averages the best k_tiles x tile area / stride area patches (1 tile: 1 patch side by side, 4 at half stride)',
  },
};

/** The 8 neighbours' (dcol, drow). */
export const NEIGHBOURS_8 = [-1, 0, 1]
  .flatMap((dr) => [-1, 0, 1].map((dc) => [dc, dr] as const))
  .filter(([dc, dr]) => dc || dr);

/** Indices of the patches at or above the threshold. */
export function positives(grid: ScoreGrid, threshold: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < grid.n; i++) if (grid.score[i] >= threshold) out.push(i);
  return out;
}
