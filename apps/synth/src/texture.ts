// Draws level-0 tiles of a planned slide: H&E stroma, nuclei, lesions, folds, blur and pen ink.
//
// Lesions are lymphocytic-infiltrate-like: extra small, round, dark nuclei. Their mean colour is
// kept equal to the surrounding tissue's by lightening the stroma between the nuclei, so only the
// texture tells them apart. With nuclei painted "over" the stroma with opacity a_i and colour N_i,
// a Poisson field of nuclei gives the expected pixel value
//   E[p] = B * T + Nbar * (1 - T),   T = exp(-sum over types of rate * integral of a),
// so for a target mean M the stroma must be B = (M - Nbar * (1 - T)) / T.
import { type PeriodicNoise, pow2, sharedNoise } from './noise';
import type { BlurRegion, Fold, Lesion, PenStroke, Rgb, SlidePlan, Stain } from './plan';
import { hash32, label32, Rng } from './rng';
import type { TissueModel } from './tissue-model';

export const TILE_PX = 256;

/** Ordinary (stromal, epithelial) nuclei: elongated ellipses, semi-axes in µm. */
const NORMAL_NUCLEUS = { aUm: [3.5, 6.0], bUm: [2.0, 3.2], alphaMax: 0.85, edge: 0.2 } as const;
/** Lymphocytes: small, round, dark. */
const LYMPHOCYTE = { rUm: [2.7, 3.5], elongation: [1, 1.12], alphaMax: 0.95, edge: 0.12 } as const;
/** Share of normal tissue area under nuclei. */
export const NORMAL_INK = 0.18;
/** Share of ordinary nuclei that an infiltrate displaces at full lesion intensity. */
const DISPLACED = 0.5;
/** Share of lesion area under nuclei, at most (less when the slide's stain leaves no headroom). */
const LESION_INK_MAX = 0.4;
/** The compensated stroma must stay at or below this (fibres are damped in lesions to fit). */
const STROMA_CAP = 248;
const STAIN_VARIATION = 0.03;
const FIBRE_CONTRAST = 0.09;
const CHROMATIN_CONTRAST = 0.18;
const NUCLEUS_DARKNESS_SPREAD = 0.1;
/** Blur widens nuclear edges by this share of the radius at full strength. */
const BLUR_EDGE = 0.7;

/** Integral over the unit disc radius of rho * min(1, (1 - rho) / w): the soft-edged area factor. */
export function edgeIntegral(w: number): number {
  if (w <= 0) return 0.5;
  if (w >= 1) return (1 / w) * (1 / 2 - 1 / 3);
  const q = 1 - w;
  return (q * q) / 2 + ((1 - q * q) / 2 - (1 - q * q * q) / 3) / w;
}

export interface Shading {
  /** Target mean colour of tissue (stroma and nuclei together). */
  meanRgb: Rgb;
  stromaRgb: Rgb;
  nucleusRgb: Rgb;
  lymphocyteRgb: Rgb;
  /** Nuclei per px^2: ordinary everywhere in tissue, lymphocytes at full lesion intensity. */
  normalRate: number;
  lymphocyteRateMax: number;
  /** E[a * b] in px^2 of each kind, for the expected nuclear ink. */
  normalAbPx2: number;
  lymphocyteAbPx2: number;
  /** Expected share of lesion area under nuclei (compare NORMAL_INK). */
  lesionInk: number;
}

/** Expected ink (integral of opacity) of one nucleus: 2 pi E[ab] alphaMax g(edge). */
function inkArea(abPx2: number, alphaMax: number, edge: number): number {
  return 2 * Math.PI * abPx2 * alphaMax * edgeIntegral(edge);
}

