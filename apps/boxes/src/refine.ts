// From a region of patches to a box in level-0 px: grid-snapped (the union of the member
// footprints) or refined below patch resolution.
//
// Refinement reads the scores as a field sampled at the patch centres (bilinear in between; any
// stride, so overlapping patches simply sample it more densely) and takes the extent of the area
// where the field stays above floor + level * (peak - floor), peak being the region's best score
// and floor the slide's median. With level 0.5 this is the half-maximum extent: when a patch's
// score follows the fraction of it covered by the lesion (or any response symmetric about half
// cover), the field crosses half height on the lesion's edge, while a grid-snapped box can be off
// by up to a whole patch on each side.
import type { Box } from '@slidepipe/geometry';
import type { ScoreGrid } from './grid';

export interface RefineOptions {
  /** Height of the cut between the slide's floor (0) and the region's peak (1). */
  level: number;
  /** Field samples per grid stride while tracing the area. */
  sub: number;
}

export const DEFAULT_REFINE: RefineOptions = { level: 0.5, sub: 8 };

export function snappedBox(grid: ScoreGrid, members: readonly number[]): Box {
  let x1 = Infinity;
  let y1 = Infinity;
  let x2 = -Infinity;
  let y2 = -Infinity;
  for (const m of members) {
    x1 = Math.min(x1, grid.x0[m]);
    y1 = Math.min(y1, grid.y0[m]);
    x2 = Math.max(x2, grid.x0[m] + grid.w0[m]);
    y2 = Math.max(y2, grid.y0[m] + grid.h0[m]);
  }
  return { x1, y1, x2, y2 };
}

/**
 * The refined box of region `regionId`. `owner` gives each patch's region (or -1), so the traced
 * area never runs into another region's patches. Falls back to the snapped box when the cut
 * leaves nothing (only possible for level close to 1).
 */
export function refinedBox(
  grid: ScoreGrid,
  members: readonly number[],
  regionId: number,
  owner: Int32Array,
  floor: number,
  opts: RefineOptions,
): Box {
  let peak = 0;
  let cMin = Infinity;
  let cMax = -Infinity;
  let rMin = Infinity;
  let rMax = -Infinity;
  for (const m of members) {
    peak = Math.max(peak, grid.score[m]);
    cMin = Math.min(cMin, grid.col[m]);
    cMax = Math.max(cMax, grid.col[m]);
    rMin = Math.min(rMin, grid.row[m]);
    rMax = Math.max(rMax, grid.row[m]);
  }
  const cut = floor + opts.level * (peak - floor);
  // Two strides of margin: the cut can lie at most one stride beyond a member centre.
  const c0 = cMin - 2;
  const r0 = rMin - 2;
  const nc = cMax - cMin + 5;
  const nr = rMax - rMin + 5;
  const value = (c: number, r: number): number => {
    const j = grid.at(c, r);
    return j < 0 ? 0 : grid.score[j];
  };
  const sub = opts.sub;
  const fw = (nc - 1) * sub + 1;
  const fh = (nr - 1) * sub + 1;
  // Fine samples at u = c0 + i / sub (in columns), v = r0 + j / sub: the grid centres are among them.
  const field = new Float32Array(fw * fh);
  const blocked = new Uint8Array(fw * fh);
  for (let j = 0; j < fh; j++) {
    const v = j / sub;
    const r = Math.min(Math.floor(v), nr - 2);
    const fy = v - r;
    for (let i = 0; i < fw; i++) {
      const u = i / sub;
      const c = Math.min(Math.floor(u), nc - 2);
      const fx = u - c;
      const a = value(c0 + c, r0 + r);
      const b = value(c0 + c + 1, r0 + r);
      const d = value(c0 + c, r0 + r + 1);
      const e = value(c0 + c + 1, r0 + r + 1);
      field[j * fw + i] = (a * (1 - fx) + b * fx) * (1 - fy) + (d * (1 - fx) + e * fx) * fy;
      const near = grid.at(c0 + Math.round(u), r0 + Math.round(v));
      if (near >= 0 && owner[near] >= 0 && owner[near] !== regionId) blocked[j * fw + i] = 1;
    }
  }
  // Flood the cut area from the member centres (4-connected).
  const inside = new Uint8Array(fw * fh);
  const stack: number[] = [];
  for (const m of members) {
    const k = (grid.row[m] - r0) * sub * fw + (grid.col[m] - c0) * sub;
    if (field[k] >= cut && !inside[k]) {
      inside[k] = 1;
      stack.push(k);
    }
  }
  if (!stack.length) return snappedBox(grid, members);
  let iMin = fw;
  let iMax = -1;
  let jMin = fh;
  let jMax = -1;
  while (stack.length) {
    const k = stack.pop()!;
    const i = k % fw;
    const j = (k - i) / fw;
    iMin = Math.min(iMin, i);
    iMax = Math.max(iMax, i);
    jMin = Math.min(jMin, j);
    jMax = Math.max(jMax, j);
    for (const [di, dj] of [
      [1, 0],
      [-1, 0],
      [0, 1],
      [0, -1],
    ] as const) {
      const ii = i + di;
      const jj = j + dj;
      if (ii < 0 || jj < 0 || ii >= fw || jj >= fh) continue;
      const kk = jj * fw + ii;
      if (!inside[kk] && !blocked[kk] && field[kk] >= cut) {
        inside[kk] = 1;
        stack.push(kk);
      }
    }
  }
  // Each edge: where the field crosses the cut between the outermost inside sample and the next
  // one out (linear in between, as bilinear interpolation is along one axis), furthest out.
  const cross = (kIn: number, kOut: number | null): number => {
    if (kOut === null) return 0;
    const a = field[kIn];
    const b = field[kOut];
    return a === b ? 0 : Math.min(1, Math.max(0, (a - cut) / (a - b)));
  };
  let left = 0;
  let right = 0;
  for (let j = jMin; j <= jMax; j++) {
    if (inside[j * fw + iMin]) left = Math.max(left, cross(j * fw + iMin, iMin > 0 ? j * fw + iMin - 1 : null));
    if (inside[j * fw + iMax]) right = Math.max(right, cross(j * fw + iMax, iMax < fw - 1 ? j * fw + iMax + 1 : null));
  }
  let top = 0;
  let bottom = 0;
  for (let i = iMin; i <= iMax; i++) {
    if (inside[jMin * fw + i]) top = Math.max(top, cross(jMin * fw + i, jMin > 0 ? (jMin - 1) * fw + i : null));
    if (inside[jMax * fw + i])
      bottom = Math.max(bottom, cross(jMax * fw + i, jMax < fh - 1 ? (jMax + 1) * fw + i : null));
  }
  // Sample (i, j) sits at the centre of grid position (c0 + i / sub, r0 + j / sub).
  const x = (i: number) => grid.originX0 + (c0 + i / sub) * grid.strideX0 + grid.tileW0 / 2;
  const y = (j: number) => grid.originY0 + (r0 + j / sub) * grid.strideY0 + grid.tileH0 / 2;
  const hx = grid.strideX0 / sub;
  const hy = grid.strideY0 / sub;
  return { x1: x(iMin) - left * hx, y1: y(jMin) - top * hy, x2: x(iMax) + right * hx, y2: y(jMax) + bottom * hy };
}
