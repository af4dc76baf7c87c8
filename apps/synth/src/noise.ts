// Periodic value-noise textures: built once per slide, then sampled per pixel with two masks and a
// lookup, which keeps the per-pixel cost of stroma, chromatin and holes at a few nanoseconds.
import { Rng } from './rng';

export interface NoiseSpec {
  /** Period of the texture in pixels (a power of two). */
  periodPx: number;
  /** Lattice spacing of the coarsest octave in pixels (a power of two, at most periodPx). */
  cellPx: number;
  octaves: number;
  /** Amplitude ratio between successive octaves. */
  persistence: number;
  /** Horizontal stretch of the lattice (> 1 gives fibres along x). */
  stretchX?: number;
}

/** Rounds a length to the nearest power of two, within [lo, hi]. */
export function pow2(lengthPx: number, lo = 1, hi = 1 << 14): number {
  const p = 2 ** Math.round(Math.log2(Math.max(lengthPx, 1)));
  return Math.min(hi, Math.max(lo, p));
}

export class PeriodicNoise {
  readonly periodPx: number;
  private readonly shift: number;
  private readonly mask: number;
  /** Values with zero mean and maximum magnitude 1. */
  readonly data: Float32Array;

  constructor(rng: Rng, spec: NoiseSpec) {
    const p = spec.periodPx;
    if (p & (p - 1) || spec.cellPx & (spec.cellPx - 1) || spec.cellPx > p) {
      throw new Error(
        `noise: periodPx and cellPx must be powers of two with cellPx <= periodPx, got ${p}, ${spec.cellPx}`,
      );
    }
    this.periodPx = p;
    this.shift = Math.log2(p);
    this.mask = p - 1;
    const data = new Float32Array(p * p);
    const stretch = Math.max(1, Math.round(spec.stretchX ?? 1));
    let amp = 1;
    for (let o = 0, cell = spec.cellPx; o < spec.octaves && cell >= 1; o++, cell /= 2) {
      addOctave(data, p, rng, Math.min(p, cell * stretch), cell, amp);
      amp *= spec.persistence;
    }
    let mean = 0;
    for (let i = 0; i < data.length; i++) mean += data[i];
    mean /= data.length;
    let maxAbs = 1e-9;
    for (let i = 0; i < data.length; i++) {
      const v = (data[i] -= mean);
      if (v > maxAbs) maxAbs = v;
      else if (-v > maxAbs) maxAbs = -v;
    }
    const inv = 1 / maxAbs;
    for (let i = 0; i < data.length; i++) data[i] *= inv;
    this.data = data;
  }

  /** Value at integer pixel (x, y); the texture repeats every periodPx. */
  at(x: number, y: number): number {
    return this.data[((y & this.mask) << this.shift) | (x & this.mask)];
  }

  private hist: Uint32Array | undefined;

  /** The value below which `fraction` of the texture lies (by histogram: sorting 4M values is slow). */
  quantile(fraction: number): number {
    const bins = 4096;
    if (!this.hist) {
      this.hist = new Uint32Array(bins);
      const k = bins / 2;
      for (let i = 0; i < this.data.length; i++) this.hist[Math.min(bins - 1, ((this.data[i] + 1) * k) | 0)]++;
    }
    const hist = this.hist;
    const want = fraction * this.data.length;
    let seen = 0;
    for (let b = 0; b < bins; b++) {
      seen += hist[b];
      if (seen >= want) return ((b + 1) / bins) * 2 - 1;
    }
    return 1;
  }
}

const shared = new Map<string, PeriodicNoise>();

/**
 * A texture shared by every slide of a run: building one costs tens of milliseconds, so slides
 * differ by where they sample it (their own offsets) rather than by having their own.
 */
export function sharedNoise(name: string, spec: NoiseSpec): PeriodicNoise {
  const key = `${name} ${JSON.stringify(spec)}`;
  let n = shared.get(key);
  if (!n) {
    n = new PeriodicNoise(Rng.of(0x5eed, name), spec);
    shared.set(key, n);
  }
  return n;
}

function addOctave(out: Float32Array, p: number, rng: Rng, cellX: number, cellY: number, amp: number): void {
  const nx = p / cellX;
  const ny = p / cellY;
  const lattice = new Float32Array(nx * ny);
  for (let i = 0; i < lattice.length; i++) lattice[i] = rng.next() * 2 - 1;
  // Lattice columns and weights depend on x only: computed once, not per pixel.
  const c0 = new Int32Array(p);
  const c1 = new Int32Array(p);
  const tx = new Float32Array(p);
  for (let x = 0; x < p; x++) {
    const ix = Math.floor(x / cellX);
    c0[x] = ix % nx;
    c1[x] = (ix + 1) % nx;
    tx[x] = smooth(x / cellX - ix);
  }
  for (let y = 0; y < p; y++) {
    const iy = Math.floor(y / cellY);
    const ty = smooth(y / cellY - iy);
    const r0 = (iy % ny) * nx;
    const r1 = ((iy + 1) % ny) * nx;
    const row = y * p;
    for (let x = 0; x < p; x++) {
      const a = lattice[r0 + c0[x]];
      const b = lattice[r0 + c1[x]];
      const c = lattice[r1 + c0[x]];
      const d = lattice[r1 + c1[x]];
      const t = tx[x];
      const top = a + (b - a) * t;
      const bottom = c + (d - c) * t;
      out[row + x] += amp * (top + (bottom - top) * ty);
    }
  }
}

function smooth(t: number): number {
  return t * t * (3 - 2 * t);
}