/** The colours and rates of a slide, with the lesion density as high as its stain allows. */
export function computeShading(stain: Stain, mpp: number): Shading {
  const mean = (r: readonly number[]) => (r[0] + r[1]) / 2;
  const normalAbPx2 = (mean(NORMAL_NUCLEUS.aUm) * mean(NORMAL_NUCLEUS.bUm)) / (mpp * mpp);
  const rMean = mean(LYMPHOCYTE.rUm);
  const rVar = (LYMPHOCYTE.rUm[1] - LYMPHOCYTE.rUm[0]) ** 2 / 12;
  const lymphocyteAbPx2 = ((rMean * rMean + rVar) * mean(LYMPHOCYTE.elongation)) / (mpp * mpp);
  const normalInkLog = -Math.log(1 - NORMAL_INK);
  const normalRate = normalInkLog / inkArea(normalAbPx2, NORMAL_NUCLEUS.alphaMax, NORMAL_NUCLEUS.edge);
  const S = stain.stromaRgb;
  const N = stain.nucleusRgb;
  const Lc = stain.lymphocyteRgb;
  const M = [0, 1, 2].map((c) => (1 - NORMAL_INK) * S[c] + NORMAL_INK * N[c]) as Rgb;
  // Largest lymphocyte ink (in -log units) whose compensated stroma stays under the cap even where
  // the slide's low-frequency stain variation brightens the target.
  const lesionNormalInkLog = normalInkLog * (1 - DISPLACED);
  const stromaFor = (lymphInkLog: number, c: number) => {
    const ink = lesionNormalInkLog + lymphInkLog;
    const T = Math.exp(-ink);
    const nbar = (lesionNormalInkLog * N[c] + lymphInkLog * Lc[c]) / ink;
    return (M[c] * (1 + STAIN_VARIATION) - nbar * (1 - T)) / T;
  };
  const feasible = (x: number) => [0, 1, 2].every((c) => stromaFor(x, c) <= STROMA_CAP);
  let lo = 0;
  let hi = -Math.log(1 - LESION_INK_MAX) - lesionNormalInkLog;
  if (!feasible(hi)) {
    for (let it = 0; it < 40; it++) {
      const mid = (lo + hi) / 2;
      if (feasible(mid)) lo = mid;
      else hi = mid;
    }
    hi = lo;
  }
  const lymphInkLog = hi;
  const lymphocyteRateMax = lymphInkLog / inkArea(lymphocyteAbPx2, LYMPHOCYTE.alphaMax, LYMPHOCYTE.edge);
  return {
    meanRgb: M,
    stromaRgb: [...S] as Rgb,
    nucleusRgb: [...N] as Rgb,
    lymphocyteRgb: [...Lc] as Rgb,
    normalRate,
    lymphocyteRateMax,
    normalAbPx2,
    lymphocyteAbPx2,
    lesionInk: 1 - Math.exp(-(lesionNormalInkLog + lymphInkLog)),
  };
}

function smoothstep(edge0: number, edge1: number, x: number): number {
  const t = Math.min(1, Math.max(0, (x - edge0) / (edge1 - edge0)));
  return t * t * (3 - 2 * t);
}

function boxOverlapsTile(x1: number, y1: number, x2: number, y2: number, x0: number, y0: number): boolean {
  return x1 < x0 + TILE_PX && x2 > x0 && y1 < y0 + TILE_PX && y2 > y0;
}

/** Normalised elliptical distance (1 on the outline). */
function ellipseDistance(cx: number, cy: number, rx: number, ry: number, angle: number, x: number, y: number): number {
  const dx = x - cx;
  const dy = y - cy;
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const u = (dx * c + dy * s) / rx;
  const v = (-dx * s + dy * c) / ry;
  return Math.sqrt(u * u + v * v);
}

function segmentDistance(ax: number, ay: number, bx: number, by: number, x: number, y: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  const t = len2 > 0 ? Math.min(1, Math.max(0, ((x - ax) * dx + (y - ay) * dy) / len2)) : 0;
  const ex = ax + t * dx - x;
  const ey = ay + t * dy - y;
  return Math.sqrt(ex * ex + ey * ey);
}

export function penBox(p: PenStroke): { x1: number; y1: number; x2: number; y2: number } {
  const hw = p.widthPx / 2 + 2;
  return {
    x1: Math.min(...p.xs) - hw,
    x2: Math.max(...p.xs) + hw,
    y1: Math.min(...p.ys) - hw,
    y2: Math.max(...p.ys) + hw,
  };
}

export function foldBox(f: Fold): { x1: number; y1: number; x2: number; y2: number } {
  const hw = f.widthPx / 2 + 2;
  return {
    x1: Math.min(f.x1, f.x2) - hw,
    x2: Math.max(f.x1, f.x2) + hw,
    y1: Math.min(f.y1, f.y2) - hw,
    y2: Math.max(f.y1, f.y2) + hw,
  };
}

