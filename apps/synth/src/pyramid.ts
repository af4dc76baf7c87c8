// Builds the lower pyramid levels while level 0 streams in, tile row by tile row: each completed
// row of level l is box-downsampled 2x2 into the pending row of level l + 1, which is emitted as
// soon as its two source rows are in. Memory: about two level-0 tile rows, whatever the height.
//
// A tile is `null` when it is bare glass. Glass is identical in every such tile (see
// SlideRenderer.backgroundTile), so it is stored once per level and a parent of four glass tiles
// is glass again: nothing is computed or encoded for the empty 90 % of a DigiLut slide.

export interface PyramidLevel {
  widthPx: number;
  heightPx: number;
  across: number;
  down: number;
}

/** Halves (rounding up) until the longer side is at most `smallestLevelPx`. */
export function pyramidLevels(
  widthPx: number,
  heightPx: number,
  tilePx: number,
  smallestLevelPx: number,
): PyramidLevel[] {
  const levels: PyramidLevel[] = [];
  let w = widthPx;
  let h = heightPx;
  for (;;) {
    levels.push({ widthPx: w, heightPx: h, across: Math.ceil(w / tilePx), down: Math.ceil(h / tilePx) });
    if (Math.max(w, h) <= smallestLevelPx) break;
    w = Math.ceil(w / 2);
    h = Math.ceil(h / 2);
  }
  return levels;
}

/** Averages a tile 2x2 into one quadrant (qx, qy) of `dest` (both tilePx x tilePx RGB). */
export function downsampleInto(dest: Uint8Array, src: Uint8Array, tilePx: number, qx: number, qy: number): void {
  const half = tilePx >> 1;
  const stride = tilePx * 3;
  for (let y = 0; y < half; y++) {
    const s0 = 2 * y * stride;
    const s1 = s0 + stride;
    let d = (qy * half + y) * stride + qx * half * 3;
    for (let x = 0; x < half; x++, d += 3) {
      const a = s0 + 6 * x;
      const b = s1 + 6 * x;
      dest[d] = (src[a] + src[a + 3] + src[b] + src[b + 3] + 2) >> 2;
      dest[d + 1] = (src[a + 1] + src[a + 4] + src[b + 1] + src[b + 4] + 2) >> 2;
      dest[d + 2] = (src[a + 2] + src[a + 5] + src[b + 2] + src[b + 5] + 2) >> 2;
    }
  }
}

/** Receives each finished tile row of a level, left to right (null = glass). */
export type RowSink = (level: number, row: number, tiles: (Uint8Array | null)[]) => Promise<void>;

export class PyramidBuilder {
  readonly levels: PyramidLevel[];
  /** The glass tile of every level. */
  readonly glass: Uint8Array[];
  private readonly tilePx: number;
  private readonly sink: RowSink;
  private readonly pending: (Uint8Array | null)[][];
  private readonly filled: Uint8Array[];
  private readonly nextRow: number[];
  private readonly pool: Uint8Array[] = [];

  constructor(levels: PyramidLevel[], tilePx: number, glassLevel0: Uint8Array, sink: RowSink) {
    this.levels = levels;
    this.tilePx = tilePx;
    this.sink = sink;
    this.glass = [glassLevel0];
    for (let l = 1; l < levels.length; l++) {
      const g = new Uint8Array(tilePx * tilePx * 3);
      for (let q = 0; q < 4; q++) downsampleInto(g, this.glass[l - 1], tilePx, q & 1, q >> 1);
      this.glass.push(g);
    }
    this.pending = levels.map((lv) => new Array<Uint8Array | null>(lv.across).fill(null));
    this.filled = levels.map((lv) => new Uint8Array(lv.across));
    this.nextRow = levels.map(() => 0);
  }

  /** Feeds the next level-0 tile row. The caller may reuse the row's buffers once this resolves. */
  async pushRow(tiles: (Uint8Array | null)[]): Promise<void> {
    await this.rowDone(0, tiles);
  }

  /** Checks that every level received all of its rows. */
  finish(): void {
    this.levels.forEach((lv, l) => {
      if (this.nextRow[l] !== lv.down)
        throw new Error(`pyramid: level ${l} got ${this.nextRow[l]} of ${lv.down} tile rows`);
    });
  }

  private async rowDone(level: number, tiles: (Uint8Array | null)[]): Promise<void> {
    const lv = this.levels[level];
    const row = this.nextRow[level];
    if (tiles.length !== lv.across)
      throw new Error(`pyramid: level ${level} row ${row} has ${tiles.length} tiles, expected ${lv.across}`);
    if (row >= lv.down) throw new Error(`pyramid: level ${level} has only ${lv.down} tile rows`);
    this.nextRow[level]++;
    await this.sink(level, row, tiles);
    const up = level + 1;
    if (up < this.levels.length) {
      const parents = this.pending[up];
      const filled = this.filled[up];
      const qy = row & 1;
      for (let c = 0; c < tiles.length; c++) {
        const t = tiles[c];
        if (!t) continue;
        const p = c >> 1;
        parents[p] ??= this.pool.pop() ?? new Uint8Array(this.tilePx * this.tilePx * 3);
        downsampleInto(parents[p]!, t, this.tilePx, c & 1, qy);
        filled[p] |= 1 << ((c & 1) + 2 * qy);
      }
      if (qy === 1 || row === lv.down - 1) {
        // Quadrants without a source tile are glass (or padding beyond the level's edge).
        const g = this.glass[up];
        for (let p = 0; p < parents.length; p++) {
          const t = parents[p];
          if (!t) continue;
          for (let q = 0; q < 4; q++) if (!(filled[p] & (1 << q))) copyQuadrant(t, g, this.tilePx, q & 1, q >> 1);
        }
        const rowTiles = parents.slice();
        parents.fill(null);
        filled.fill(0);
        await this.rowDone(up, rowTiles);
        for (const t of rowTiles) if (t) this.pool.push(t);
      }
    }
  }
}

function copyQuadrant(dest: Uint8Array, src: Uint8Array, tilePx: number, qx: number, qy: number): void {
  const half = tilePx >> 1;
  const stride = tilePx * 3;
  for (let y = 0; y < half; y++) {
    const start = (qy * half + y) * stride + qx * half * 3;
    dest.set(src.subarray(start, start + half * 3), start);
  }
}
