// components: connected groups of positive patches on the grid (8-connectivity), after a
// neighbour filter that drops positives with too few positive neighbours (isolated noise).
import { DisjointSets } from '@slidepipe/image';
import type { ScoreGrid } from '../grid';
import type { Params } from '@slidepipe/core';
import { COMMON_PARAMS, NEIGHBOURS_8, positives, type BoxMethodDef, type Region } from './types';

const NEIGHBOURS = NEIGHBOURS_8;

export const components: BoxMethodDef = {
  name: 'components',
  description:
    'connected components (8-neighbours) of positive patches, keeping positives with at least min_neighbors 8-neighbours scoring neighbor_threshold or more',
  params: {
    ...COMMON_PARAMS,
    min_neighbors: {
      type: 'integer',
      default: 1,
      min: 0,
      max: 8,
      description: '8-neighbours at or above neighbor_threshold a positive patch needs to be kept',
    },
    neighbor_threshold: {
      type: 'number',
      default: 0.25,
      min: 0,
      max: 1,
      description:
        'score a neighbour needs to count; below threshold, as a lesion on few patches only half covers its neighbours',
    },
  },
  propose(grid: ScoreGrid, params: Params): Region[] {
    const threshold = params.threshold as number;
    const minNeighbours = params.min_neighbors as number;
    const neighbourThreshold = params.neighbor_threshold as number;
    const pos = positives(grid, threshold);
    const counts = (c: number, r: number) => {
      const j = grid.at(c, r);
      return j >= 0 && grid.score[j] >= neighbourThreshold;
    };
    // The filter looks at the unfiltered scores, so it does not erode regions from outside in.
    const kept = pos.filter(
      (i) => NEIGHBOURS.filter(([dc, dr]) => counts(grid.col[i] + dc, grid.row[i] + dr)).length >= minNeighbours,
    );
    const keep = new Uint8Array(grid.n);
    for (const i of kept) keep[i] = 1;
    const sets = new DisjointSets(grid.n);
    for (const i of kept) {
      for (const [dc, dr] of NEIGHBOURS) {
        const j = grid.at(grid.col[i] + dc, grid.row[i] + dr);
        if (j >= 0 && keep[j]) sets.union(i, j);
      }
    }
    return sets.groups(kept).map((members) => ({ members }));
  },
};