export function blurBox(b: BlurRegion): { x1: number; y1: number; x2: number; y2: number } {
  const r = Math.max(b.rxPx, b.ryPx);
  return { x1: b.cx - r, x2: b.cx + r, y1: b.cy - r, y2: b.cy + r };
}

const NUCLEI = label32('nuclei');

export class SlideRenderer {
  readonly plan: SlidePlan;
  readonly shading: Shading;
  protected readonly tissue: TissueModel;
  private readonly mpp: number;
  private readonly stainVariation: PeriodicNoise;
  private readonly fibre: PeriodicNoise;
  private readonly warp: PeriodicNoise;
  private readonly chromatin: PeriodicNoise;
  private readonly lesionEdge: PeriodicNoise;
  private readonly background: PeriodicNoise;
  private readonly penGrain: PeriodicNoise;
  /** The glass colour of every pixel of a tile (the background is 256-periodic). */
  private readonly glass: [Float32Array, Float32Array, Float32Array];
  private readonly cellPx: number;
  private readonly marginPx: number;
  private readonly warpPx: number;
  private readonly fibreCos: number;
  private readonly fibreSin: number;
  /** Per-slide offsets (x, y) into each shared texture. */
  private readonly off: Record<'stain' | 'warp' | 'fibre' | 'chromatin' | 'lesion' | 'glass' | 'pen', [number, number]>;
  // Per-tile scratch.
  protected readonly alpha = new Float32Array(TILE_PX * TILE_PX);
  private readonly lesionField = new Float32Array(TILE_PX * TILE_PX);
  protected readonly blurField = new Float32Array(TILE_PX * TILE_PX);
  private readonly penFields: Float32Array[] = [];
  protected readonly red = new Float32Array(TILE_PX * TILE_PX);
  protected readonly green = new Float32Array(TILE_PX * TILE_PX);
  protected readonly blue = new Float32Array(TILE_PX * TILE_PX);

  constructor(plan: SlidePlan, tissue: TissueModel) {
    this.plan = plan;
    this.tissue = tissue;
    this.mpp = plan.mpp;
    this.shading = computeShading(plan.stain, plan.mpp);
    const mpp = plan.mpp;
    const seed = plan.seed;
    // Textures are shared by all slides (see sharedNoise); each slide reads them at its own offsets.
    // Low-frequency stain unevenness, sampled at 1/8 resolution (it varies over ~150 µm).
    this.stainVariation = sharedNoise('stain-variation', {
      periodPx: 512,
      cellPx: pow2(150 / mpp / 8, 4, 256),
      octaves: 2,
      persistence: 0.5,
    });
    // Collagen fibres: stretched noise, rotated per slide, wavy through a domain warp.
    this.fibre = sharedNoise('fibre', {
      periodPx: 1024,
      cellPx: pow2(5 / mpp, 2, 64),
      octaves: 3,
      persistence: 0.55,
      stretchX: 4,
    });
    this.warp = sharedNoise('warp', { periodPx: 1024, cellPx: pow2(40 / mpp, 8, 512), octaves: 2, persistence: 0.5 });
    this.warpPx = 12 / mpp;
    const at = Rng.of(seed, 'texture-offsets');
    this.fibreCos = Math.cos(at.uniform(0, Math.PI));
    this.fibreSin = Math.sqrt(1 - this.fibreCos * this.fibreCos);
    const pair = (): [number, number] => [at.int(0, 1 << 16), at.int(0, 1 << 16)];
    this.off = {
      stain: pair(),
      warp: pair(),
      fibre: pair(),
      chromatin: pair(),
      lesion: pair(),
      glass: pair(),
      pen: pair(),
    };
    this.chromatin = sharedNoise('chromatin', {
      periodPx: 256,
      cellPx: pow2(1 / mpp, 2, 16),
      octaves: 2,
      persistence: 0.6,
    });
    this.lesionEdge = sharedNoise('lesion-edge', {
      periodPx: 1024,
      cellPx: pow2(30 / mpp, 8, 512),
      octaves: 2,
      persistence: 0.5,
    });
    // The glass: faint, smooth and 256-periodic, so every empty tile has the same pixels.
    this.background = sharedNoise('background', { periodPx: TILE_PX, cellPx: 64, octaves: 2, persistence: 0.5 });
    this.penGrain = sharedNoise('pen', { periodPx: 512, cellPx: pow2(20 / mpp, 4, 256), octaves: 2, persistence: 0.5 });
    // Nuclei are drawn from a grid of ~16 µm cells; a tile also draws the cells around it whose
    // nuclei may reach in.
    this.cellPx = Math.max(8, Math.round(16 / mpp));
    this.marginPx = Math.ceil((NORMAL_NUCLEUS.aUm[1] * 1.1) / mpp) + 2;
    const bg = plan.stain.backgroundRgb;
    this.glass = [0, 1, 2].map((ch) => {
      const plane = new Float32Array(TILE_PX * TILE_PX);
      for (let y = 0, i = 0; y < TILE_PX; y++)
        for (let x = 0; x < TILE_PX; x++, i++)
          plane[i] = bg[ch] + 1.5 * this.background.at(x + this.off.glass[0], y + this.off.glass[1]);
      return plane;
    }) as [Float32Array, Float32Array, Float32Array];
  }

