import { describe, expect, it } from 'vitest';
import { makeStain } from './cohort';
import { laplacianEnergy, meanRgb } from './features';
import type { SlidePlan } from './plan';
import { Rng } from './rng';
import { computeShading, edgeIntegral, NORMAL_INK, SlideRenderer, TILE_PX } from './texture';
import { TissueModel, type Fragment } from './tissue-model';

/** A slide that is one big block of tissue with one large lesion in its middle. */
function blockSlide(extra: Partial<SlidePlan> = {}): { plan: SlidePlan; renderer: SlideRenderer } {
  const fragment: Fragment = {
    xs: Float64Array.from([512, 7680, 7680, 512]),
    ys: Float64Array.from([512, 512, 7680, 7680]),
    box: { x1: 512, x2: 7680, y1: 512, y2: 7680 },
    holeOffsetX: 0,
    holeOffsetY: 0,
  };
  const plan: SlidePlan = {
    fileName: 'block_a.tif',
    patientId: 'block',
    letter: 'a',
    split: 'train',
    seed: 99,
    widthPx: 8192,
    heightPx: 8192,
    mpp: 0.25,
    objectivePower: 40,
    holeFraction: 0,
    fragments: [fragment],
    lesions: [
      {
        box: { x1: 2096, x2: 6096, y1: 2596, y2: 5596 },
        cx: 4096,
        cy: 4096,
        semiMajorPx: 2000,
        semiMinorPx: 1500,
        angleRad: 0,
        nearEdge: false,
        tissueFraction: 1,
      },
    ],
    folds: [],
    blurs: [],
    pens: [],
    stain: makeStain(new Rng(4)),
    ...extra,
  };
  return { plan, renderer: new SlideRenderer(plan, new TissueModel(plan.fragments, plan.mpp, plan.holeFraction)) };
}

function render(r: SlideRenderer, x0: number, y0: number): Uint8Array {
  const t = new Uint8Array(TILE_PX * TILE_PX * 3);
  expect(r.renderTile(x0, y0, t)).toBe(true);
  return t;
}

describe('edgeIntegral', () => {
  it('matches numerical integration of the soft nucleus profile', () => {
    for (const w of [0, 0.1, 0.3, 0.8, 1, 1.5]) {
      let sum = 0;
      const n = 200_000;
      for (let i = 0; i < n; i++) {
        const rho = (i + 0.5) / n;
        sum += rho * (w === 0 ? 1 : Math.min(1, (1 - rho) / w));
      }
      expect(edgeIntegral(w)).toBeCloseTo(sum / n, 5);
    }
  });
});

describe('computeShading', () => {
  it('leaves every slide room for lesions clearly denser than normal tissue', () => {
    for (let seed = 0; seed < 200; seed++) {
      const sh = computeShading(makeStain(new Rng(seed)), 0.25);
      expect(sh.lesionInk).toBeGreaterThan(NORMAL_INK + 0.08);
      expect(sh.lymphocyteRateMax).toBeGreaterThan(sh.normalRate * 0.5);
      // Pink stroma, purple nuclei: red above green in both, nuclei darker.
      expect(sh.stromaRgb[0]).toBeGreaterThan(sh.stromaRgb[1]);
      expect(sh.nucleusRgb[0] + sh.nucleusRgb[1] + sh.nucleusRgb[2]).toBeLessThan(
        sh.stromaRgb[0] + sh.stromaRgb[1] + sh.stromaRgb[2] - 80,
      );
    }
  });

  it('keeps nuclei per area when the resolution changes', () => {
    const stain = makeStain(new Rng(1));
    const a = computeShading(stain, 0.25);
    const b = computeShading(stain, 0.5);
    expect(b.normalRate / a.normalRate).toBeCloseTo(4, 5);
  });
});

