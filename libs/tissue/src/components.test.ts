import { describe, expect, it } from 'vitest';
import { fillSmallHoles, labelComponents, removeSmallComponents } from './components';
import { maskFromArt, maskToArt, randomMask, mulberry32 as rng } from '@slidepipe/testing';
import type { Mask } from './types';

/** Union-find over raster neighbours, labels renumbered by first pixel in raster order. */
function unionFindLabels(mask: Mask, connectivity: 4 | 8): Int32Array {
  const { width, height, data } = mask;
  const parent = Int32Array.from({ length: width * height }, (_, i) => i);
  const root = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]];
    return i;
  };
  const offsets =
    connectivity === 8
      ? [
          [-1, 0],
          [-1, -1],
          [0, -1],
          [1, -1],
        ]
      : [
          [-1, 0],
          [0, -1],
        ];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!data[y * width + x]) continue;
      for (const [dx, dy] of offsets) {
        const xx = x + dx;
        const yy = y + dy;
        if (xx < 0 || yy < 0 || xx >= width || !data[yy * width + xx]) continue;
        parent[root(yy * width + xx)] = root(y * width + x);
      }
    }
  }
  const names = new Map<number, number>();
  const out = new Int32Array(width * height);
  for (let i = 0; i < out.length; i++) {
    if (!data[i]) continue;
    const r = root(i);
    if (!names.has(r)) names.set(r, names.size + 1);
    out[i] = names.get(r) as number;
  }
  return out;
}

describe('labelComponents', () => {
  it('matches union-find on random masks (4 and 8 connectivity) and areas sum to the tissue count', () => {
    const next = rng(5);
    for (const p of [0.3, 0.55, 0.7]) {
      const m = randomMask(37, 29, p, next);
      for (const c of [4, 8] as const) {
        const got = labelComponents(m, c);
        expect(got.labels).toEqual(unionFindLabels(m, c));
        const areas = Array.from(got.areasPx).slice(1);
        expect(areas.length).toBe(got.count);
        expect(areas.reduce((s, a) => s + a, 0)).toBe(m.data.reduce((s, v) => s + v, 0));
      }
    }
  });

  it('joins diagonal neighbours with 8-connectivity only', () => {
    const m = maskFromArt(['#..', '.#.', '..#']);
    expect(labelComponents(m, 8).count).toBe(1);
    expect(Array.from(labelComponents(m, 8).areasPx)).toEqual([0, 3]);
    expect(labelComponents(m, 4).count).toBe(3);
  });

  it('labels background when asked', () => {
    const m = maskFromArt(['###', '#.#', '###']);
    const bg = labelComponents(m, 4, 0);
    expect(bg.count).toBe(1);
    expect(bg.labels[4]).toBe(1);
  });
});

describe('removeSmallComponents', () => {
  it('drops components below the area and keeps those at or above it', () => {
    const m = maskFromArt(['##....#', '##....#', '.......', '...###.', '...#...']);
    // Areas: 4 (top left), 2 (right), 4 (bottom L).
    expect(maskToArt(removeSmallComponents(m, 4))).toEqual(['##.....', '##.....', '.......', '...###.', '...#...']);
    expect(maskToArt(removeSmallComponents(m, 5))).toEqual(['.......', '.......', '.......', '.......', '.......']);
  });
});

describe('fillSmallHoles', () => {
  const ring = ['.........', '.#######.', '.#.....#.', '.#.....#.', '.#######.', '.........'];
  it('fills an enclosed hole of at most the area, not a larger one', () => {
    // The hole is 5 x 2 = 10 px.
    expect(maskToArt(fillSmallHoles(maskFromArt(ring), 10))).toEqual([
      '.........',
      '.#######.',
      '.#######.',
      '.#######.',
      '.#######.',
      '.........',
    ]);
    expect(maskToArt(fillSmallHoles(maskFromArt(ring), 9))).toEqual(ring);
  });

  it('leaves background that reaches the image border, and sees holes behind a diagonal gap', () => {
    const open = ['.#####', '.#...#', '.#...#', '.#....'];
    expect(maskToArt(fillSmallHoles(maskFromArt(open), 100))).toEqual(open);
    // 8-connected tissue closes the ring at the diagonal, so the centre is a hole.
    const diag = ['##.', '#.#', '.##'];
    expect(maskToArt(fillSmallHoles(maskFromArt(diag), 1))).toEqual(['##.', '###', '.##']);
  });
});