  /** The tile of a slide region without tissue or ink (identical for every such tile). */
  backgroundTile(): Uint8Array {
    const out = new Uint8Array(TILE_PX * TILE_PX * 3);
    const dst = new Uint8ClampedArray(out.buffer);
    const [r, g, b] = this.glass;
    for (let i = 0; i < TILE_PX * TILE_PX; i++) {
      dst[3 * i] = r[i];
      dst[3 * i + 1] = g[i];
      dst[3 * i + 2] = b[i];
    }
    return out;
  }

  /** Lesion intensity (0..1) at a level-0 point, as used for nucleus thinning. */
  lesionAt(x: number, y: number): number {
    let best = 0;
    for (const l of this.plan.lesions) {
      if (x < l.box.x1 || x >= l.box.x2 || y < l.box.y1 || y >= l.box.y2) continue;
      best = Math.max(best, this.lesionIntensity(l, x, y));
    }
    return best;
  }

  private lesionIntensity(l: Lesion, x: number, y: number): number {
    const d = ellipseDistance(l.cx, l.cy, l.semiMajorPx, l.semiMinorPx, l.angleRad, x, y);
    if (d >= 1) return 0;
    // An irregular outline: the noise only pulls it inwards, so the box stays a bounding box.
    const t =
      d +
      0.15 * (0.5 + 0.5 * this.lesionEdge.at(Math.floor(x) + this.off.lesion[0], Math.floor(y) + this.off.lesion[1]));
    return 1 - smoothstep(0.8, 1, t);
  }

  /** The slide's slow stain unevenness at a level-0 pixel: multiplies the target mean colour. */
  stainVariationAt(x: number, y: number): number {
    return 1 + STAIN_VARIATION * this.stainVariation.at((x >> 3) + this.off.stain[0], (y >> 3) + this.off.stain[1]);
  }

  blurAt(x: number, y: number): number {
    let best = 0;
    for (const b of this.plan.blurs) best = Math.max(best, blurIntensity(b, x, y));
    return best;
  }

