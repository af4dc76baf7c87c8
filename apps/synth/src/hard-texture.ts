// Draws the tiles of a hard slide: a mosaic of a real H&E slide's tissue, re-stained with the
// patient's stain, with nuclei-dense structures painted over it (lesions: small round dark
// lymphocytes; hard negatives: spindle cells, cellular areas, vessel walls). Each structure keeps
// the local mean colour: after painting, the local mean (a box filter of about 20 µm) of what the
// paint changed is added back, so only the texture changes. Fragments, holes, folds, pens and the
// pyramid are those of the standard renderer.
//
// The mosaic: level-0 space is cut into cells; each cell shows one window of the source, turned
// by one of the 8 symmetries of the square, chosen by a hash of (slide seed, cell). Neighbouring
// cells meet in a band where the amounts are blended preserving their variance (Heitz & Neyret
// 2018), so seams neither show as lines nor as washed-out bands.
import type { HardStain, SlidePlan, Structure } from './plan';
import { hash32, label32, Rng } from './rng';
import { blurIntensity, SlideRenderer, TILE_PX } from './texture';
import { WINDOW_SRC_PX, type TextureSource } from './texture-source';
import { TissueModel } from './tissue-model';

const BAND = 0.1;
/** exp(-x) for x in [0, EXP_MAX), step 1 / EXP_STEPS: three per pixel are the mosaic's main cost. */
const EXP_STEPS = 1024;
const EXP_MAX = 12;
const EXP_LUT = Float32Array.from({ length: EXP_MAX * EXP_STEPS + 1 }, (_, i) => Math.exp(-i / EXP_STEPS));
function expNeg(x: number): number {
  const k = (x * EXP_STEPS + 0.5) | 0;
  return k < 0 ? Math.exp(-x) : k < EXP_LUT.length ? EXP_LUT[k] : 0;
}
const MOSAIC = label32('mosaic');
const STRUCTURE_NUCLEI = label32('structure-nuclei');
/** Radius of the local mean kept by structures, µm. */
const MEAN_RADIUS_UM = 10;

interface NucleusKind {
  /** Semi-axes ranges, µm. */
  aUm: [number, number];
  bUm: [number, number];
  /** Share of the structure area under nuclei. */
  ink: number;
  alphaMax: number;
  /** Haematoxylin amount relative to the source's dark nuclei. */
  darkness: number;
  /** Angle spread around the structure's axis (radians); Infinity = any angle. */
  angleSpread: number;
}

const KINDS: Record<Structure['kind'], NucleusKind> = {
  lesion: { aUm: [2.7, 3.6], bUm: [2.5, 3.3], ink: 0.38, alphaMax: 0.88, darkness: 1.15, angleSpread: Infinity },
  spindle: { aUm: [5, 8], bUm: [1.2, 2], ink: 0.3, alphaMax: 0.88, darkness: 1.0, angleSpread: 0.3 },
  cellular: { aUm: [3.6, 5.2], bUm: [2.8, 4], ink: 0.36, alphaMax: 0.78, darkness: 0.8, angleSpread: Infinity },
  vessel: { aUm: [5, 7.5], bUm: [1.3, 2], ink: 0.45, alphaMax: 0.9, darkness: 1.0, angleSpread: 0.25 },
};

function smoothstep(e0: number, e1: number, x: number): number {
  const t = Math.min(1, Math.max(0, (x - e0) / (e1 - e0)));
  return t * t * (3 - 2 * t);
}

/** Structure intensity (0..1) at a point: a soft ellipse, or a ring for vessel walls. */
export function structureIntensity(s: Structure, x: number, y: number): number {
  const dx = x - s.cx;
  const dy = y - s.cy;
  const c = Math.cos(s.angleRad);
  const sn = Math.sin(s.angleRad);
  const u = (dx * c + dy * sn) / s.semiMajorPx;
  const v = (-dx * sn + dy * c) / s.semiMinorPx;
  const d = Math.sqrt(u * u + v * v);
  if (d >= 1) return 0;
  if (s.kind === 'vessel') return smoothstep(0.55, 0.72, d) * (1 - smoothstep(0.88, 1, d));
  return 1 - smoothstep(0.75, 1, d);
}

