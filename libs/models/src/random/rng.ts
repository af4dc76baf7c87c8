// Seeded randomness for weights, shuffles and dropout masks: everything a run draws comes from
// here, so a seed fixes the whole run.
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus, xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import type { JumpableRandomGenerator } from 'pure-rand/types/JumpableRandomGenerator';
import { ModelError } from '../errors';

export type Rng = JumpableRandomGenerator;

const TWO_32 = 4294967296;

export function checkSeed(seed: number): number {
  if (!Number.isInteger(seed) || seed < 0 || seed >= TWO_32) {
    throw new ModelError('INVALID_PARAMETER', `seed: expected an integer in [0, 2^32), received ${seed}`);
  }
  return seed;
}

// murmur3's finaliser: pure-rand seeds xoroshiro with the seed bits almost verbatim, so seeds 1
// and 2 would start from near-identical states and give correlated first draws.
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

export function createRng(seed: number): Rng {
  const rng = xoroshiro128plus(mix32(checkSeed(seed)));
  for (let i = 0; i < 16; i++) rng.next();
  return rng;
}

/**
 * `count` independent streams from one seed: each is 2^64 draws further along the sequence, so
 * using more of one (say, a larger dropout mask) never shifts another (the shuffles).
 */
export function rngStreams(seed: number, count: number): Rng[] {
  const base = createRng(seed);
  const out: Rng[] = [];
  for (let i = 0; i < count; i++) {
    out.push(base.clone());
    base.jump();
  }
  return out;
}

export function rngState(rng: Rng): number[] {
  return [...rng.getState()];
}

export function rngFromState(state: readonly number[]): Rng {
  return xoroshiro128plusFromState(state);
}

/** Uniform in the open interval (0, 1), 32 bits: safe to take the log of. */
export function uniform01(rng: Rng): number {
  return ((rng.next() >>> 0) + 0.5) / TWO_32;
}

/** Fills `out` with U(-bound, bound). */
export function fillUniform(rng: Rng, out: Float32Array, bound: number): Float32Array {
  for (let i = 0; i < out.length; i++) out[i] = (2 * uniform01(rng) - 1) * bound;
  return out;
}

/** Fills `out` with N(0, std^2) by Box-Muller. */
export function fillNormal(rng: Rng, out: Float32Array, std: number): Float32Array {
  for (let i = 0; i < out.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(uniform01(rng))) * std;
    const a = 2 * Math.PI * uniform01(rng);
    out[i] = r * Math.cos(a);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(a);
  }
  return out;
}

/** Fisher-Yates with unbiased integer draws. */
export function shuffleInPlace(rng: Rng, a: Uint32Array): Uint32Array {
  for (let i = a.length - 1; i > 0; i--) {
    const j = uniformInt(rng, 0, i);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a;
}

/**
 * Inverted-dropout mask: 0 with probability p, else 1/(1-p), so the expected activation is
 * unchanged and inference needs no rescaling. One 32-bit draw per element.
 */
export function fillDropoutMask(rng: Rng, out: Float32Array, p: number): Float32Array {
  if (!(p >= 0 && p < 1))
    throw new ModelError('INVALID_PARAMETER', `dropout: expected a probability in [0, 1), received ${p}`);
  const threshold = p * TWO_32;
  const keep = 1 / (1 - p);
  for (let i = 0; i < out.length; i++) out[i] = rng.next() >>> 0 < threshold ? 0 : keep;
  return out;
}
