import { describe, expect, it } from 'vitest';
import { scoreGrids } from '@slidepipe/testing';
import { methodFromRecipe, METHODS } from './registry';
import { PatchColumns, ScoreGrid } from '../grid';

// The grid helpers, bound to this tool's own grid classes.
const { gridFromPicture, gridOf } = scoreGrids(PatchColumns, ScoreGrid);

/** Regions as sorted lists of "col,row". */
function regions(recipe: string, g: ScoreGrid): string[][] {
  const m = methodFromRecipe(recipe);
  return m.def
    .propose(g, m.params)
    .map((r) => r.members.map((i) => `${g.col[i]},${g.row[i]}`).sort())
    .sort((a, b) => a[0].localeCompare(b[0]));
}

describe('components', () => {
  const g = gridFromPicture(`
    ..........
    .##.......
    .##....#..
    ..........
    .....#....
    .....4#...
  `);

  it('groups 8-connected positives and drops those without enough neighbours', () => {
    // The lone # at (7,2) has no neighbour >= 0.25; the pair at (5,4)/(6,5) is diagonal, and 4 counts as a neighbour (0.4 >= 0.25).
    expect(regions('components', g)).toEqual([
      ['1,1', '1,2', '2,1', '2,2'],
      ['5,4', '6,5'],
    ]);
    expect(regions('components:min_neighbors=0', g)).toEqual([['1,1', '1,2', '2,1', '2,2'], ['5,4', '6,5'], ['7,2']]);
    // With 2 neighbours needed, (6,5) keeps (5,4) and 4 (0.4); (5,4) has (6,5) and 4: both stay. 3 needed: only the 2x2 block.
    expect(regions('components:min_neighbors=3', g)).toEqual([['1,1', '1,2', '2,1', '2,2']]);
    // Neighbours count at neighbor_threshold, not threshold: at 0.5 the 4 no longer counts.
    expect(regions('components:min_neighbors=2,neighbor_threshold=0.5', g)).toEqual([['1,1', '1,2', '2,1', '2,2']]);
  });

  it('takes a lower threshold', () => {
    expect(regions('components:threshold=0.3,min_neighbors=0', g)).toContainEqual(['5,4', '5,5', '6,5']);
  });
});

describe('merge', () => {
  it('unites touching patches, then enclosing boxes that touch', () => {
    // Two L-shaped groups whose boxes overlap though no patches touch: one region.
    const g = gridFromPicture(`
      #.....
      #.....
      ###...
      ....#.
      ..###.
    `);
    expect(regions('merge', g)).toEqual([['0,0', '0,1', '0,2', '1,2', '2,2', '2,4', '3,4', '4,3', '4,4']]);
  });

  it('keeps apart boxes that do not touch, unless within gap0', () => {
    const g = gridFromPicture(`
      #.#...#
    `);
    expect(regions('merge', g)).toEqual([['0,0'], ['2,0'], ['6,0']]);
    expect(regions('merge:gap0=512', g)).toEqual([['0,0', '2,0'], ['6,0']]);
  });

  it('merges overlapping footprints on an overlapping grid', () => {
    // Footprints 512 every 256: patches two columns apart touch, three apart do not.
    const g = gridFromPicture('#.#..#', 256, 512);
    expect(regions('merge', g)).toEqual([['0,0', '2,0'], ['5,0']]);
  });
});

describe('dbscan', () => {
  const g = gridFromPicture(`
    ##......
    #.......
    ......#.
    ........
    ...#.#..
  `);

  it('clusters dense centres and drops noise', () => {
    expect(regions('dbscan', g)).toEqual([['0,0', '0,1', '1,0']]);
    expect(regions('dbscan:min_points=1', g)).toEqual([['0,0', '0,1', '1,0'], ['3,4'], ['5,4'], ['6,2']]);
    // Two strides reach (3,4)-(5,4); sqrt(5) strides would not link (6,2) to (5,4) at eps 2.
    expect(regions('dbscan:eps_strides=2', g)).toEqual([
      ['0,0', '0,1', '1,0'],
      ['3,4', '5,4'],
    ]);
  });
});

describe('registry', () => {
  it('lists four methods with complete, recorded parameters', () => {
    expect(METHODS.map((m) => m.name)).toEqual(['components', 'merge', 'dbscan', 'peaks']);
    expect(methodFromRecipe('dbscan:eps_strides=2').params).toEqual({
      threshold: 0.5,
      score: 'topk',
      k_tiles: 1,
      eps_strides: 2,
      min_points: 2,
    });
  });

  it('refuses unknown methods and parameters, and values out of range', () => {
    expect(() => methodFromRecipe('kmeans')).toThrow(
      /--method: expected one of components, merge, dbscan, peaks, random, got "kmeans"/,
    );
    expect(() => methodFromRecipe('merge:gap=3')).toThrow(
      /unknown parameter "gap" \(known: threshold, score, k_tiles, gap0\)/,
    );
    expect(() => methodFromRecipe('components:min_neighbors=9')).toThrow(
      /min_neighbors: expected an integer in \[0, 8\], got "9"/,
    );
    expect(() => methodFromRecipe('components:score=sum')).toThrow(/score: expected one of topk, max, mean, got "sum"/);
    expect(() => methodFromRecipe('dbscan:min_points')).toThrow(/expected key=value/);
  });
});

describe('random (baseline)', () => {
  it('proposes seeded blocks of patches whatever the scores', async () => {
    const { random } = await import('./random');
    const grid = gridOf(Array.from({ length: 10 }, () => Array.from({ length: 10 }, () => 0)));
    const params = { count: 5, size: 2, seed: 3 };
    const a = random.propose(grid, params);
    expect(a).toHaveLength(5);
    expect(a.every((r) => r.members.length >= 1 && r.members.length <= 4)).toBe(true);
    expect(random.propose(grid, params)).toEqual(a);
    expect(random.propose(grid, { ...params, seed: 4 })).not.toEqual(a);
  });
});
