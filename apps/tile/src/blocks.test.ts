import { describe, expect, it } from 'vitest';
import { planBlocks } from './blocks';
import { makeGrid, selectPatches } from './grid';

describe('planBlocks', () => {
  it('groups a full grid into square blocks read in order, patches row by row inside each', () => {
    const grid = makeGrid(2560, 2560, 256, 256, 256);
    const { patches, blocks } = planBlocks(
      selectPatches(grid, () => 1, 0),
      grid,
      256,
      1,
      1024,
    );
    // 10 x 10 cells, 4 x 4 per block: 3 x 3 blocks.
    expect(blocks).toHaveLength(9);
    expect(blocks.map((b) => b.count)).toEqual([16, 16, 8, 16, 16, 8, 8, 8, 4]);
    expect(blocks[1]).toMatchObject({ first: 16, x0: 1024, y0: 0, widthPx: 1024, heightPx: 1024 });
    expect([...blocks[1].offsetsPx.subarray(0, 6)]).toEqual([0, 0, 256, 0, 512, 0]);
    expect(blocks[2]).toMatchObject({ x0: 2048, widthPx: 512, heightPx: 1024 });
    // Reading order: the first block's patches, then the second's.
    expect([...patches.col.subarray(0, 5)]).toEqual([0, 1, 2, 3, 0]);
    expect([...patches.col.subarray(16, 18)]).toEqual([4, 5]);
    expect(patches.count).toBe(100);
    expect(new Set(Array.from(patches.x0, (x, i) => `${x},${patches.y0[i]}`)).size).toBe(100);
  });

  it('counts block size in pixels of the read level, with overlapping strides', () => {
    // Level downsample 2, 256 px reads (512 level-0 px), stride 128 output px = 256 level-0 px.
    const grid = makeGrid(8192, 1024, 512, 256, 128);
    const { blocks } = planBlocks(
      selectPatches(grid, () => 1, 0),
      grid,
      256,
      2,
      1024,
    );
    // (1024 - 256) / 128 + 1 = 7 cells a side; offsets step 128 level px.
    expect(blocks[0].count).toBe(7 * 3);
    expect(blocks[0]).toMatchObject({ widthPx: 6 * 128 + 256, heightPx: 2 * 128 + 256 });
    expect([...blocks[0].offsetsPx.subarray(0, 4)]).toEqual([0, 0, 128, 0]);
  });

  it('reads the patches of a mostly empty block one by one', () => {
    const grid = makeGrid(2048, 2048, 256, 256, 256);
    // Two kept cells at opposite corners of one 8 x 8 block, and a full row in the next band.
    const kept = (x0: number, y0: number) => ((x0 === 0 && y0 === 0) || (x0 === 1792 && y0 === 1792) ? 1 : 0);
    const { blocks, patches } = planBlocks(selectPatches(grid, kept, 0.5), grid, 256, 1, 2048);
    expect(blocks).toHaveLength(2);
    expect(blocks.map((b) => [b.x0, b.y0, b.widthPx, b.count])).toEqual([
      [0, 0, 256, 1],
      [1792, 1792, 256, 1],
    ]);
    expect(patches.count).toBe(2);
  });
});