export class HardSlideRenderer extends SlideRenderer {
  private readonly src: TextureSource;
  private readonly stainH: [number, number, number];
  private readonly stainE: [number, number, number];
  private readonly gamma: [number, number, number];
  private readonly glassRgb: [number, number, number];
  /** Source px per level-0 px, and the mosaic cell in level-0 px. */
  private readonly scale: number;
  private readonly cellPxHard: number;
  private readonly structures: Structure[];
  private readonly meanRadiusPx: number;
  private readonly marginHard: number;
  private readonly extendedPx: number;
  private readonly extendedTissue: TissueModel;
  private readonly ext: Float32Array[];
  private readonly integral: Float64Array;
  private readonly wavePhase: number[];
  private readonly room: Float64Array;
  private readonly nucleusRgb: Map<Structure['kind'], [number, number, number]>;

  constructor(plan: SlidePlan, tissue: TissueModel, src: TextureSource) {
    super(plan, tissue);
    if (!plan.hard) throw new Error('HardSlideRenderer: not a hard slide');
    const st: HardStain = plan.hard.stain;
    this.src = src;
    this.stainH = st.hematoxylinOd.map((v) => v * st.hematoxylinScale) as [number, number, number];
    this.stainE = st.eosinOd.map((v) => v * st.eosinScale) as [number, number, number];
    this.gamma = [...st.gamma];
    this.glassRgb = [...st.backgroundRgb];
    this.scale = plan.mpp / src.mpp;
    // A cell and its blend band stay within one source window.
    this.cellPxHard = (0.98 * WINDOW_SRC_PX) / (this.scale * (1 + 2 * BAND));
    this.structures = [
      ...plan.lesions.map((l): Structure => ({
        kind: 'lesion',
        cx: l.cx,
        cy: l.cy,
        semiMajorPx: l.semiMajorPx,
        semiMinorPx: l.semiMinorPx,
        angleRad: l.angleRad,
        box: l.box,
        nextToLesion: false,
      })),
      ...plan.hard.negatives,
    ];
    this.meanRadiusPx = Math.max(2, Math.round(MEAN_RADIUS_UM / plan.mpp));
    this.marginHard = this.meanRadiusPx;
    this.extendedPx = TILE_PX + 2 * this.marginHard;
    this.extendedTissue = new TissueModel(plan.fragments, plan.mpp, plan.holeFraction, this.extendedPx);
    const n = this.extendedPx * this.extendedPx;
    // alpha, blur, base RGB, painted RGB, and a scratch row for the box filter.
    this.ext = Array.from({ length: 8 }, () => new Float32Array(n));
    const phases = Rng.of(plan.seed, 'mosaic-waves');
    this.wavePhase = [0, 1, 2, 3].map(() => phases.uniform(0, 2 * Math.PI));
    this.integral = new Float64Array((this.extendedPx + 1) ** 2);
    this.room = new Float64Array((this.extendedPx + 1) ** 2);
    this.nucleusRgb = new Map(
      (Object.keys(KINDS) as Structure['kind'][]).map((k) => [k, this.colour(src.nucleusH * KINDS[k].darkness, 0.12)]),
    );
  }

  /** The colour of haematoxylin and eosin amounts on this slide. */
  colour(h: number, e: number): [number, number, number] {
    const out: [number, number, number] = [0, 0, 0];
    for (let c = 0; c < 3; c++)
      out[c] = this.glassRgb[c] * Math.exp(-this.gamma[c] * (h * this.stainH[c] + e * this.stainE[c]));
    return out;
  }

