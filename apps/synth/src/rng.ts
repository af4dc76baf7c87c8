// Counter-based randomness: every random quantity is a pure function of (seed, purpose, position),
// so any tile can be rendered on its own, in any order, and still give the same bytes. A single
// sequential generator (pure-rand's) would tie a nucleus to the order in which tiles are drawn.
import { fmix32, Mulberry32 } from '@slidepipe/core';

/** Mixes any number of 32-bit integers into one well-spread 32-bit value (murmur3 finaliser). */
export function hash32(...values: number[]): number {
  let h = 0x9e3779b9;
  for (const v of values) {
    let k = Math.imul(v | 0, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= values.length;
  return fmix32(h);
}

/** Stable 32-bit code of a short label, so streams can be named ("nuclei", "fragments") not numbered. */
export function label32(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Core's seeded generator (mulberry32) with the draws synthetic images need. */
export class Rng extends Mulberry32 {
  /** Child generator for a named purpose: independent of how much this one has been used. */
  static of(seed: number, label: string, ...position: number[]): Rng {
    return new Rng(hash32(seed, label32(label), ...position));
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer in [lo, hi], both included. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** Standard normal (Box-Muller; one value per call keeps the stream length fixed). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Poisson count (Knuth's product method; fine for the small means used here). */
  poisson(mean: number): number {
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.next();
    while (p > limit) {
      k++;
      p *= this.next();
    }
    return k;
  }

  /** Fisher-Yates, in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }
}
