// peaks: one region per score peak, with the peak's own floor. Medium scores around a lesion
// (dense stroma at 0.5-0.7) lift the area above any fixed cut far past the lesion; measured from
// the level that surrounds the peak instead, the half-height edge falls on the lesion again.
//
// 1. Peaks: local maxima of the lightly smoothed scores (smooth_strides) that reach
//    peak_threshold; a watershed on the smoothed scores (patches >= threshold) gives each its
//    basin, and a peak that rises less than min_drop above the saddle to a higher one is part of
//    that one's basin (one lesion with a noisy top stays one region; two lesions split).
// 2. Local floor: flooding out from the peak, highest patches first, the level at which the area
//    stops being one lesion: it grows past the largest plausible lesion (the size prior at
//    leak_z) at leak_drop or more below the peak, or reaches another peak's basin. Without a
//    leak, the slide's median.
// 3. The region is the flooded patches above floor + 0.5 (peak - floor); refinement then traces
//    the box at floor + level (peak - floor) with that same floor (see refine.ts).
// 4. Boxes larger than the size prior allows at leak_z rank lower (Gaussian in the excess z), and
//    non-maximum suppression (nms_iou) drops boxes overlapping better ones.
import type { ScoreGrid } from '../grid';
import type { Params } from '@slidepipe/core';
import type { Box } from '@slidepipe/geometry';
import { DIGILUT_SIZE_PRIOR, upperExtent, type LogNormal } from '../size-prior';
import { COMMON_PARAMS, NEIGHBOURS_8, type BoxMethodDef, type MethodContext, type Region } from './types';

const NEIGHBOURS = NEIGHBOURS_8;

/** Gaussian-weighted mean of each patch's scored neighbours within 2 sigma (sigma in grid strides). */
export function smoothScores(grid: ScoreGrid, sigma: number): Float32Array {
  if (sigma <= 0) return Float32Array.from(grid.score);
  const reach = Math.ceil(2 * sigma);
  const out = new Float32Array(grid.n);
  for (let i = 0; i < grid.n; i++) {
    let sum = 0;
    let weight = 0;
    for (let dr = -reach; dr <= reach; dr++) {
      for (let dc = -reach; dc <= reach; dc++) {
        const j = grid.at(grid.col[i] + dc, grid.row[i] + dr);
        if (j < 0) continue;
        const w = Math.exp(-(dc * dc + dr * dr) / (2 * sigma * sigma));
        sum += w * grid.score[j];
        weight += w;
      }
    }
    out[i] = sum / weight;
  }
  return out;
}

/** Max-heap of patch indices by a key. */
class Heap {
  private readonly items: number[] = [];
  constructor(private readonly key: ArrayLike<number>) {}
  get size(): number {
    return this.items.length;
  }
  push(i: number): void {
    const a = this.items;
    a.push(i);
    for (let k = a.length - 1; k > 0;) {
      const p = (k - 1) >> 1;
      if (this.key[a[p]] >= this.key[a[k]]) break;
      [a[p], a[k]] = [a[k], a[p]];
      k = p;
    }
  }
  pop(): number {
    const a = this.items;
    const top = a[0];
    const last = a.pop()!;
    if (a.length) {
      a[0] = last;
      for (let k = 0; ;) {
        const l = 2 * k + 1;
        const r = l + 1;
        let m = k;
        if (l < a.length && this.key[a[l]] > this.key[a[m]]) m = l;
        if (r < a.length && this.key[a[r]] > this.key[a[m]]) m = r;
        if (m === k) break;
        [a[m], a[k]] = [a[k], a[m]];
        k = m;
      }
    }
    return top;
  }
}

export interface Basins {
  /** Basin root of each patch (the patch index of its peak), or -1 below the threshold. */
  basin: Int32Array;
  /** Peaks (basin roots) at or above peak_threshold, highest first. */
  peaks: number[];
}

/** Watershed by flooding from the top, merging basins whose lower peak rises less than minDrop above their saddle. */
export function watershed(
  grid: ScoreGrid,
  smooth: Float32Array,
  threshold: number,
  peakThreshold: number,
  minDrop: number,
): Basins {
  const order: number[] = [];
  for (let i = 0; i < grid.n; i++) if (smooth[i] >= threshold) order.push(i);
  // Ties by position, so that the result does not depend on input order.
  order.sort((a, b) => smooth[b] - smooth[a] || grid.row[a] - grid.row[b] || grid.col[a] - grid.col[b]);
  const parent = new Int32Array(grid.n).fill(-1);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]];
    return i;
  };
  const label = new Int32Array(grid.n).fill(-1);
  for (const i of order) {
    let best = -1;
    const roots = new Set<number>();
    for (const [dc, dr] of NEIGHBOURS) {
      const j = grid.at(grid.col[i] + dc, grid.row[i] + dr);
      if (j < 0 || label[j] < 0) continue;
      roots.add(find(label[j]));
      if (best < 0 || smooth[j] > smooth[best]) best = j;
    }
    if (best < 0) {
      parent[i] = i;
      label[i] = i;
      continue;
    }
    // Steepest ascent: the patch belongs to its highest neighbour's basin.
    label[i] = find(label[best]);
    for (const b of roots) {
      const ra = find(label[i]);
      const rb = find(b);
      if (ra === rb) continue;
      const [low, high] = smooth[ra] < smooth[rb] ? [ra, rb] : [rb, ra];
      if (smooth[low] - smooth[i] < minDrop) parent[low] = high;
    }
  }
  const basin = new Int32Array(grid.n).fill(-1);
  const peaks: number[] = [];
  for (const i of order) {
    basin[i] = find(label[i]);
    if (basin[i] === i && smooth[i] >= peakThreshold) peaks.push(i);
  }
  return { basin, peaks };
}