  /**
   * Draws the level-0 tile whose top-left corner is (x0, y0) into `out` (RGB, row-major). Returns
   * false, leaving `out` untouched, when the tile is bare glass (then it equals backgroundTile()).
   */
  renderTile(x0: number, y0: number, out: Uint8Array): boolean {
    const T = TILE_PX;
    const A = this.alpha;
    const hasTissue = this.tissue.coverTile(x0, y0, T, T, A);
    const inked: { rgb: Rgb; field: Float32Array }[] = [];
    this.plan.pens.forEach((p, k) => {
      const b = penBox(p);
      if (!boxOverlapsTile(b.x1, b.y1, b.x2, b.y2, x0, y0)) return;
      const field = (this.penFields[k] ??= new Float32Array(TILE_PX * TILE_PX));
      if (this.penAlpha(p, x0, y0, field)) inked.push({ rgb: p.rgb, field });
    });
    if (!hasTissue && inked.length === 0) return false;
    const R = this.red;
    const G = this.green;
    const B = this.blue;
    if (hasTissue) {
      const hasLesion = this.fillLesionField(x0, y0);
      const hasBlur = this.fillBlurField(x0, y0);
      this.drawStroma(x0, y0, hasLesion, hasBlur);
      this.drawNuclei(x0, y0);
    }
    // Tissue over glass.
    const [bgR, bgG, bgB] = this.glass;
    for (let i = 0; i < T * T; i++) {
      const a = A[i];
      if (a >= 1) continue;
      if (a <= 0) {
        R[i] = bgR[i];
        G[i] = bgG[i];
        B[i] = bgB[i];
      } else {
        R[i] = bgR[i] + (R[i] - bgR[i]) * a;
        G[i] = bgG[i] + (G[i] - bgG[i]) * a;
        B[i] = bgB[i] + (B[i] - bgB[i]) * a;
      }
    }
    if (hasTissue) {
      for (const f of this.plan.folds) {
        const b = foldBox(f);
        if (boxOverlapsTile(b.x1, b.y1, b.x2, b.y2, x0, y0)) this.drawFold(f, x0, y0);
      }
    }
    for (const p of inked) this.applyPen(p.rgb, p.field);
    // Nothing lies beyond the slide's edge in the padding of edge tiles.
    const w = Math.min(T, this.plan.widthPx - x0);
    const h = Math.min(T, this.plan.heightPx - y0);
    // A clamped view rounds and saturates on assignment.
    const dst = new Uint8ClampedArray(out.buffer, out.byteOffset, T * T * 3);
    for (let y = 0, i = 0, o = 0; y < T; y++) {
      for (let x = 0; x < T; x++, i++, o += 3) {
        if (x < w && y < h) {
          dst[o] = R[i];
          dst[o + 1] = G[i];
          dst[o + 2] = B[i];
        } else {
          dst[o] = bgR[i];
          dst[o + 1] = bgG[i];
          dst[o + 2] = bgB[i];
        }
      }
    }
    return true;
  }

  private fillLesionField(x0: number, y0: number): boolean {
    const L = this.lesionField;
    L.fill(0);
    let any = false;
    for (const l of this.plan.lesions) {
      if (!boxOverlapsTile(l.box.x1, l.box.y1, l.box.x2, l.box.y2, x0, y0)) continue;
      any = true;
      const ya = Math.max(0, l.box.y1 - y0);
      const yb = Math.min(TILE_PX, l.box.y2 - y0);
      const xa = Math.max(0, l.box.x1 - x0);
      const xb = Math.min(TILE_PX, l.box.x2 - x0);
      for (let y = ya; y < yb; y++) {
        for (let x = xa; x < xb; x++) {
          const v = this.lesionIntensity(l, x0 + x + 0.5, y0 + y + 0.5);
          const i = y * TILE_PX + x;
          if (v > L[i]) L[i] = v;
        }
      }
    }
    return any;
  }

  private fillBlurField(x0: number, y0: number): boolean {
    const F = this.blurField;
    F.fill(0);
    let any = false;
    for (const b of this.plan.blurs) {
      const bb = blurBox(b);
      if (!boxOverlapsTile(bb.x1, bb.y1, bb.x2, bb.y2, x0, y0)) continue;
      any = true;
      for (let y = 0, i = 0; y < TILE_PX; y++) {
        for (let x = 0; x < TILE_PX; x++, i++) {
          const v = blurIntensity(b, x0 + x + 0.5, y0 + y + 0.5);
          if (v > F[i]) F[i] = v;
        }
      }
    }
    return any;
  }

