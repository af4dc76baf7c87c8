import { type Box, boxContainsPoint } from './box';

/** Above this many cells the grid coarsens, so a few far-apart items never allocate a huge array. */
const MAX_CELLS = 1 << 20;

/**
 * Uniform grid over the bounding boxes of a few hundred items at most (the annotations of one
 * slide). Each item is listed in every cell its bounds touch; a query visits only the cells
 * under the query rectangle, so labelling ~10k patches costs a few cell look-ups each instead
 * of a scan of every annotation.
 */
export class GridIndex {
  readonly cellSizePx: number;
  private readonly bounds: readonly Box[];
  private readonly originX: number;
  private readonly originY: number;
  private readonly cols: number;
  private readonly rows: number;
  private readonly cells: (number[] | undefined)[];
  // Query stamps deduplicate items listed in several visited cells without allocating a Set.
  private readonly stamps: Uint32Array;
  private stamp = 0;

  constructor(bounds: readonly Box[], cellSizePx?: number) {
    this.bounds = bounds;
    this.stamps = new Uint32Array(bounds.length);
    if (bounds.length === 0) {
      this.cellSizePx = 1;
      this.originX = this.originY = 0;
      this.cols = this.rows = 0;
      this.cells = [];
      return;
    }
    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    for (const b of bounds) {
      minX = Math.min(minX, b.x1);
      minY = Math.min(minY, b.y1);
      maxX = Math.max(maxX, b.x2);
      maxY = Math.max(maxY, b.y2);
    }
    let cell = cellSizePx ?? defaultCellSize(bounds);
    if (!(cell > 0) || !Number.isFinite(cell)) {
      throw new RangeError(`grid index: expected a positive finite cellSizePx, received ${cellSizePx}`);
    }
    while ((Math.floor((maxX - minX) / cell) + 1) * (Math.floor((maxY - minY) / cell) + 1) > MAX_CELLS) cell *= 2;
    this.cellSizePx = cell;
    this.originX = minX;
    this.originY = minY;
    this.cols = Math.floor((maxX - minX) / cell) + 1;
    this.rows = Math.floor((maxY - minY) / cell) + 1;
    this.cells = new Array(this.cols * this.rows);
    bounds.forEach((b, item) => {
      const [c1, c2, r1, r2] = this.cellRange(b);
      for (let r = r1; r <= r2; r++) {
        for (let c = c1; c <= c2; c++) (this.cells[r * this.cols + c] ??= []).push(item);
      }
    });
  }

  /**
   * Indices (ascending) of items whose bounds overlap `rect` in their interiors; items with
   * zero-area bounds are returned when they lie strictly inside it. Touching edges do not count.
   */
  query(rect: Box): number[] {
    return this.collect(rect, (b) => b.x1 < rect.x2 && rect.x1 < b.x2 && b.y1 < rect.y2 && rect.y1 < b.y2);
  }

  /** Indices (ascending) of items whose bounds contain the point, half-open like boxContainsPoint. */
  queryPoint(x: number, y: number): number[] {
    return this.collect({ x1: x, y1: y, x2: x, y2: y }, (b) => boxContainsPoint(b, x, y));
  }

  private collect(rect: Box, keep: (b: Box) => boolean): number[] {
    if (this.cells.length === 0) return [];
    const [c1, c2, r1, r2] = this.cellRange(rect);
    if (c1 > c2 || r1 > r2) return [];
    if (++this.stamp === 0xffffffff) {
      this.stamps.fill(0);
      this.stamp = 1;
    }
    const found: number[] = [];
    for (let r = r1; r <= r2; r++) {
      for (let c = c1; c <= c2; c++) {
        for (const item of this.cells[r * this.cols + c] ?? []) {
          if (this.stamps[item] === this.stamp) continue;
          this.stamps[item] = this.stamp;
          if (keep(this.bounds[item])) found.push(item);
        }
      }
    }
    return found.sort((a, b) => a - b);
  }

  /** Inclusive cell ranges [c1, c2] x [r1, r2] clamped to the grid; empty when c1 > c2 or r1 > r2. */
  private cellRange(b: Box): [number, number, number, number] {
    const cell = this.cellSizePx;
    return [
      Math.max(0, Math.floor((b.x1 - this.originX) / cell)),
      Math.min(this.cols - 1, Math.floor((b.x2 - this.originX) / cell)),
      Math.max(0, Math.floor((b.y1 - this.originY) / cell)),
      Math.min(this.rows - 1, Math.floor((b.y2 - this.originY) / cell)),
    ];
  }
}

/** The median item extent: most items then span a 2x2 block of cells at most. */
function defaultCellSize(bounds: readonly Box[]): number {
  const extents = bounds.map((b) => Math.max(b.x2 - b.x1, b.y2 - b.y1)).sort((a, b) => a - b);
  return Math.max(64, extents[Math.floor(extents.length / 2)]);
}
