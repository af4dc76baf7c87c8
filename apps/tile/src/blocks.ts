// Patches are read from OpenSlide in blocks of neighbouring patches rather than one by one: a
// block of 4 x 4 patches decodes most slide tiles once, where patch-by-patch reads decode the
// tiles along every patch edge again (OpenSlide 3.4.1's tile cache is small and fixed), and it
// costs one worker-thread round trip instead of 16. Patches are then encoded straight out of it.
// Measured on a 20x Aperio slide with 240 px tiles, OpenSlide CPU per 256 px patch: single reads
// 1.95 ms, 512 px blocks 1.72, 1024 px 1.67, 2048 px 1.85 (and more memory held by malloc).
import type { Grid, PatchList } from './grid';

/** Side of a block read through OpenSlide, in level pixels (1024 x 1024 BGRA = 4 MB). */
export const BLOCK_PX = 1024;
/**
 * Side of a block decoded from JPEG tiles directly: larger, since tiles on a block's edge are
 * decoded once per block that needs them (no cache), and the memory is ours, not malloc's.
 */
export const TILE_BLOCK_PX = 2048;
// A block whose kept patches cover less than this share of its area is read patch by patch,
// so tissue edges do not cost reads of background.
const MIN_BLOCK_FILL = 0.5;

export interface ReadBlock {
  /** Its patches are first .. first + count - 1 of the reordered patch list. */
  first: number;
  count: number;
  /** Level-0 origin of the read. */
  x0: number;
  y0: number;
  /** Size of the read in pixels of the read level. */
  widthPx: number;
  heightPx: number;
  /** Each patch's top-left inside the read, in level pixels, as x, y pairs. */
  offsetsPx: Int32Array;
}

export interface BlockPlan {
  /** The patches in reading order: block by block, row by row inside a block. */
  patches: PatchList;
  blocks: ReadBlock[];
}

function reorder(p: PatchList, order: number[]): PatchList {
  const pick = <T extends Int32Array | Float32Array>(a: T): T => {
    const out = new (a.constructor as { new (n: number): T })(order.length);
    order.forEach((i, k) => (out[k] = a[i]));
    return out;
  };
  return {
    count: order.length,
    col: pick(p.col),
    row: pick(p.row),
    x0: pick(p.x0),
    y0: pick(p.y0),
    tissue: pick(p.tissue),
  };
}

/**
 * Groups the kept patches (row-major) into square blocks of grid cells whose reads are at most
 * about `blockPx` level pixels a side. `readPx` is the side read per patch at the level whose
 * downsample is `levelDownsample`.
 */
export function planBlocks(
  patches: PatchList,
  grid: Grid,
  readPx: number,
  levelDownsample: number,
  blockPx = BLOCK_PX,
): BlockPlan {
  const strideLevelPx = grid.stride0Px / levelDownsample;
  const cellsPerSide = Math.max(1, Math.floor((blockPx - readPx) / strideLevelPx) + 1);
  const blockCols = Math.ceil(grid.cols / cellsPerSide);
  // Patches come row by row, so each bucket fills in row-major order.
  const buckets = new Map<number, number[]>();
  for (let i = 0; i < patches.count; i++) {
    const key = Math.floor(patches.row[i] / cellsPerSide) * blockCols + Math.floor(patches.col[i] / cellsPerSide);
    let bucket = buckets.get(key);
    if (!bucket) buckets.set(key, (bucket = []));
    bucket.push(i);
  }
  const order: number[] = [];
  const blocks: ReadBlock[] = [];
  const toLevel = (d0: number) => Math.round(d0 / levelDownsample);
  for (const key of [...buckets.keys()].sort((a, b) => a - b)) {
    const members = buckets.get(key)!;
    let x0 = Infinity;
    let y0 = Infinity;
    let x1 = -Infinity;
    let y1 = -Infinity;
    for (const i of members) {
      x0 = Math.min(x0, patches.x0[i]);
      y0 = Math.min(y0, patches.y0[i]);
      x1 = Math.max(x1, patches.x0[i]);
      y1 = Math.max(y1, patches.y0[i]);
    }
    const widthPx = toLevel(x1 - x0) + readPx;
    const heightPx = toLevel(y1 - y0) + readPx;
    const sparse = members.length * readPx * readPx < MIN_BLOCK_FILL * widthPx * heightPx;
    if (members.length === 1 || sparse) {
      for (const i of members) {
        blocks.push({
          first: order.length,
          count: 1,
          x0: patches.x0[i],
          y0: patches.y0[i],
          widthPx: readPx,
          heightPx: readPx,
          offsetsPx: new Int32Array(2),
        });
        order.push(i);
      }
      continue;
    }
    const offsetsPx = new Int32Array(members.length * 2);
    members.forEach((i, k) => {
      offsetsPx[2 * k] = Math.min(widthPx - readPx, toLevel(patches.x0[i] - x0));
      offsetsPx[2 * k + 1] = Math.min(heightPx - readPx, toLevel(patches.y0[i] - y0));
    });
    blocks.push({ first: order.length, count: members.length, x0, y0, widthPx, heightPx, offsetsPx });
    order.push(...members);
  }
  return { patches: reorder(patches, order), blocks };
}