  /** Texture of a w x h region at level-0 (x0, y0) into r, g, b; `blurOf(i)` gives the defocus. */
  private mosaic(
    x0: number,
    y0: number,
    w: number,
    h: number,
    alpha: Float32Array,
    blurField: Float32Array | null,
    r: Float32Array,
    g: Float32Array,
    b: Float32Array,
  ): void {
    const src = this.src;
    const C = this.cellPxHard;
    const sc = this.scale;
    const seed = this.plan.seed;
    const half = WINDOW_SRC_PX / 2;
    const nWin = src.windows.length / 2;
    const sw = src.widthPx;
    const [Hr, Hg, Hb] = this.stainH;
    const [Er, Eg, Eb] = this.stainE;
    const [Rr, Rg, Rb] = src.residualOd;
    const [gr, gg, gb] = this.gamma;
    const [Ir, Ig, Ib] = this.glassRgb;
    const sample = (plane: Float32Array, fx: number, fy: number) => {
      const ix = Math.floor(fx);
      const iy = Math.floor(fy);
      const tx = fx - ix;
      const ty = fy - iy;
      const k = iy * sw + ix;
      const top = plane[k] + (plane[k + 1] - plane[k]) * tx;
      const bottom = plane[k + sw] + (plane[k + sw + 1] - plane[k + sw]) * tx;
      return top + (bottom - top) * ty;
    };
    const ws = [0, 0, 0, 0];
    const cis = [0, 0, 0, 0];
    const cjs = [0, 0, 0, 0];
    // Window corner and symmetry of every cell the region touches, hashed once per region.
    const ci0 = Math.floor((x0 + 0.5) / C - 0.65);
    const cj0 = Math.floor((y0 + 0.5) / C - 0.65);
    const nci = Math.floor((x0 + w) / C - 0.35) - ci0 + 2;
    const ncj = Math.floor((y0 + h) / C - 0.35) - cj0 + 2;
    const cellWinX = new Int32Array(nci * ncj);
    const cellWinY = new Int32Array(nci * ncj);
    const cellSym = new Uint8Array(nci * ncj);
    for (let j = 0; j < ncj; j++)
      for (let i = 0; i < nci; i++) {
        const hash = hash32(seed, MOSAIC, ci0 + i, cj0 + j);
        const win = (hash >>> 3) % nWin;
        cellWinX[j * nci + i] = src.windows[2 * win];
        cellWinY[j * nci + i] = src.windows[2 * win + 1];
        cellSym[j * nci + i] = hash & 7;
      }
    // Wavy cell borders (a sum of two sines per axis, phases per slide), so no grid shows.
    const [p1, p2, p3, p4] = this.wavePhase;
    const waveU = new Float32Array(h);
    const waveV = new Float32Array(w);
    for (let y = 0; y < h; y++) {
      const t = (y0 + y) / C;
      waveU[y] = 0.09 * Math.sin(2.3 * t + p1) + 0.05 * Math.sin(5.1 * t + p2);
    }
    for (let x = 0; x < w; x++) {
      const t = (x0 + x) / C;
      waveV[x] = 0.09 * Math.sin(2.1 * t + p3) + 0.05 * Math.sin(4.7 * t + p4);
    }
    for (let y = 0, i = 0; y < h; y++) {
      const gy = y0 + y + 0.5;
      const vRow = gy / C - 0.5;
      for (let x = 0; x < w; x++, i++) {
        if (alpha[i] <= 0) continue;
        const v = vRow + waveV[x];
        const j0 = Math.floor(v);
        const wy1 = smoothstep(0.5 - BAND, 0.5 + BAND, v - j0);
        const gx = x0 + x + 0.5;
        const u = gx / C - 0.5 + waveU[y];
        const i0 = Math.floor(u);
        const wx1 = smoothstep(0.5 - BAND, 0.5 + BAND, u - i0);
        let n = 0;
        for (let dj = 0; dj < 2; dj++) {
          const wyk = dj ? wy1 : 1 - wy1;
          if (wyk <= 0) continue;
          for (let di = 0; di < 2; di++) {
            const wk = (di ? wx1 : 1 - wx1) * wyk;
            if (wk <= 0) continue;
            ws[n] = wk;
            cis[n] = i0 + di;
            cjs[n] = j0 + dj;
            n++;
          }
        }
        const blur = blurField ? blurField[i] : 0;
        let hSum = 0;
        let eSum = 0;
        let rSum = 0;
        let w2 = 0;
        for (let k = 0; k < n; k++) {
          const cell = (cjs[k] - cj0) * nci + (cis[k] - ci0);
          const sym = cellSym[cell];
          let dx = (gx - (cis[k] + 0.5) * C) * sc;
          let dy = (gy - (cjs[k] + 0.5) * C) * sc;
          if (sym & 1) dx = -dx;
          if (sym & 2) dy = -dy;
          if (sym & 4) {
            const t = dx;
            dx = dy;
            dy = t;
          }
          const fx = Math.min(WINDOW_SRC_PX - 1.001, Math.max(0, half + dx)) + cellWinX[cell];
          const fy = Math.min(WINDOW_SRC_PX - 1.001, Math.max(0, half + dy)) + cellWinY[cell];
          let hv = sample(src.h, fx, fy);
          let ev = sample(src.e, fx, fy);
          let rv = sample(src.res, fx, fy);
          if (blur > 0) {
            hv += (sample(src.hBlur, fx, fy) - hv) * blur;
            ev += (sample(src.eBlur, fx, fy) - ev) * blur;
            rv += (sample(src.resBlur, fx, fy) - rv) * blur;
          }
          hSum += ws[k] * (hv - src.meanH);
          eSum += ws[k] * (ev - src.meanE);
          rSum += ws[k] * rv;
          w2 += ws[k] * ws[k];
        }
        const norm = n > 1 ? 1 / Math.sqrt(w2) : 1;
        const hv = Math.max(0, src.meanH + hSum * norm);
        const ev = Math.max(0, src.meanE + eSum * norm);
        // The residual is the scanner's, not the stain's: it stays as read.
        const rv = rSum * norm;
        r[i] = Ir * expNeg(gr * (hv * Hr + ev * Er + rv * Rr));
        g[i] = Ig * expNeg(gg * (hv * Hg + ev * Eg + rv * Rg));
        b[i] = Ib * expNeg(gb * (hv * Hb + ev * Eb + rv * Rb));
      }
    }
  }