  /** Stroma with fibres, lightened under lesions so that the mean colour does not change. */
  protected drawStroma(x0: number, y0: number, hasLesion: boolean, hasBlur: boolean): void {
    const sh = this.shading;
    const A = this.alpha;
    const L = this.lesionField;
    const F = this.blurField;
    const [Mr, Mg, Mb] = sh.meanRgb;
    const [Nr, Ng, Nb] = sh.nucleusRgb;
    const [Lr, Lg, Lb] = sh.lymphocyteRgb;
    const normalAb = sh.normalAbPx2;
    const lymphAb = sh.lymphocyteAbPx2;
    const baseInk = sh.normalRate * inkArea(normalAb, NORMAL_NUCLEUS.alphaMax, NORMAL_NUCLEUS.edge);
    // Plain tissue: B = M * v / T - N * (1 - T) / T with constant T.
    const T0 = Math.exp(-baseInk);
    const k0 = 1 / T0;
    const k1 = (1 - T0) / T0;
    const R = this.red;
    const G = this.green;
    const Bl = this.blue;
    const warpPx = this.warpPx;
    const c = this.fibreCos;
    const s = this.fibreSin;
    const variationNoise = this.stainVariation;
    const warp = this.warp;
    const fibreNoise = this.fibre;
    const [sx, sy] = this.off.stain;
    const [wox, woy] = this.off.warp;
    const [fox, foy] = this.off.fibre;
    for (let y = 0, i = 0; y < TILE_PX; y++) {
      const gy = y0 + y;
      for (let x = 0; x < TILE_PX; x++, i++) {
        if (A[i] <= 0) continue;
        const gx = x0 + x;
        const variation = 1 + STAIN_VARIATION * variationNoise.at((gx >> 3) + sx, (gy >> 3) + sy); // = stainVariationAt
        const lesion = hasLesion ? L[i] : 0;
        const blur = hasBlur ? F[i] : 0;
        let br: number;
        let bgc: number;
        let bb: number;
        if (lesion > 0 || blur > 0) {
          const normalInk =
            sh.normalRate *
            (1 - DISPLACED * lesion) *
            inkArea(normalAb, NORMAL_NUCLEUS.alphaMax, NORMAL_NUCLEUS.edge + BLUR_EDGE * blur);
          const lymphInk =
            lesion > 0
              ? lesion *
                sh.lymphocyteRateMax *
                inkArea(lymphAb, LYMPHOCYTE.alphaMax, LYMPHOCYTE.edge + BLUR_EDGE * blur)
              : 0;
          const ink = normalInk + lymphInk;
          const Tr = Math.exp(-ink);
          const wN = (normalInk / ink) * (1 - Tr);
          const wL = (lymphInk / ink) * (1 - Tr);
          br = (Mr * variation - wN * Nr - wL * Lr) / Tr;
          bgc = (Mg * variation - wN * Ng - wL * Lg) / Tr;
          bb = (Mb * variation - wN * Nb - wL * Lb) / Tr;
        } else {
          br = Mr * variation * k0 - Nr * k1;
          bgc = Mg * variation * k0 - Ng * k1;
          bb = Mb * variation * k0 - Nb * k1;
        }
        // Fibres: stretched noise along a per-slide direction, bent by a slow warp; damped where
        // the stroma is lightened (lesions) or out of focus, so it neither clips nor stays sharp.
        const wx = gx + warpPx * warp.at(gx + wox, gy + woy);
        const wy = gy + warpPx * warp.at(gy + woy + 517, gx + wox + 311);
        const u = Math.floor(wx * c + wy * s);
        const v = Math.floor(-wx * s + wy * c);
        const fibre = 1 + FIBRE_CONTRAST * (1 - 0.7 * blur) * (1 - 0.6 * lesion) * fibreNoise.at(u + fox, v + foy);
        R[i] = br * fibre;
        G[i] = bgc * fibre;
        Bl[i] = bb * fibre;
      }
    }
  }

