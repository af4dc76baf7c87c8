// random: the chance baseline. Regions are blocks of size x size patches placed uniformly at random
// (seeded) among the slide's patches, ignoring the scores; with --no-refine they become boxes of
// about a lesion's size, which is what "boxes placed at random" scores.
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { ScoreGrid } from '../grid';
import type { Params } from '@slidepipe/core';
import type { BoxMethodDef, Region } from './types';

export const random: BoxMethodDef = {
  name: 'random',
  description:
    'baseline: blocks of size x size patches at random patch positions (seeded), scores ignored; use with -n and --no-refine',
  params: {
    count: { type: 'integer', default: 8, min: 1, max: 1000, description: 'regions proposed per slide (keep >= -n)' },
    size: {
      type: 'integer',
      default: 2,
      min: 1,
      max: 16,
      description: 'block side in patches (2 x 512 level-0 px ~ a median DigiLut box)',
    },
    seed: { type: 'integer', default: 0, min: 0, max: 2 ** 31 - 1, description: 'random seed' },
  },
  propose(grid: ScoreGrid, params: Params): Region[] {
    const count = params.count as number;
    const size = params.size as number;
    if (grid.n === 0) return [];
    // Mix the slide's first patch position into the seed so slides differ but runs repeat.
    const rng = xoroshiro128plus(((params.seed as number) ^ (grid.x0[0] * 73856093) ^ (grid.y0[0] * 19349663)) >>> 0);
    const out: Region[] = [];
    for (let k = 0; k < count; k++) {
      const i = uniformInt(rng, 0, grid.n - 1);
      const members: number[] = [];
      for (let dr = 0; dr < size; dr++) {
        for (let dc = 0; dc < size; dc++) {
          const j = grid.at(grid.col[i] + dc, grid.row[i] + dr);
          if (j >= 0) members.push(j);
        }
      }
      out.push({ members });
    }
    return out;
  },
};