/** The best raw score within one stride of a smoothed peak: where the flood starts. */
function rawPeak(grid: ScoreGrid, i: number): number {
  let best = i;
  for (const [dc, dr] of NEIGHBOURS) {
    const j = grid.at(grid.col[i] + dc, grid.row[i] + dr);
    if (j >= 0 && grid.score[j] > grid.score[best]) best = j;
  }
  return best;
}

export const peaks: BoxMethodDef = {
  name: 'peaks',
  usesSizePrior: true,
  description:
    'one region per score peak (watershed on smoothed scores), cut at half height above the level around the peak; with NMS',
  params: {
    ...COMMON_PARAMS,
    peak_threshold: {
      type: 'number',
      default: 0.6,
      min: 0,
      max: 1,
      description: 'a peak of the smoothed scores must reach this to make a region',
    },
    min_drop: {
      type: 'number',
      default: 0.15,
      min: 0,
      max: 1,
      description: 'a peak must rise this much above the saddle to a higher peak to be its own lesion',
    },
    smooth_strides: {
      type: 'number',
      default: 0.5,
      min: 0,
      max: 4,
      description: 'Gaussian sigma, in grid strides, of the smoothing used to find peaks and basins (0: none)',
    },
    leak_z: {
      type: 'number',
      default: 1.5,
      min: 0,
      max: 10,
      description:
        'a flood wider or taller than the size prior median x exp(leak_z sigma) has left the lesion: its level is the local floor',
    },
    leak_drop: {
      type: 'number',
      default: 0.2,
      min: 0,
      max: 1,
      description:
        'a flood wider than that counts as a leak only once it is this far below the peak (a large lesion is not)',
    },
    nms_iou: {
      type: 'number',
      default: 0.3,
      min: 0,
      max: 1,
      description:
        'a box overlapping a better one by more than this IoU (or lying half inside it) is dropped (1: no NMS)',
    },
  },
  // A box larger than the size prior allows at leak_z is plateau more than lesion: it ranks lower.
  rankScore(box: Box, score: number, params: Params, ctx: MethodContext): number {
    const prior = ctx.sizePrior ?? DIGILUT_SIZE_PRIOR;
    const z0 = params.leak_z as number;
    const excess = (d: LogNormal, v: number) => Math.max(0, (Math.log(v) - d.mu) / d.sigma - z0);
    const ex = excess(prior.width0, box.x2 - box.x1);
    const ey = excess(prior.height0, box.y2 - box.y1);
    return score * Math.exp(-(ex * ex + ey * ey) / 2);
  },
  propose(grid: ScoreGrid, params: Params, ctx?: MethodContext): Region[] {
    const prior = ctx?.sizePrior ?? DIGILUT_SIZE_PRIOR;
    const z = params.leak_z as number;
    const leakDrop = params.leak_drop as number;
    const maxW = upperExtent(prior.width0, z);
    const maxH = upperExtent(prior.height0, z);
    const floor0 = grid.medianScore();
    const smooth = smoothScores(grid, params.smooth_strides as number);
    const { basin, peaks: tops } = watershed(
      grid,
      smooth,
      params.threshold as number,
      params.peak_threshold as number,
      params.min_drop as number,
    );
    const isPeak = new Set(tops);
    const regions: Region[] = [];
    const seen = new Uint8Array(grid.n);
    for (const top of tops) {
      const heap = new Heap(grid.score);
      const touched: number[] = [];
      const start = rawPeak(grid, top);
      const peak = grid.score[start];
      // Flood from the peak, highest first; `level` (the lowest score taken so far) only falls.
      const taken: number[] = [];
      const levels: number[] = [];
      let level = peak;
      let floor = floor0;
      let [cMin, cMax, rMin, rMax] = [grid.col[start], grid.col[start], grid.row[start], grid.row[start]];
      heap.push(start);
      seen[start] = 1;
      touched.push(start);
      while (heap.size) {
        const j = heap.pop();
        const v = grid.score[j];
        if (v < floor0) break;
        const other = basin[j] >= 0 && basin[j] !== top && isPeak.has(basin[j]);
        cMin = Math.min(cMin, grid.col[j]);
        cMax = Math.max(cMax, grid.col[j]);
        rMin = Math.min(rMin, grid.row[j]);
        rMax = Math.max(rMax, grid.row[j]);
        // Wider than a lesion but still near the peak's height: a large lesion, not a leak.
        const wide =
          ((cMax - cMin + 1) * grid.strideX0 > maxW || (rMax - rMin + 1) * grid.strideY0 > maxH) &&
          peak - Math.min(level, v) >= leakDrop;
        if (other || wide) {
          floor = Math.min(level, v);
          break;
        }
        level = Math.min(level, v);
        taken.push(j);
        levels.push(level);
        for (const [dc, dr] of NEIGHBOURS) {
          const k = grid.at(grid.col[j] + dc, grid.row[j] + dr);
          if (k >= 0 && !seen[k]) {
            seen[k] = 1;
            touched.push(k);
            heap.push(k);
          }
        }
      }
      for (const k of touched) seen[k] = 0;
      const core = floor + 0.5 * (peak - floor);
      const members = taken.filter((_, k) => levels[k] >= core);
      regions.push({ members: members.length ? members : [start], floor });
    }
    return regions;
  },
};