  protected override drawStroma(x0: number, y0: number, _hasLesion: boolean, hasBlur: boolean): void {
    const m = this.marginHard;
    const near = this.structures.filter(
      (s) => s.box.x1 < x0 + TILE_PX + m && s.box.x2 > x0 - m && s.box.y1 < y0 + TILE_PX + m && s.box.y2 > y0 - m,
    );
    const F = this.blurField;
    if (near.length === 0) {
      this.mosaic(x0, y0, TILE_PX, TILE_PX, this.alpha, hasBlur ? F : null, this.red, this.green, this.blue);
      return;
    }
    // Structures: the region with a margin, painted, then the local means put back.
    const E = this.extendedPx;
    const [A, Bf, r0, g0, b0, r1, g1, b1] = this.ext;
    const ex = x0 - m;
    const ey = y0 - m;
    this.extendedTissue.coverTile(ex, ey, E, E, A);
    const blurs = this.plan.blurs;
    if (blurs.length > 0) {
      for (let y = 0, i = 0; y < E; y++)
        for (let x = 0; x < E; x++, i++) {
          let v = 0;
          for (const bl of blurs) v = Math.max(v, blurIntensity(bl, ex + x + 0.5, ey + y + 0.5));
          Bf[i] = v;
        }
    } else Bf.fill(0);
    r0.fill(0);
    g0.fill(0);
    b0.fill(0);
    this.mosaic(ex, ey, E, E, A, blurs.length > 0 ? Bf : null, r0, g0, b0);
    r1.set(r0);
    g1.set(g0);
    b1.set(b0);
    for (const [k, s] of near.entries()) this.paintStructure(s, k, ex, ey, E, A, Bf, r1, g1, b1);
    // One weight for the three channels, so the lift does not change the hue.
    const weight = Bf;
    for (let i = 0; i < weight.length; i++)
      weight[i] = Math.max(0, Math.min(HEADROOM, 255 - Math.max(r1[i], g1[i], b1[i])));
    for (const [base, painted, out] of [
      [r0, r1, this.red],
      [g0, g1, this.green],
      [b0, b1, this.blue],
    ] as const)
      keepLocalMean(base, painted, E, m, this.meanRadiusPx, this.integral, this.room, weight, out);
  }

