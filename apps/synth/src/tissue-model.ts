// Where the tissue is: biopsy-like fragments (irregular star-shaped polygons) with alveolar-like
// holes, in level-0 pixels. Used both to plan a slide (lesions must sit on tissue) and to draw it.
import { PeriodicNoise, pow2, sharedNoise } from './noise';
import { Rng } from './rng';

/** Axis-aligned box in level-0 pixels, covering [x1, x2) x [y1, y2). */
export interface Box {
  x1: number;
  x2: number;
  y1: number;
  y2: number;
}

export interface Fragment {
  /** Polygon vertices in level-0 px (closed implicitly). */
  xs: Float64Array;
  ys: Float64Array;
  box: Box;
  /** Offset into the hole texture, so fragments do not share one hole pattern. */
  holeOffsetX: number;
  holeOffsetY: number;
}

/**
 * An irregular fragment around (cx, cy): a radius that varies with the angle through a few low
 * harmonics (the outline), many weak high ones (a frayed edge), then an elongation and a rotation.
 * Star-shaped with a positive radius, so the polygon never crosses itself.
 */
export function makeFragment(rng: Rng, cx: number, cy: number, radiusPx: number): Fragment {
  const n = Math.min(1024, Math.max(128, Math.round((2 * Math.PI * radiusPx) / 24)));
  const harmonics: { k: number; amp: number; phase: number }[] = [];
  for (let k = 2; k <= 7; k++)
    harmonics.push({ k, amp: rng.uniform(0, 0.2) / k ** 0.7, phase: rng.uniform(0, 2 * Math.PI) });
  for (let k = 8; k <= 40; k++)
    harmonics.push({ k, amp: rng.uniform(0, 0.025) / Math.sqrt(k / 8), phase: rng.uniform(0, 2 * Math.PI) });
  const stretch = rng.uniform(1, 1.7);
  const rot = rng.uniform(0, Math.PI);
  const cosR = Math.cos(rot);
  const sinR = Math.sin(rot);
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const th = (2 * Math.PI * i) / n;
    let r = 1;
    for (const h of harmonics) r += h.amp * Math.cos(h.k * th + h.phase);
    r *= 1 + 0.01 * rng.normal();
    r = Math.max(r, 0.35) * radiusPx;
    const u = r * Math.cos(th) * stretch;
    const v = (r * Math.sin(th)) / stretch;
    xs[i] = cx + u * cosR - v * sinR;
    ys[i] = cy + u * sinR + v * cosR;
  }
  return {
    xs,
    ys,
    box: polygonBox(xs, ys),
    holeOffsetX: rng.int(0, 1 << 20),
    holeOffsetY: rng.int(0, 1 << 20),
  };
}

export function polygonBox(xs: Float64Array, ys: Float64Array): Box {
  let x1 = Infinity;
  let y1 = Infinity;
  let x2 = -Infinity;
  let y2 = -Infinity;
  for (let i = 0; i < xs.length; i++) {
    x1 = Math.min(x1, xs[i]);
    x2 = Math.max(x2, xs[i]);
    y1 = Math.min(y1, ys[i]);
    y2 = Math.max(y2, ys[i]);
  }
  return { x1: Math.floor(x1), y1: Math.floor(y1), x2: Math.ceil(x2), y2: Math.ceil(y2) };
}

export function polygonArea(xs: Float64Array, ys: Float64Array): number {
  let a = 0;
  for (let i = 0, j = xs.length - 1; i < xs.length; j = i++) a += xs[j] * ys[i] - xs[i] * ys[j];
  return Math.abs(a) / 2;
}

/** Even-odd point-in-polygon test. */
export function insidePolygon(xs: Float64Array, ys: Float64Array, x: number, y: number): boolean {
  let inside = false;
  for (let i = 0, j = xs.length - 1; i < xs.length; j = i++) {
    if (ys[i] > y !== ys[j] > y && x < ((xs[j] - xs[i]) * (y - ys[i])) / (ys[j] - ys[i]) + xs[i]) inside = !inside;
  }
  return inside;
}

/** Distance from (x, y) to the polygon outline. */
export function distanceToOutline(xs: Float64Array, ys: Float64Array, x: number, y: number): number {
  let best = Infinity;
  for (let i = 0, j = xs.length - 1; i < xs.length; j = i++) {
    const dx = xs[i] - xs[j];
    const dy = ys[i] - ys[j];
    const len2 = dx * dx + dy * dy;
    const t = len2 > 0 ? Math.min(1, Math.max(0, ((x - xs[j]) * dx + (y - ys[j]) * dy) / len2)) : 0;
    const ex = xs[j] + t * dx - x;
    const ey = ys[j] + t * dy - y;
    best = Math.min(best, ex * ex + ey * ey);
  }
  return Math.sqrt(best);
}

export function boxesOverlap(a: Box, b: Box, gapPx = 0): boolean {
  return a.x1 < b.x2 + gapPx && b.x1 < a.x2 + gapPx && a.y1 < b.y2 + gapPx && b.y1 < a.y2 + gapPx;
}

const scratchCrossings = new Float64Array(4096);

/**
 * Writes into `out` (row-major, w x h, starting at level-0 (x0, y0)) the fraction of each pixel
 * covered by the polygon, by scanline at pixel centres with fractional span ends, keeping the
 * larger of the existing and the new value. Returns whether any pixel was touched.
 */
