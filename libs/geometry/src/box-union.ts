import { type Box, boxArea, intersectBoxes } from './box';

/**
 * Exact area of the union of boxes (overlaps counted once), optionally restricted to `clip`.
 * Sweeps the x coordinates of the box edges (coordinate compression) and merges the y
 * intervals within each vertical slab: O(n^2 log n), fine for the tens of boxes that meet one
 * patch. With integer corners every product is an integer, so the result is exact.
 */
export function unionAreaOfBoxes(boxes: readonly Box[], clip?: Box): number {
  const parts: Box[] = [];
  for (const box of boxes) {
    const part = clip ? intersectBoxes(box, clip) : box;
    if (part && boxArea(part) > 0) parts.push(part);
  }
  if (parts.length === 0) return 0;
  if (parts.length === 1) return boxArea(parts[0]);

  const xs = [...new Set(parts.flatMap((b) => [b.x1, b.x2]))].sort((a, b) => a - b);
  let area = 0;
  const spans: [number, number][] = [];
  for (let i = 0; i + 1 < xs.length; i++) {
    const left = xs[i];
    const right = xs[i + 1];
    spans.length = 0;
    for (const b of parts) if (b.x1 <= left && b.x2 >= right) spans.push([b.y1, b.y2]);
    if (spans.length === 0) continue;
    spans.sort((a, b) => a[0] - b[0]);
    let covered = 0;
    let [start, end] = spans[0];
    for (let j = 1; j < spans.length; j++) {
      const [s, e] = spans[j];
      if (s > end) {
        covered += end - start;
        start = s;
        end = e;
      } else if (e > end) {
        end = e;
      }
    }
    covered += end - start;
    area += covered * (right - left);
  }
  return area;
}

/**
 * Fraction of `patch` covered by the union of `boxes`, in [0, 1]. The patch must have a
 * positive area (checked by the callers that take user input, e.g. patchLabelMeasures).
 */
export function boxCoverage(patch: Box, boxes: readonly Box[]): number {
  return unionAreaOfBoxes(boxes, patch) / boxArea(patch);
}
