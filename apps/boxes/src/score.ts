// How a region's box is scored (0..1). topk rewards regions that are confident over a whole patch
// footprint (several patches when they overlap) over a single noisy one, without letting large
// regions grow past 1.
import type { ScoreGrid } from './grid';

export type BoxScore = 'topk' | 'max' | 'mean';

/** Grid cells in `tiles` patch footprints: the k of topk, so that it means the same area at any stride. */
export function topkCount(grid: ScoreGrid, tiles: number): number {
  if (!grid.n) return 1;
  return Math.max(1, Math.round((tiles * grid.tileW0 * grid.tileH0) / (grid.strideX0 * grid.strideY0)));
}

export function regionScore(grid: ScoreGrid, members: readonly number[], how: BoxScore, k: number): number {
  const s = members.map((m) => grid.score[m]).sort((a, b) => b - a);
  if (!s.length) return 0;
  switch (how) {
    case 'max':
      return s[0];
    case 'mean':
      return s.reduce((a, b) => a + b, 0) / s.length;
    case 'topk':
      return s.slice(0, k).reduce((a, b) => a + b, 0) / k;
  }
}
