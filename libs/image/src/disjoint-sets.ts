// Union-find with path halving. A union keeps the smaller root, so every set's root is its
// smallest element: callers rely on that to number sets in order of their first member.

export class DisjointSets {
  private parent: Int32Array;
  private n = 0;

  /** `n` singletons 0..n-1. */
  constructor(n = 0) {
    this.parent = new Int32Array(Math.max(n, 16));
    while (this.n < n) this.add();
  }

  get size(): number {
    return this.n;
  }

  /** Drops every set, keeping the storage (for reuse from image to image). */
  clear(): void {
    this.n = 0;
  }

  /** A new singleton; returns its element (the next integer). */
  add(): number {
    if (this.n === this.parent.length) {
      const grown = new Int32Array(this.parent.length * 2);
      grown.set(this.parent);
      this.parent = grown;
    }
    this.parent[this.n] = this.n;
    return this.n++;
  }

  find(i: number): number {
    const parent = this.parent;
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]];
      i = parent[i];
    }
    return i;
  }

  /** Unites the sets of `a` and `b`; returns the root of the union (the smaller root). */
  union(a: number, b: number): number {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra === rb) return ra;
    if (ra < rb) {
      this.parent[rb] = ra;
      return ra;
    }
    this.parent[ra] = rb;
    return rb;
  }

  /** The groups of `items`, each in the order given, groups ordered by their first item. */
  groups(items: readonly number[]): number[][] {
    const byRoot = new Map<number, number[]>();
    for (const i of items) {
      const r = this.find(i);
      const g = byRoot.get(r);
      if (g) g.push(i);
      else byRoot.set(r, [i]);
    }
    return [...byRoot.values()];
  }
}