export function rasterizePolygon(
  xs: Float64Array,
  ys: Float64Array,
  x0: number,
  y0: number,
  w: number,
  h: number,
  out: Float32Array,
): boolean {
  // Only edges that cross the tile's rows matter; most of a large fragment's outline does not.
  const edges: number[] = [];
  const n = xs.length;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const lo = Math.min(ys[i], ys[j]);
    const hi = Math.max(ys[i], ys[j]);
    if (hi >= y0 && lo <= y0 + h) edges.push(j, i);
  }
  if (edges.length === 0) return false;
  let touched = false;
  for (let row = 0; row < h; row++) {
    const yc = y0 + row + 0.5;
    let m = 0;
    for (let e = 0; e < edges.length; e += 2) {
      const a = edges[e];
      const b = edges[e + 1];
      if (ys[a] <= yc !== ys[b] <= yc) {
        scratchCrossings[m++] = xs[a] + ((yc - ys[a]) * (xs[b] - xs[a])) / (ys[b] - ys[a]) - x0;
      }
    }
    if (m < 2) continue;
    const crossings = scratchCrossings.subarray(0, m).sort();
    const base = row * w;
    for (let k = 0; k + 1 < m; k += 2) {
      if (fillSpan(out, base, w, crossings[k], crossings[k + 1])) touched = true;
    }
  }
  return touched;
}

function fillSpan(out: Float32Array, base: number, w: number, a: number, b: number): boolean {
  a = Math.max(0, a);
  b = Math.min(w, b);
  if (b <= a) return false;
  const ia = Math.floor(a);
  const ib = Math.floor(b);
  if (ia === ib) {
    out[base + ia] = Math.max(out[base + ia], b - a);
    return true;
  }
  out[base + ia] = Math.max(out[base + ia], ia + 1 - a);
  for (let i = ia + 1; i < ib; i++) out[base + i] = 1;
  if (ib < w) out[base + ib] = Math.max(out[base + ib], b - ib);
  return true;
}

/** Fragments plus the hole field that makes lung parenchyma look lacy. */
export class TissueModel {
  readonly fragments: Fragment[];
  readonly holes: PeriodicNoise;
  private readonly holeThreshold: number;
  private readonly holeRamp = 0.03;
  private readonly scratch: Float32Array;

  /**
   * @param holeFraction fraction of each fragment's area left as holes (alveolar spaces).
   */
  constructor(fragments: Fragment[], mpp: number, holeFraction: number, tilePx = 256) {
    this.fragments = fragments;
    // Holes about 50 µm across. The texture is sampled at half resolution (a quarter of the
    // memory and set-up time; 2 px steps on a hole's edge do not show) and repeats every ~0.5 mm,
    // offset per fragment.
    this.holes = sharedNoise('holes', {
      periodPx: pow2(256 / mpp, 128, 1024),
      cellPx: pow2(25 / mpp, 4, 128),
      octaves: 3,
      persistence: 0.45,
    });
    this.holeThreshold = this.holes.quantile(holeFraction);
    this.scratch = new Float32Array(tilePx * tilePx);
  }

  /** 1 in solid tissue, 0 in a hole, a ramp between (before the fragment outline is applied). */
  holeMask(fragment: Fragment, x: number, y: number): number {
    const v =
      (this.holes.at((x + fragment.holeOffsetX) >> 1, (y + fragment.holeOffsetY) >> 1) - this.holeThreshold) /
      this.holeRamp;
    return v <= 0 ? 0 : v >= 1 ? 1 : v;
  }

  /** Tissue opacity at a level-0 point (used for planning, not drawing). */
  alphaAt(x: number, y: number): number {
    for (const f of this.fragments) {
      if (x < f.box.x1 || x >= f.box.x2 || y < f.box.y1 || y >= f.box.y2) continue;
      if (insidePolygon(f.xs, f.ys, x, y)) return this.holeMask(f, Math.floor(x), Math.floor(y));
    }
    return 0;
  }

  /** Mean tissue opacity over a box, sampled on a grid of about `samples` x `samples` points. */
  tissueFraction(box: Box, samples = 16): number {
    let sum = 0;
    for (let j = 0; j < samples; j++) {
      for (let i = 0; i < samples; i++) {
        sum += this.alphaAt(
          box.x1 + ((i + 0.5) * (box.x2 - box.x1)) / samples,
          box.y1 + ((j + 0.5) * (box.y2 - box.y1)) / samples,
        );
      }
    }
    return sum / (samples * samples);
  }

  /** Which fragments touch a tile (by bounding box). */
  fragmentsIn(x0: number, y0: number, w: number, h: number): Fragment[] {
    return this.fragments.filter((f) => f.box.x1 < x0 + w && f.box.x2 > x0 && f.box.y1 < y0 + h && f.box.y2 > y0);
  }

  /**
   * Tissue opacity of every pixel of a tile into `out` (zeroed first). Returns whether the tile
   * holds any tissue.
   */
  coverTile(x0: number, y0: number, w: number, h: number, out: Float32Array): boolean {
    out.fill(0, 0, w * h);
    let any = false;
    for (const f of this.fragmentsIn(x0, y0, w, h)) {
      const s = this.scratch;
      s.fill(0, 0, w * h);
      if (!rasterizePolygon(f.xs, f.ys, x0, y0, w, h, s)) continue;
      for (let row = 0, i = 0; row < h; row++) {
        for (let col = 0; col < w; col++, i++) {
          if (s[i] === 0) continue;
          const a = s[i] * this.holeMask(f, x0 + col, y0 + row);
          if (a > out[i]) out[i] = a;
          if (a > 0) any = true;
        }
      }
    }
    return any;
  }
}