describe('SlideRenderer', () => {
  const { plan, renderer } = blockSlide();
  const sh = renderer.shading;

  // Tiles wholly inside the lesion core, and wholly in plain tissue (away from the lesion box).
  const lesionTiles: [number, number][] = [];
  const normalTiles: [number, number][] = [];
  for (let y0 = 512; y0 + TILE_PX <= 7680; y0 += TILE_PX) {
    for (let x0 = 512; x0 + TILE_PX <= 7680; x0 += TILE_PX) {
      const corners = [
        [x0, y0],
        [x0 + TILE_PX, y0],
        [x0, y0 + TILE_PX],
        [x0 + TILE_PX, y0 + TILE_PX],
      ];
      const l = plan.lesions[0];
      const d = corners.map(([x, y]) => Math.hypot((x - l.cx) / l.semiMajorPx, (y - l.cy) / l.semiMinorPx));
      if (d.every((v) => v < 0.6)) lesionTiles.push([x0, y0]);
      else if (x0 + TILE_PX < l.box.x1 || x0 > l.box.x2 || y0 + TILE_PX < l.box.y1 || y0 > l.box.y2)
        normalTiles.push([x0, y0]);
    }
  }

  /** Mean of pixel / stain variation: what the compensation aims to hold at the target mean. */
  function flattenedMean(tiles: [number, number][]): number[] {
    const sum = [0, 0, 0];
    let n = 0;
    for (const [x0, y0] of tiles.slice(0, 40)) {
      const t = render(renderer, x0, y0);
      for (let y = 0, o = 0; y < TILE_PX; y++) {
        for (let x = 0; x < TILE_PX; x++, o += 3) {
          const v = renderer.stainVariationAt(x0 + x, y0 + y);
          for (let c = 0; c < 3; c++) sum[c] += t[o + c] / v;
          n++;
        }
      }
    }
    return sum.map((s) => s / n);
  }

  it('keeps the mean colour of lesions equal to that of normal tissue', () => {
    expect(lesionTiles.length).toBeGreaterThanOrEqual(20);
    expect(normalTiles.length).toBeGreaterThanOrEqual(40);
    const lesion = flattenedMean(lesionTiles);
    const normal = flattenedMean(normalTiles);
    for (let c = 0; c < 3; c++) {
      expect(Math.abs(lesion[c] - sh.meanRgb[c])).toBeLessThan(2.5);
      expect(Math.abs(normal[c] - sh.meanRgb[c])).toBeLessThan(2.5);
    }
  });

  it('gives lesions a different texture', () => {
    const energy = (tiles: [number, number][]) =>
      tiles.slice(0, 20).map(([x0, y0]) => laplacianEnergy(render(renderer, x0, y0), TILE_PX));
    const lesion = energy(lesionTiles);
    const normal = energy(normalTiles);
    // Every lesion tile above every normal tile.
    expect(Math.min(...lesion)).toBeGreaterThan(Math.max(...normal));
  });

  it('draws the same pixels whichever tile grid they are drawn in', () => {
    const a = render(renderer, 1024, 1024);
    const b = render(renderer, 1024 + 256, 1024);
    const shifted = render(renderer, 1024 + 128, 1024 + 64);
    // The shifted tile's pixel (x, y) is level-0 (1152 + x, 1088 + y).
    for (let y = 0; y < TILE_PX - 64; y += 5) {
      for (let x = 0; x < TILE_PX; x += 3) {
        const gx = 128 + x;
        const src = gx < TILE_PX ? a : b;
        const sx = gx < TILE_PX ? gx : gx - TILE_PX;
        for (let c = 0; c < 3; c++)
          expect(shifted[(y * TILE_PX + x) * 3 + c]).toBe(src[((y + 64) * TILE_PX + sx) * 3 + c]);
      }
    }
  });

  it('leaves glass out and matches the shared glass tile where there is no tissue', () => {
    const t = new Uint8Array(TILE_PX * TILE_PX * 3).fill(7);
    expect(renderer.renderTile(0, 0, t)).toBe(false);
    expect(t.every((v) => v === 7)).toBe(true);
    // The tile at (384, 384) is half glass: its glass pixels equal the shared glass tile's.
    const mixed = render(renderer, 384, 384);
    const glass = renderer.backgroundTile();
    for (let i = 0; i < 100; i++) expect(mixed[3 * i]).toBe(glass[3 * i]);
    const [r, g, b] = meanRgb(glass);
    for (const [v, want] of [
      [r, plan.stain.backgroundRgb[0]],
      [g, plan.stain.backgroundRgb[1]],
      [b, plan.stain.backgroundRgb[2]],
    ]) {
      expect(Math.abs(v - want)).toBeLessThan(1);
    }
  });

  it('darkens folds and inks pen strokes', () => {
    const plain = render(renderer, 1024, 1024);
    const { renderer: folded } = blockSlide({
      folds: [{ x1: 900, y1: 1152, x2: 1400, y2: 1152, widthPx: 120, strength: 1 }],
    });
    const f = render(folded, 1024, 1024);
    const rowMean = (t: Uint8Array, y: number) => meanRgb(t.subarray(y * TILE_PX * 3, (y + 1) * TILE_PX * 3));
    expect(rowMean(f, 128)[1]).toBeLessThan(rowMean(plain, 128)[1] - 15);
    expect(rowMean(f, 10)).toEqual(rowMean(plain, 10));
    const { renderer: inked } = blockSlide({
      pens: [{ xs: [0, 300], ys: [100, 100], widthPx: 60, rgb: [40, 130, 70], opacity: 0.8 }],
    });
    const p = render(inked, 0, 0);
    const [pr, pg] = rowMean(p, 100);
    expect(pg).toBeGreaterThan(pr); // green ink on glass
  });
});
