// The check that a hard cohort is what it claims: patches labelled by the truth boxes, a mean-RGB
// logistic classifier trained on some patients and scored on the others (should be near chance),
// against the same classifier on simple texture measures (should do clearly better). Patches are
// drawn straight from the renderer at 0.5 µm/px (256 px from 512 level-0 px).
import { planCohort, tissueOf } from './cohort';
import { auc, grayStd, laplacianEnergy, meanRgb } from './features';
import { HardSlideRenderer } from './hard-texture';
import type { CohortParams, SlidePlan } from './plan';
import { Rng } from './rng';
import { TILE_PX } from './texture';
import type { TextureSource } from './texture-source';
import type { Box } from './tissue-model';

export interface Patch {
  slide: string;
  split: 'train' | 'validation';
  lesion: boolean;
  /** Overlaps a hard negative (and no lesion). */
  hardNegative: boolean;
  rgb: Uint8Array;
}

/** Patches at least this much tissue (as a tissue detector keeps them), so glass does not tell. */
export const MIN_TISSUE = 0.8;

const overlap = (a: Box, b: Box) =>
  Math.max(0, Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1)) * Math.max(0, Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1));

/** Lesion patches (half or more inside a truth box) and negatives (no overlap) of one slide. */
export function patchesOf(
  plan: SlidePlan,
  texture: TextureSource,
  maxNegatives: number,
  maxLesions = Infinity,
  minTissue = MIN_TISSUE,
): Patch[] {
  const P = 2 * TILE_PX;
  const tissue = tissueOf(plan);
  const renderer = new HardSlideRenderer(plan, tissue, texture);
  const boxes: { box: Box; lesion: boolean; hard: boolean }[] = [];
  for (let y = 0; y + P <= plan.heightPx; y += P)
    for (let x = 0; x + P <= plan.widthPx; x += P) {
      const box = { x1: x, y1: y, x2: x + P, y2: y + P };
      const inLesion = Math.max(0, ...plan.lesions.map((l) => overlap(l.box, box)));
      const lesion = inLesion >= 0.5 * P * P;
      if (!lesion && inLesion > 0) continue;
      if (tissue.tissueFraction(box, 8) < minTissue) continue;
      const hard = (plan.hard?.negatives ?? []).some((n) => overlap(n.box, box) >= 0.25 * P * P);
      boxes.push({ box, lesion, hard });
    }
  const rng = Rng.of(plan.seed, 'hard-check');
  const hardOnes = rng.shuffle(boxes.filter((b) => !b.lesion && b.hard)).slice(0, maxNegatives / 2);
  const others = rng.shuffle(boxes.filter((b) => !b.lesion && !b.hard)).slice(0, maxNegatives - hardOnes.length);
  const tile = new Uint8Array(TILE_PX * TILE_PX * 3);
  const full = new Uint8Array(P * P * 3);
  const lesions = rng.shuffle(boxes.filter((b) => b.lesion)).slice(0, maxLesions);
  return [...lesions, ...hardOnes, ...others].map(({ box, lesion, hard }) => {
    for (let ty = 0; ty < 2; ty++)
      for (let tx = 0; tx < 2; tx++) {
        if (!renderer.renderTile(box.x1 + tx * TILE_PX, box.y1 + ty * TILE_PX, tile))
          tile.set(renderer.backgroundTile());
        for (let y = 0; y < TILE_PX; y++)
          full.set(tile.subarray(y * TILE_PX * 3, (y + 1) * TILE_PX * 3), ((ty * TILE_PX + y) * P + tx * TILE_PX) * 3);
      }
    // 2 x 2 binning to 0.5 µm/px.
    const rgb = new Uint8Array(TILE_PX * TILE_PX * 3);
    for (let y = 0; y < TILE_PX; y++)
      for (let x = 0; x < TILE_PX; x++)
        for (let c = 0; c < 3; c++) {
          const at = (yy: number, xx: number) => full[(yy * P + xx) * 3 + c];
          const v = at(2 * y, 2 * x) + at(2 * y, 2 * x + 1) + at(2 * y + 1, 2 * x) + at(2 * y + 1, 2 * x + 1);
          rgb[(y * TILE_PX + x) * 3 + c] = (v + 2) >> 2;
        }
    return { slide: plan.fileName, split: plan.split, lesion, hardNegative: hard && !lesion, rgb };
  });
}

