import { describe, expect, it } from 'vitest';
import { DisjointSets } from './disjoint-sets';

describe('DisjointSets', () => {
  it('keeps the smallest element as root and groups items in the order given', () => {
    const s = new DisjointSets(6);
    expect(s.union(4, 2)).toBe(2);
    expect(s.union(5, 4)).toBe(2);
    s.union(3, 1);
    expect(s.find(5)).toBe(2);
    expect(s.find(3)).toBe(1);
    expect(s.groups([5, 3, 2, 0, 1, 4])).toEqual([[5, 2, 4], [3, 1], [0]]);
  });

  it('adds singletons past its first storage and starts over after clear', () => {
    const s = new DisjointSets();
    for (let i = 0; i < 100; i++) expect(s.add()).toBe(i);
    for (let i = 1; i < 100; i++) s.union(i, i - 1);
    expect(s.find(99)).toBe(0);
    s.clear();
    expect(s.size).toBe(0);
    expect(s.add()).toBe(0);
    expect(s.add()).toBe(1);
    expect(s.find(1)).toBe(1);
  });
});
