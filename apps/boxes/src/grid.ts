// The patch scores of one slide laid out on their tiling grid. Only small per-patch keys are kept
// (five numbers a patch), so a whole slide fits easily; patch pixels never reach this tool.
import { inputError } from '@slidepipe/cli';
import type { Box } from '@slidepipe/geometry';

/** Growable column store for the patches of one slide, filled batch by batch. */
export class PatchColumns {
  n = 0;
  x0 = new Int32Array(1024);
  y0 = new Int32Array(1024);
  w0 = new Int32Array(1024);
  h0 = new Int32Array(1024);
  col = new Int32Array(1024);
  row = new Int32Array(1024);
  score = new Float32Array(1024);

  push(x0: number, y0: number, w0: number, h0: number, col: number, row: number, score: number): void {
    if (this.n === this.x0.length) this.grow();
    const i = this.n++;
    this.x0[i] = x0;
    this.y0[i] = y0;
    this.w0[i] = w0;
    this.h0[i] = h0;
    this.col[i] = col;
    this.row[i] = row;
    this.score[i] = score;
  }

  private grow(): void {
    const cap = this.x0.length * 2;
    const g = <T extends Int32Array | Float32Array>(a: T): T => {
      const b = new (a.constructor as { new (n: number): T })(cap);
      b.set(a);
      return b;
    };
    this.x0 = g(this.x0);
    this.y0 = g(this.y0);
    this.w0 = g(this.w0);
    this.h0 = g(this.h0);
    this.col = g(this.col);
    this.row = g(this.row);
    this.score = g(this.score);
  }
}

/**
 * Patches on a regular grid: patch i covers [x0, x0 + w0) x [y0, y0 + h0) in level-0 px, and
 * x0 = originX0 + col * strideX0 (same for y). Stride < footprint means overlapping patches.
 */
export class ScoreGrid {
  readonly n: number;
  readonly x0: Int32Array;
  readonly y0: Int32Array;
  readonly w0: Int32Array;
  readonly h0: Int32Array;
  readonly col: Int32Array;
  readonly row: Int32Array;
  readonly score: Float32Array;
  /** Grid step in level-0 px (fractional when the output mpp is not a multiple of mpp0). */
  readonly strideX0: number;
  readonly strideY0: number;
  readonly originX0: number;
  readonly originY0: number;
  /** Typical patch footprint in level-0 px. */
  readonly tileW0: number;
  readonly tileH0: number;
  readonly colMin: number;
  readonly rowMin: number;
  readonly cols: number;
  readonly rows: number;
  /** Patch index at (col - colMin, row - rowMin), or -1 where no patch was scored. */
  private readonly cells: Int32Array;

  constructor(
    readonly slideId: string,
    p: PatchColumns,
    /** Level-0 slide size, for clamping boxes. */
    readonly width0: number,
    readonly height0: number,
  ) {
    this.n = p.n;
    const s = (a: Int32Array) => a.subarray(0, p.n);
    this.x0 = s(p.x0);
    this.y0 = s(p.y0);
    this.w0 = s(p.w0);
    this.h0 = s(p.h0);
    this.col = s(p.col);
    this.row = s(p.row);
    this.score = p.score.subarray(0, p.n);
    for (let i = 0; i < this.n; i++) {
      const v = this.score[i];
      if (!(v >= 0 && v <= 1))
        throw inputError(
          `slide ${slideId}`,
          `patch score ${v} at col ${this.col[i]}, row ${this.row[i]} is not in [0, 1]`,
        );
    }
    const axis = (pos: Int32Array, idx: Int32Array, size: Int32Array) => {
      let lo = 0;
      let hi = 0;
      for (let i = 1; i < this.n; i++) {
        if (idx[i] < idx[lo]) lo = i;
        if (idx[i] > idx[hi]) hi = i;
      }
      const stride = !this.n ? 1 : idx[hi] > idx[lo] ? (pos[hi] - pos[lo]) / (idx[hi] - idx[lo]) : size[0];
      return {
        stride,
        origin: this.n ? pos[lo] - idx[lo] * stride : 0,
        min: this.n ? idx[lo] : 0,
        max: this.n ? idx[hi] : -1,
      };
    };
    const ax = axis(this.x0, this.col, this.w0);
    const ay = axis(this.y0, this.row, this.h0);
    this.strideX0 = ax.stride;
    this.strideY0 = ay.stride;
    this.originX0 = ax.origin;
    this.originY0 = ay.origin;
    this.colMin = ax.min;
    this.rowMin = ay.min;
    this.cols = ax.max - ax.min + 1;
    this.rows = ay.max - ay.min + 1;
    this.tileW0 = this.n ? maxOf(this.w0) : 0;
    this.tileH0 = this.n ? maxOf(this.h0) : 0;
    if (this.n && !(this.strideX0 > 0 && this.strideY0 > 0)) {
      throw inputError(
        `slide ${slideId}`,
        `patches are not on a grid: x0 does not grow with col (stride ${this.strideX0} x ${this.strideY0} px)`,
      );
    }
    this.cells = new Int32Array(this.cols * this.rows).fill(-1);
    for (let i = 0; i < this.n; i++) {
      // Rounding of fractional strides to integer x0 stays within a pixel.
      if (
        Math.abs(this.originX0 + this.col[i] * this.strideX0 - this.x0[i]) > 1.01 ||
        Math.abs(this.originY0 + this.row[i] * this.strideY0 - this.y0[i]) > 1.01
      ) {
        throw inputError(
          `slide ${slideId}`,
          `patch at col ${this.col[i]}, row ${this.row[i]} (x0 ${this.x0[i]}, y0 ${this.y0[i]}) is off the tiling grid`,
        );
      }
      const c = (this.row[i] - this.rowMin) * this.cols + (this.col[i] - this.colMin);
      if (this.cells[c] >= 0)
        throw inputError(`slide ${slideId}`, `two patches at col ${this.col[i]}, row ${this.row[i]}`);
      this.cells[c] = i;
    }
  }

  /** Patch index at grid position (col, row), or -1. */
  at(col: number, row: number): number {
    const c = col - this.colMin;
    const r = row - this.rowMin;
    if (c < 0 || r < 0 || c >= this.cols || r >= this.rows) return -1;
    return this.cells[r * this.cols + c];
  }

  centreX0(i: number): number {
    return this.x0[i] + this.w0[i] / 2;
  }

  centreY0(i: number): number {
    return this.y0[i] + this.h0[i] / 2;
  }

  footprint(i: number): Box {
    return { x1: this.x0[i], y1: this.y0[i], x2: this.x0[i] + this.w0[i], y2: this.y0[i] + this.h0[i] };
  }

  /** Median patch score: the noise floor the refinement measures heights from. */
  medianScore(): number {
    if (!this.n) return 0;
    const s = Float32Array.from(this.score).sort();
    return s[s.length >> 1];
  }
}

function maxOf(a: Int32Array): number {
  let m = a[0];
  for (let i = 1; i < a.length; i++) if (a[i] > m) m = a[i];
  return m;
}
