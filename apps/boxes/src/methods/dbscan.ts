// dbscan: density clustering of positive patch centres (Ester et al. 1996). Distances are in grid
// strides, so one eps fits any tiling; centres of sparse noise end up unclustered and are dropped.
import type { ScoreGrid } from '../grid';
import type { Params } from '@slidepipe/core';
import { COMMON_PARAMS, positives, type BoxMethodDef, type Region } from './types';

export const dbscan: BoxMethodDef = {
  name: 'dbscan',
  description: 'DBSCAN clusters of positive patch centres; unclustered (noise) patches are dropped',
  params: {
    ...COMMON_PARAMS,
    eps_strides: {
      type: 'number',
      default: 1.5,
      min: 0.5,
      max: 20,
      description: 'neighbourhood radius, in grid strides (1.5 reaches the 8 neighbours)',
    },
    min_points: {
      type: 'integer',
      default: 2,
      min: 1,
      max: 1000,
      description: 'positives (itself included) within eps that make a core point',
    },
  },
  propose(grid: ScoreGrid, params: Params): Region[] {
    const threshold = params.threshold as number;
    const eps = params.eps_strides as number;
    const minPoints = params.min_points as number;
    const pos = positives(grid, threshold);
    const reach = Math.floor(eps);
    const neighbours = (i: number): number[] => {
      const out: number[] = [];
      for (let dr = -reach; dr <= reach; dr++) {
        for (let dc = -reach; dc <= reach; dc++) {
          const j = grid.at(grid.col[i] + dc, grid.row[i] + dr);
          if (j < 0 || grid.score[j] < threshold) continue;
          const dx = (grid.centreX0(j) - grid.centreX0(i)) / grid.strideX0;
          const dy = (grid.centreY0(j) - grid.centreY0(i)) / grid.strideY0;
          if (dx * dx + dy * dy <= eps * eps + 1e-9) out.push(j);
        }
      }
      return out;
    };
    const cluster = new Int32Array(grid.n).fill(-1);
    const regions: number[][] = [];
    for (const p of pos) {
      if (cluster[p] >= 0) continue;
      const n = neighbours(p);
      if (n.length < minPoints) continue;
      const id = regions.length;
      const members: number[] = [];
      regions.push(members);
      const queue = [p];
      cluster[p] = id;
      while (queue.length) {
        const q = queue.pop()!;
        members.push(q);
        const nq = q === p ? n : neighbours(q);
        // Border points join the cluster but do not extend it.
        if (nq.length < minPoints) continue;
        for (const j of nq) {
          if (cluster[j] < 0) {
            cluster[j] = id;
            queue.push(j);
          }
        }
      }
    }
    return regions.map((members) => ({ members }));
  },
};
