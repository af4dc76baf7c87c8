// merge: threshold the patches, then repeatedly unite boxes that touch or overlap (or lie within
// gap0 of each other) until no two do; each final box is a region.
import type { Box } from '@slidepipe/geometry';
import { DisjointSets } from '@slidepipe/image';
import type { ScoreGrid } from '../grid';
import type { Params } from '@slidepipe/core';
import { COMMON_PARAMS, positives, type BoxMethodDef, type Region } from './types';

/** Gap between two boxes along the axis where they are furthest apart; <= 0 when they touch or overlap. */
function gap(a: Box, b: Box): number {
  return Math.max(Math.max(a.x1, b.x1) - Math.min(a.x2, b.x2), Math.max(a.y1, b.y1) - Math.min(a.y2, b.y2));
}

const union = (a: Box, b: Box): Box => ({
  x1: Math.min(a.x1, b.x1),
  y1: Math.min(a.y1, b.y1),
  x2: Math.max(a.x2, b.x2),
  y2: Math.max(a.y2, b.y2),
});

export const merge: BoxMethodDef = {
  name: 'merge',
  description: 'unite touching or overlapping positive patch boxes, then their enclosing boxes, until none touch',
  params: {
    ...COMMON_PARAMS,
    gap0: {
      type: 'number',
      default: 0,
      min: 0,
      max: 100000,
      description: 'boxes closer than this (level-0 px) also merge',
    },
  },
  propose(grid: ScoreGrid, params: Params): Region[] {
    const gap0 = params.gap0 as number;
    const pos = positives(grid, params.threshold as number);
    const isPos = new Uint8Array(grid.n);
    for (const i of pos) isPos[i] = 1;
    // First pass on the grid: footprints that touch are near in (col, row), so no all-pairs scan.
    const sets = new DisjointSets(grid.n);
    const reachC = Math.ceil((grid.tileW0 + gap0) / grid.strideX0);
    const reachR = Math.ceil((grid.tileH0 + gap0) / grid.strideY0);
    for (const i of pos) {
      const fi = grid.footprint(i);
      for (let dr = -reachR; dr <= reachR; dr++) {
        for (let dc = -reachC; dc <= reachC; dc++) {
          const j = grid.at(grid.col[i] + dc, grid.row[i] + dr);
          if (j > i && isPos[j] && gap(fi, grid.footprint(j)) <= gap0) sets.union(i, j);
        }
      }
    }
    // Then unite enclosing boxes until stable: a region's box may reach another region.
    let groups = sets
      .groups(pos)
      .map((members) => ({ members, box: members.map((m) => grid.footprint(m)).reduce(union) }));
    for (let changed = true; changed;) {
      changed = false;
      for (let a = 0; a < groups.length; a++) {
        for (let b = a + 1; b < groups.length; b++) {
          if (gap(groups[a].box, groups[b].box) <= gap0) {
            groups[a] = {
              members: [...groups[a].members, ...groups[b].members],
              box: union(groups[a].box, groups[b].box),
            };
            groups.splice(b, 1);
            b = a;
            changed = true;
          }
        }
      }
      groups = [...groups];
    }
    return groups.map(({ members }) => ({ members }));
  },
};