  /** No procedural nuclei beyond the structures: the real texture has its own. */
  protected override drawNuclei(): void {
    return;
  }

  private paintStructure(
    s: Structure,
    index: number,
    ex: number,
    ey: number,
    E: number,
    A: Float32Array,
    Bf: Float32Array,
    r: Float32Array,
    g: Float32Array,
    b: Float32Array,
  ): void {
    const kind = KINDS[s.kind];
    const inv = 1 / this.plan.mpp;
    const meanA = ((kind.aUm[0] + kind.aUm[1]) / 2) * inv;
    const meanB = ((kind.bUm[0] + kind.bUm[1]) / 2) * inv;
    // Soft-edged nuclei cover about 0.6 of their ellipse.
    const rate = -Math.log(1 - kind.ink) / (Math.PI * meanA * meanB * 0.6 * kind.alphaMax);
    const cell = Math.max(8, Math.round(16 / this.plan.mpp));
    const reach = kind.aUm[1] * inv + 2;
    const xa = Math.max(s.box.x1, ex - reach);
    const xb = Math.min(s.box.x2, ex + E + reach);
    const ya = Math.max(s.box.y1, ey - reach);
    const yb = Math.min(s.box.y2, ey + E + reach);
    if (xa >= xb || ya >= yb) return;
    const [nr, ng, nb] = this.nucleusRgb.get(s.kind) as [number, number, number];
    const id = hash32(this.plan.seed, STRUCTURE_NUCLEI, index, s.kind.length, Math.floor(s.cx), Math.floor(s.cy));
    for (let cy = Math.floor(ya / cell); cy <= Math.floor(yb / cell); cy++) {
      for (let cx = Math.floor(xa / cell); cx <= Math.floor(xb / cell); cx++) {
        const rng = new Rng(hash32(id, cx, cy));
        const count = rng.poisson(rate * cell * cell);
        for (let k = 0; k < count; k++) {
          const px = (cx + rng.next()) * cell;
          const py = (cy + rng.next()) * cell;
          const keep = rng.next();
          const sa = rng.next();
          const sb = rng.next();
          const turn = rng.normal();
          const shade = 1 + 0.3 * (rng.next() - 0.5);
          if (px < ex - reach || px >= ex + E + reach || py < ey - reach || py >= ey + E + reach) continue;
          if (keep >= structureIntensity(s, px, py)) continue;
          const a = (kind.aUm[0] + sa * (kind.aUm[1] - kind.aUm[0])) * inv;
          const bb = (kind.bUm[0] + sb * (kind.bUm[1] - kind.bUm[0])) * inv;
          let angle: number;
          if (kind.angleSpread === Infinity) angle = turn * Math.PI;
          else if (s.kind === 'vessel')
            angle = Math.atan2(py - s.cy, px - s.cx) + Math.PI / 2 + kind.angleSpread * turn;
          else angle = s.angleRad + kind.angleSpread * turn;
          const ix = Math.min(E - 1, Math.max(0, Math.floor(px - ex)));
          const iy = Math.min(E - 1, Math.max(0, Math.floor(py - ey)));
          const blur = Bf[iy * E + ix];
          paintNucleus(
            ex,
            ey,
            E,
            px,
            py,
            a,
            bb,
            angle,
            kind.alphaMax,
            0.2 + 0.7 * blur,
            nr * shade,
            ng * shade,
            nb * shade,
            A,
            r,
            g,
            b,
          );
        }
      }
    }
  }
}

