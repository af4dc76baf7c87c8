/**
 * Maximum-weight assignment (Hungarian algorithm, Kuhn-Munkres with potentials, O(n² m)).
 * Every row of the smaller side is paired with a distinct column; with non-negative weights a
 * pair of weight 0 is as good as no pair, so callers drop those. Returns [row, column] pairs
 * sorted by row.
 */
export function maxWeightAssignment(weights: readonly (readonly number[])[]): [number, number][] {
  const rows = weights.length;
  const cols = rows === 0 ? 0 : weights[0].length;
  if (rows === 0 || cols === 0) return [];
  if (rows > cols) {
    const transposed = Array.from({ length: cols }, (_, c) => weights.map((row) => row[c]));
    return maxWeightAssignment(transposed)
      .map(([c, r]): [number, number] => [r, c])
      .sort((a, b) => a[0] - b[0]);
  }
  const columnOf = hungarianMinCost((r, c) => -weights[r][c], rows, cols);
  return columnOf.map((c, r): [number, number] => [r, c]);
}

/**
 * Min-cost assignment of n rows into m >= n columns; returns the column of each row. 1-based
 * internally, column 0 being the virtual start of each augmenting path (e-maxx formulation).
 */
function hungarianMinCost(cost: (row: number, col: number) => number, n: number, m: number): number[] {
  const u = new Float64Array(n + 1);
  const v = new Float64Array(m + 1);
  const rowOfCol = new Int32Array(m + 1);
  const way = new Int32Array(m + 1);
  for (let i = 1; i <= n; i++) {
    rowOfCol[0] = i;
    let j0 = 0;
    const minv = new Float64Array(m + 1).fill(Infinity);
    const used = new Uint8Array(m + 1);
    do {
      used[j0] = 1;
      const i0 = rowOfCol[j0];
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const reduced = cost(i0 - 1, j - 1) - u[i0] - v[j];
        if (reduced < minv[j]) {
          minv[j] = reduced;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[rowOfCol[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (rowOfCol[j0] !== 0);
    do {
      const j1 = way[j0];
      rowOfCol[j0] = rowOfCol[j1];
      j0 = j1;
    } while (j0 !== 0);
  }
  const columnOf = new Array<number>(n).fill(-1);
  for (let j = 1; j <= m; j++) if (rowOfCol[j] !== 0) columnOf[rowOfCol[j] - 1] = j - 1;
  return columnOf;
}