  /** Nuclei from the ~16 µm cells around the tile: a Poisson field thinned by lesion intensity. */
  protected drawNuclei(x0: number, y0: number): void {
    const sh = this.shading;
    const cell = this.cellPx;
    const margin = this.marginPx;
    const totalRate = sh.normalRate + sh.lymphocyteRateMax;
    const meanPerCell = totalRate * cell * cell;
    const cx0 = Math.floor((x0 - margin) / cell);
    const cx1 = Math.floor((x0 + TILE_PX + margin) / cell);
    const cy0 = Math.floor((y0 - margin) / cell);
    const cy1 = Math.floor((y0 + TILE_PX + margin) / cell);
    const inv = 1 / this.mpp;
    const seed = this.plan.seed;
    for (let cy = cy0; cy <= cy1; cy++) {
      for (let cx = cx0; cx <= cx1; cx++) {
        const rng = new Rng(hash32(seed, NUCLEI, cx, cy));
        const n = rng.poisson(meanPerCell);
        for (let k = 0; k < n; k++) {
          // A fixed number of draws per nucleus, so thinning never shifts the stream.
          const px = (cx + rng.next()) * cell;
          const py = (cy + rng.next()) * cell;
          const kind = rng.next() * totalRate;
          const shapeA = rng.next();
          const shapeB = rng.next();
          const angle = rng.next() * Math.PI;
          const dark = (rng.next() + rng.next() + rng.next() - 1.5) * 2 * NUCLEUS_DARKNESS_SPREAD;
          if (px < x0 - margin || px >= x0 + TILE_PX + margin || py < y0 - margin || py >= y0 + TILE_PX + margin)
            continue;
          let a: number;
          let b: number;
          let alphaMax: number;
          let edge: number;
          let rgb: Rgb;
          const lesion = kind < sh.normalRate + sh.lymphocyteRateMax ? this.lesionAt(px, py) : 0;
          if (kind < sh.normalRate) {
            // An infiltrate displaces part of the resident cells.
            if (kind >= sh.normalRate * (1 - DISPLACED * lesion)) continue;
            a = (NORMAL_NUCLEUS.aUm[0] + shapeA * (NORMAL_NUCLEUS.aUm[1] - NORMAL_NUCLEUS.aUm[0])) * inv;
            b = (NORMAL_NUCLEUS.bUm[0] + shapeB * (NORMAL_NUCLEUS.bUm[1] - NORMAL_NUCLEUS.bUm[0])) * inv;
            alphaMax = NORMAL_NUCLEUS.alphaMax;
            edge = NORMAL_NUCLEUS.edge;
            rgb = sh.nucleusRgb;
          } else {
            if (kind >= sh.normalRate + lesion * sh.lymphocyteRateMax) continue;
            const r = (LYMPHOCYTE.rUm[0] + shapeA * (LYMPHOCYTE.rUm[1] - LYMPHOCYTE.rUm[0])) * inv;
            a = r * (LYMPHOCYTE.elongation[0] + shapeB * (LYMPHOCYTE.elongation[1] - LYMPHOCYTE.elongation[0]));
            b = r;
            alphaMax = LYMPHOCYTE.alphaMax;
            edge = LYMPHOCYTE.edge;
            rgb = sh.lymphocyteRgb;
          }
          const blur = this.plan.blurs.length > 0 ? this.blurAt(px, py) : 0;
          this.drawNucleus(
            x0,
            y0,
            px,
            py,
            a,
            b,
            angle,
            alphaMax,
            edge + BLUR_EDGE * blur,
            rgb,
            1 + dark,
            CHROMATIN_CONTRAST * (1 - blur),
          );
        }
      }
    }
  }

  private drawNucleus(
    x0: number,
    y0: number,
    px: number,
    py: number,
    a: number,
    b: number,
    angle: number,
    alphaMax: number,
    edge: number,
    rgb: Rgb,
    shade: number,
    chromatin: number,
  ): void {
    const c = Math.cos(angle);
    const s = Math.sin(angle);
    const hx = Math.sqrt(a * a * c * c + b * b * s * s);
    const hy = Math.sqrt(a * a * s * s + b * b * c * c);
    const xa = Math.max(0, Math.floor(px - hx - x0));
    const xb = Math.min(TILE_PX - 1, Math.ceil(px + hx - x0));
    const ya = Math.max(0, Math.floor(py - hy - y0));
    const yb = Math.min(TILE_PX - 1, Math.ceil(py + hy - y0));
    if (xa > xb || ya > yb) return;
    const ca = c / a;
    const sa = s / a;
    const cb = c / b;
    const sb = s / b;
    const invEdge = 1 / edge;
    const nr = rgb[0] * shade;
    const ng = rgb[1] * shade;
    const nb = rgb[2] * shade;
    const A = this.alpha;
    for (let y = ya; y <= yb; y++) {
      const dy = y0 + y + 0.5 - py;
      for (let x = xa; x <= xb; x++) {
        const i = y * TILE_PX + x;
        const tissue = A[i];
        if (tissue <= 0) continue;
        const dx = x0 + x + 0.5 - px;
        const u = dx * ca + dy * sa;
        const v = -dx * sb + dy * cb;
        const rho2 = u * u + v * v;
        if (rho2 >= 1) continue;
        const ramp = (1 - Math.sqrt(rho2)) * invEdge;
        const alpha = alphaMax * (ramp < 1 ? ramp : 1) * tissue;
        const chrom = 1 + chromatin * this.chromatin.at(x0 + x + this.off.chromatin[0], y0 + y + this.off.chromatin[1]);
        this.red[i] += (nr * chrom - this.red[i]) * alpha;
        this.green[i] += (ng * chrom - this.green[i]) * alpha;
        this.blue[i] += (nb * chrom - this.blue[i]) * alpha;
      }
    }
  }