/** Logistic regression by gradient descent on standardised features; returns a scorer. */
export function fitLogistic(xs: number[][], ys: boolean[], steps = 500, rate = 0.5): (x: number[]) => number {
  const d = xs[0].length;
  const mean = Array.from({ length: d }, (_, j) => xs.reduce((s, x) => s + x[j], 0) / xs.length);
  const sd = Array.from(
    { length: d },
    (_, j) => Math.sqrt(xs.reduce((s, x) => s + (x[j] - mean[j]) ** 2, 0) / xs.length) || 1,
  );
  const z = (x: number[]) => x.map((v, j) => (v - mean[j]) / sd[j]);
  const zs = xs.map(z);
  // Classes weighted equally (lesion patches are few).
  const nPos = ys.filter(Boolean).length;
  const wPos = xs.length / (2 * nPos);
  const wNeg = xs.length / (2 * (xs.length - nPos));
  const w = new Array(d + 1).fill(0);
  for (let it = 0; it < steps; it++) {
    const grad = new Array(d + 1).fill(0);
    zs.forEach((x, i) => {
      const p = 1 / (1 + Math.exp(-(w[d] + x.reduce((s, v, j) => s + v * w[j], 0))));
      const g = (p - (ys[i] ? 1 : 0)) * (ys[i] ? wPos : wNeg);
      for (let j = 0; j < d; j++) grad[j] += g * x[j];
      grad[d] += g;
    });
    for (let j = 0; j <= d; j++) w[j] -= (rate * grad[j]) / zs.length;
  }
  return (x: number[]) => w[d] + z(x).reduce((s, v, j) => s + v * w[j], 0);
}

/** Fraction of pixels much darker than the patch's mean grey: nuclei crowding. */
export function darkFraction(rgb: Uint8Array): number {
  let mean = 0;
  const n = rgb.length / 3;
  const g = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    g[i] = 0.299 * rgb[3 * i] + 0.587 * rgb[3 * i + 1] + 0.114 * rgb[3 * i + 2];
    mean += g[i];
  }
  mean /= n;
  let dark = 0;
  for (let i = 0; i < n; i++) if (g[i] < mean - 40) dark++;
  return dark / n;
}

/**
 * Energy at the scale of a lymphocyte nucleus (~3 µm radius at 0.5 µm/px): the mean positive part
 * of (9 x 9 box mean - 3 x 3 box mean) of the grey image, i.e. small dark blobs.
 */
export function blobEnergy(rgb: Uint8Array, widthPx: number): number {
  const n = rgb.length / 3;
  const h = n / widthPx;
  const iw = widthPx + 1;
  const integral = new Float64Array(iw * (h + 1));
  for (let y = 0; y < h; y++) {
    let row = 0;
    for (let x = 0; x < widthPx; x++) {
      const i = y * widthPx + x;
      row += 0.299 * rgb[3 * i] + 0.587 * rgb[3 * i + 1] + 0.114 * rgb[3 * i + 2];
      integral[(y + 1) * iw + x + 1] = integral[y * iw + x + 1] + row;
    }
  }
  const box = (x: number, y: number, r: number) =>
    (integral[(y + r + 1) * iw + x + r + 1] -
      integral[(y - r) * iw + x + r + 1] -
      integral[(y + r + 1) * iw + x - r] +
      integral[(y - r) * iw + x - r]) /
    ((2 * r + 1) * (2 * r + 1));
  let sum = 0;
  let count = 0;
  for (let y = 4; y < h - 4; y += 2)
    for (let x = 4; x < widthPx - 4; x += 2) {
      sum += Math.max(0, box(x, y, 4) - box(x, y, 1));
      count++;
    }
  return sum / count;
}

export const colourFeatures = (rgb: Uint8Array) => meanRgb(rgb);
export const textureFeatures = (rgb: Uint8Array) => [
  laplacianEnergy(rgb, TILE_PX),
  grayStd(rgb),
  darkFraction(rgb),
  blobEnergy(rgb, TILE_PX),
];

export interface HardCheck {
  train: { lesion: number; normal: number };
  heldOut: { lesion: number; normal: number; hardNegative: number };
  colourAuc: number;
  textureAuc: number;
  /** Texture AUC of lesions against hard negatives only. */
  textureAucHardNegatives: number;
}

/** Plans a hard cohort, cuts patches and scores both classifiers on the held-out patients. */
export function checkHardCohort(
  params: CohortParams,
  texture: TextureSource,
  maxNegatives = 24,
  maxLesions = Infinity,
): HardCheck {
  const plan = planCohort({ ...params, difficulty: 'hard' });
  const patches = plan.slides.flatMap((s) => patchesOf(s, texture, maxNegatives, maxLesions));
  const train = patches.filter((p) => p.split === 'train');
  const test = patches.filter((p) => p.split === 'validation');
  const score = (features: (rgb: Uint8Array) => number[], set = test) => {
    const f = fitLogistic(
      train.map((p) => features(p.rgb)),
      train.map((p) => p.lesion),
    );
    const s = set.map((p) => f(features(p.rgb)));
    return auc(
      s.filter((_, i) => set[i].lesion),
      s.filter((_, i) => !set[i].lesion),
    );
  };
  const count = (set: Patch[]) => ({
    lesion: set.filter((p) => p.lesion).length,
    normal: set.filter((p) => !p.lesion).length,
  });
  return {
    train: count(train),
    heldOut: { ...count(test), hardNegative: test.filter((p) => p.hardNegative).length },
    colourAuc: score(colourFeatures),
    textureAuc: score(textureFeatures),
    textureAucHardNegatives: score(
      textureFeatures,
      test.filter((p) => p.lesion || p.hardNegative),
    ),
  };
}
