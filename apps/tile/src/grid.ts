// The patch grid on level 0: where each patch starts, how far it reaches, and which cells are kept.

export interface Grid {
  width0: number;
  height0: number;
  cols: number;
  rows: number;
  /** Level-0 pixels covered by one patch side (w0 = h0), rounded from the read plan. */
  extent0Px: number;
  /** Level-0 pixels from one patch origin to the next; fractional when a level downsample is. */
  stride0Px: number;
}

/** Cells along one axis: enough that the last patch reaches the slide's edge, none starting beyond it. */
function cellsAlong(length0: number, extent0: number, stride0: number): number {
  let n = Math.max(1, Math.ceil((length0 - extent0) / stride0) + 1);
  // A stride wider than the patch may put the last origin past the edge.
  while (n > 1 && Math.round((n - 1) * stride0) >= length0) n--;
  return n;
}

/**
 * The grid for patches of `tilePx` output pixels spaced `stridePx` output pixels apart, where one
 * patch covers `extent0Px` level-0 pixels (ReadPlan.extent0Px). Edge patches may reach past the
 * slide (they are read as white there, and their tissue fraction counts the outside as background).
 */
export function makeGrid(width0: number, height0: number, extent0Px: number, tilePx: number, stridePx: number): Grid {
  const stride0Px = (stridePx * extent0Px) / tilePx;
  return {
    width0,
    height0,
    cols: cellsAlong(width0, extent0Px, stride0Px),
    rows: cellsAlong(height0, extent0Px, stride0Px),
    extent0Px: Math.round(extent0Px),
    stride0Px,
  };
}

/** Level-0 left edge of grid column `col` (and top edge of row `col`). */
export function cellOrigin0(grid: Grid, index: number): number {
  return Math.round(index * grid.stride0Px);
}

/** Fraction of a level-0 footprint inside the slide: the tissue fraction when every pixel counts as tissue. */
export function insideFraction(grid: Grid, x0: number, y0: number): number {
  const w = Math.min(grid.extent0Px, grid.width0 - x0);
  const h = Math.min(grid.extent0Px, grid.height0 - y0);
  return w <= 0 || h <= 0 ? 0 : (w * h) / (grid.extent0Px * grid.extent0Px);
}

/** The kept patches, row-major, as columns. */
export interface PatchList {
  count: number;
  col: Int32Array;
  row: Int32Array;
  x0: Int32Array;
  y0: Int32Array;
  tissue: Float32Array;
}

/** Cells whose tissue fraction is at least `minTissue`, in reading order (row by row). */
export function selectPatches(
  grid: Grid,
  tissueFraction: (x0: number, y0: number, extent0Px: number) => number,
  minTissue: number,
): PatchList {
  const cells = grid.cols * grid.rows;
  const col = new Int32Array(cells);
  const row = new Int32Array(cells);
  const x0s = new Int32Array(cells);
  const y0s = new Int32Array(cells);
  const tissue = new Float32Array(cells);
  let n = 0;
  for (let r = 0; r < grid.rows; r++) {
    const y0 = cellOrigin0(grid, r);
    for (let c = 0; c < grid.cols; c++) {
      const x0 = cellOrigin0(grid, c);
      const f = tissueFraction(x0, y0, grid.extent0Px);
      if (f < minTissue) continue;
      col[n] = c;
      row[n] = r;
      x0s[n] = x0;
      y0s[n] = y0;
      tissue[n] = f;
      n++;
    }
  }
  return {
    count: n,
    col: col.slice(0, n),
    row: row.slice(0, n),
    x0: x0s.slice(0, n),
    y0: y0s.slice(0, n),
    tissue: tissue.slice(0, n),
  };
}
