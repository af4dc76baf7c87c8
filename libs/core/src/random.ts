// The one seeded generator of the repository (product code and tests alike), so that a seed means
// the same numbers everywhere.

/** mulberry32: a tiny, fast seeded generator; plenty for synthetic data, not for cryptography. */
export class Mulberry32 {
  // Kept as a signed 32-bit integer (`| 0`), which V8 stores unboxed; the bits are those of the uint32.
  private state: number;

  constructor(seed: number) {
    this.state = seed | 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

/** The same generator as a plain function, for code that takes a `() => number`. */
export function mulberry32(seed: number): () => number {
  const g = new Mulberry32(seed);
  return () => g.next();
}

/** MurmurHash3's 32-bit finaliser: spreads every input bit over the output (seed and hash mixing). */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 32-bit seed from text ("<seed>:<slide>:<x0>:<y0>"): FNV-1a, then the finaliser so near texts part ways. */
export function seedOfText(text: string): number {
  let h = 0x811c9dc5;
  for (const ch of text) {
    h ^= ch.codePointAt(0)!;
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}