function paintNucleus(
  ex: number,
  ey: number,
  E: number,
  px: number,
  py: number,
  a: number,
  b: number,
  angle: number,
  alphaMax: number,
  edge: number,
  nr: number,
  ng: number,
  nb: number,
  A: Float32Array,
  R: Float32Array,
  G: Float32Array,
  B: Float32Array,
): void {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const hx = Math.sqrt(a * a * c * c + b * b * s * s);
  const hy = Math.sqrt(a * a * s * s + b * b * c * c);
  const xa = Math.max(0, Math.floor(px - hx - ex));
  const xb = Math.min(E - 1, Math.ceil(px + hx - ex));
  const ya = Math.max(0, Math.floor(py - hy - ey));
  const yb = Math.min(E - 1, Math.ceil(py + hy - ey));
  const invEdge = 1 / edge;
  for (let y = ya; y <= yb; y++) {
    const dy = ey + y + 0.5 - py;
    for (let x = xa; x <= xb; x++) {
      const i = y * E + x;
      if (A[i] <= 0) continue;
      const dx = ex + x + 0.5 - px;
      const u = (dx * c + dy * s) / a;
      const v = (-dx * s + dy * c) / b;
      const rho2 = u * u + v * v;
      if (rho2 >= 1) continue;
      const ramp = (1 - Math.sqrt(rho2)) * invEdge;
      const al = alphaMax * (ramp < 1 ? ramp : 1) * A[i];
      R[i] += (nr - R[i]) * al;
      G[i] += (ng - G[i]) * al;
      B[i] += (nb - B[i]) * al;
    }
  }
}

/** Lift headroom counted per pixel: pixels near white take less of a lift, so nothing clips. */
const HEADROOM = 64;

/**
 * Writes into `out` (the tile, at offset `m` inside the region) the painted plane plus what the
 * paint took from the local mean (box of side 2 radius + 1, clamped at the region's edge), spread
 * over the pixels by their headroom below white: the painted texture on the unpainted mean. Only
 * the difference needs a mean: it is zero away from painted nuclei.
 */
function keepLocalMean(
  base: Float32Array,
  painted: Float32Array,
  E: number,
  m: number,
  radius: number,
  integral: Float64Array,
  room: Float64Array,
  weight: Float32Array,
  out: Float32Array,
): void {
  const iw = E + 1;
  for (let y = 0; y < E; y++) {
    let row = 0;
    let rowRoom = 0;
    for (let x = 0; x < E; x++) {
      const i = y * E + x;
      row += base[i] - painted[i];
      rowRoom += weight[i];
      integral[(y + 1) * iw + x + 1] = integral[y * iw + x + 1] + row;
      room[(y + 1) * iw + x + 1] = room[y * iw + x + 1] + rowRoom;
    }
  }
  const sum = (t: Float64Array, x1: number, y1: number, x2: number, y2: number) =>
    t[y2 * iw + x2] - t[y1 * iw + x2] - t[y2 * iw + x1] + t[y1 * iw + x1];
  for (let y = 0; y < TILE_PX; y++) {
    const gy = y + m;
    const y1 = Math.max(0, gy - radius);
    const y2 = Math.min(E, gy + radius + 1);
    for (let x = 0; x < TILE_PX; x++) {
      const gx = x + m;
      const x1 = Math.max(0, gx - radius);
      const x2 = Math.min(E, gx + radius + 1);
      const d = sum(integral, x1, y1, x2, y2);
      const r = sum(room, x1, y1, x2, y2);
      const k = gy * E + gx;
      out[y * TILE_PX + x] = painted[k] + (r > 0 ? (d * weight[k]) / r : 0);
    }
  }
}