  /** A fold doubles the section: darker and more saturated (optical density x (1 + strength)). */
  private drawFold(f: Fold, x0: number, y0: number): void {
    const hw = f.widthPx / 2;
    const A = this.alpha;
    for (let y = 0, i = 0; y < TILE_PX; y++) {
      for (let x = 0; x < TILE_PX; x++, i++) {
        if (A[i] <= 0) continue;
        const d = segmentDistance(f.x1, f.y1, f.x2, f.y2, x0 + x + 0.5, y0 + y + 0.5);
        if (d >= hw) continue;
        const k = 1 + f.strength * A[i] * (1 - smoothstep(0.6 * hw, hw, d));
        this.red[i] = 255 * Math.pow(Math.max(this.red[i], 0) / 255, k);
        this.green[i] = 255 * Math.pow(Math.max(this.green[i], 0) / 255, k);
        this.blue[i] = 255 * Math.pow(Math.max(this.blue[i], 0) / 255, k);
      }
    }
  }

  /** Ink opacity of one pen over the tile into `P`; returns whether any pixel has ink. */
  private penAlpha(p: PenStroke, x0: number, y0: number, P: Float32Array): boolean {
    P.fill(0);
    const hw = p.widthPx / 2;
    // Only the segments near this tile.
    const segs: number[] = [];
    for (let k = 0; k + 1 < p.xs.length; k++) {
      const sx1 = Math.min(p.xs[k], p.xs[k + 1]) - hw;
      const sx2 = Math.max(p.xs[k], p.xs[k + 1]) + hw;
      const sy1 = Math.min(p.ys[k], p.ys[k + 1]) - hw;
      const sy2 = Math.max(p.ys[k], p.ys[k + 1]) + hw;
      if (boxOverlapsTile(sx1, sy1, sx2, sy2, x0, y0)) segs.push(k);
    }
    if (segs.length === 0) return false;
    let any = false;
    const soft = 2 / this.mpp;
    for (let y = 0; y < TILE_PX; y++) {
      for (let x = 0; x < TILE_PX; x++) {
        const gx = x0 + x + 0.5;
        const gy = y0 + y + 0.5;
        let d = Infinity;
        for (const k of segs) d = Math.min(d, segmentDistance(p.xs[k], p.ys[k], p.xs[k + 1], p.ys[k + 1], gx, gy));
        if (d >= hw) continue;
        const grain = 0.85 + 0.15 * this.penGrain.at(x0 + x + this.off.pen[0], y0 + y + this.off.pen[1]);
        P[y * TILE_PX + x] = p.opacity * grain * (1 - smoothstep(hw - soft, hw, d));
        any = true;
      }
    }
    return any;
  }

  /** Multiplies the ink of `P` onto the tile (marker ink is a filter over whatever is beneath). */
  private applyPen(rgb: Rgb, P: Float32Array): void {
    const [ir, ig, ib] = rgb;
    for (let i = 0; i < P.length; i++) {
      const a = P[i];
      if (a <= 0) continue;
      this.red[i] *= 1 - a + (a * ir) / 255;
      this.green[i] *= 1 - a + (a * ig) / 255;
      this.blue[i] *= 1 - a + (a * ib) / 255;
    }
  }
}

export function blurIntensity(b: BlurRegion, x: number, y: number): number {
  const d = ellipseDistance(b.cx, b.cy, b.rxPx, b.ryPx, b.angleRad, x, y);
  return d >= 1 ? 0 : b.strength * (1 - smoothstep(0.5, 1, d));
}
