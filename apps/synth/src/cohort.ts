// Plans a cohort from the parameters and the seed: patients, splits, and for every slide its size,
// stain, tissue fragments, lesions and artefacts. No pixels are drawn here.
//
// Splits: a deterministic `validationFraction` of the patients (both slides of each, as DigiLut
// holds out whole patients) is 'validation'; the rest is 'train'. Within each split a fixed
// fraction of slides is negative (no lesion), so even a 6-patient cohort has both kinds.
import { planHardSlide, patientStain } from './hard-plan';
import { SIZE_PRESETS, type SizePreset } from './presets';
import type {
  BlurRegion,
  CohortParams,
  CohortPlan,
  Fold,
  Lesion,
  PenStroke,
  Rgb,
  SlidePlan,
  Split,
  Stain,
} from './plan';
import { hash32, label32, Rng } from './rng';
import {
  boxesOverlap,
  distanceToOutline,
  insidePolygon,
  makeFragment,
  polygonArea,
  type Box,
  type Fragment,
  TissueModel,
} from './tissue-model';

export const DEFAULT_PARAMS: CohortParams = {
  size: 'tiny',
  patients: 6,
  seed: 1,
  mpp: 0.25,
  validationFraction: 0.25,
  negativeFraction: 1 / 3,
  jpegQuality: 80,
  bigTiff: 'auto',
};

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** DigiLut-like patient ids: 10 random letters and digits. */
export function patientIds(seed: number, count: number): string[] {
  const rng = Rng.of(seed, 'patient-ids');
  const ids = new Set<string>();
  while (ids.size < count) {
    let id = '';
    for (let i = 0; i < 10; i++) id += ID_ALPHABET[rng.int(0, ID_ALPHABET.length - 1)];
    ids.add(id);
  }
  return [...ids];
}

/** Objective power that an scanner would report for this resolution (40x at 0.25 µm/px). */
export function objectivePower(mpp: number): number {
  return Math.max(1, Math.round(10 / mpp));
}

export function planCohort(params: CohortParams): CohortPlan {
  const preset = SIZE_PRESETS[params.size];
  const ids = patientIds(params.seed, params.patients);
  const order = Rng.of(params.seed, 'split').shuffle(ids.map((_, i) => i));
  let nValidation = Math.round(params.patients * params.validationFraction);
  // Both splits non-empty whenever both were asked for.
  if (params.validationFraction > 0 && params.patients >= 2)
    nValidation = Math.min(params.patients - 1, Math.max(1, nValidation));
  const validation = new Set(order.slice(0, nValidation));
  const patients = ids.map((id, i) => ({ id, split: (validation.has(i) ? 'validation' : 'train') as Split }));

  const slots = patients.flatMap((p, i) => (['a', 'b'] as const).map((letter) => ({ patient: p, index: i, letter })));
  const negative = new Set<string>();
  for (const split of ['train', 'validation'] as const) {
    const inSplit = slots.filter((s) => s.patient.split === split).map((s) => `${s.patient.id}_${s.letter}`);
    const shuffled = Rng.of(params.seed, `negatives-${split}`).shuffle(inSplit);
    shuffled.slice(0, Math.round(inSplit.length * params.negativeFraction)).forEach((k) => negative.add(k));
  }
  if (params.difficulty === 'hard') {
    const stains = patients.map((_, i) => patientStain(Rng.of(params.seed, 'patient-stain', i), params.jpegQuality));
    const slides = slots.map((s) =>
      planHardSlide({
        preset,
        mpp: params.mpp,
        seed: hash32(params.seed, label32('hard-slide'), s.index, s.letter.charCodeAt(0)),
        patientId: s.patient.id,
        letter: s.letter,
        split: s.patient.split,
        positive: !negative.has(`${s.patient.id}_${s.letter}`),
        patientStain: stains[s.index],
      }),
    );
    return { params, patients, slides };
  }
  const slides = slots.map((s) =>
    planSlide({
      preset,
      mpp: params.mpp,
      seed: hash32(params.seed, label32('slide'), s.index, s.letter.charCodeAt(0)),
      patientId: s.patient.id,
      letter: s.letter,
      split: s.patient.split,
      positive: !negative.has(`${s.patient.id}_${s.letter}`),
    }),
  );
  return { params, patients, slides };
}

export interface SlideRequest {
  preset: SizePreset;
  mpp: number;
  seed: number;
  patientId: string;
  letter: 'a' | 'b';
  split: Split;
  positive: boolean;
}

/** The tissue model of a planned slide (fragments and holes). */
export function tissueOf(plan: SlidePlan): TissueModel {
  return new TissueModel(plan.fragments, plan.mpp, plan.holeFraction);
}

export function planSlide(req: SlideRequest): SlidePlan {
  const { preset, mpp, seed } = req;
  const rng = Rng.of(seed, 'plan');
  const widthPx = Math.round((preset.widthUm / mpp) * rng.uniform(0.95, 1.05));
  const heightPx = Math.round((preset.heightUm / mpp) * rng.uniform(0.95, 1.05));
  const fragments = placeFragments(Rng.of(seed, 'fragments'), preset, mpp, widthPx, heightPx);
  const holeFraction = rng.uniform(0.05, 0.16);
  const tissue = new TissueModel(fragments, mpp, holeFraction);
  const lesions = req.positive ? placeLesions(Rng.of(seed, 'lesions'), preset, mpp, widthPx, heightPx, tissue) : [];
  if (req.positive && lesions.length === 0) {
    throw new Error(`synth: could not place a lesion on ${req.patientId}_${req.letter} (seed ${seed})`);
  }
  const art = Rng.of(seed, 'artefacts');
  const keepOut = lesions.map((l) => l.box);
  const folds = art.chance(0.4) ? placeFolds(art, fragments, keepOut, mpp) : [];
  const blurs = art.chance(0.3) ? placeBlurs(art, fragments, keepOut) : [];
  const pens = art.chance(0.35) ? placePens(art, fragments, keepOut, widthPx, heightPx) : [];
  return {
    fileName: `${req.patientId}_${req.letter}.tif`,
    patientId: req.patientId,
    letter: req.letter,
    split: req.split,
    seed,
    widthPx,
    heightPx,
    mpp,
    objectivePower: objectivePower(mpp),
    holeFraction,
    fragments,
    lesions,
    folds,
    blurs,
    pens,
    stain: makeStain(Rng.of(seed, 'stain')),
  };
}

/** H&E colours of one slide: optical densities of base colours scaled per slide. */
export function makeStain(rng: Rng): Stain {
  const hematoxylinScale = rng.uniform(0.85, 1.25);
  const eosinScale = rng.uniform(0.8, 1.2);
  // A little scanner-to-scanner colour difference on top of the stain strength.
  const tint = [rng.uniform(0.95, 1.05), rng.uniform(0.95, 1.05), rng.uniform(0.95, 1.05)];
  const scale = (base: Rgb, k: number): Rgb => base.map((v, c) => 255 * Math.pow(v / 255, k * tint[c])) as Rgb;
  const glass = rng.uniform(236, 246);
  return {
    hematoxylinScale,
    eosinScale,
    stromaRgb: scale([206, 126, 174], eosinScale),
    nucleusRgb: scale([112, 74, 156], hematoxylinScale),
    lymphocyteRgb: scale([76, 46, 126], hematoxylinScale),
    backgroundRgb: [glass + rng.uniform(-2, 2), glass + rng.uniform(-2, 2), glass + rng.uniform(0, 3)],
  };
}

export function placeFragments(
  rng: Rng,
  preset: SizePreset,
  mpp: number,
  widthPx: number,
  heightPx: number,
): Fragment[] {
  const count = rng.int(preset.fragments[0], preset.fragments[1]);
  const marginX = 0.06 * widthPx;
  const marginY = 0.04 * heightPx;
  const gap = (30 / mpp) * (preset.fragmentRadiusUm / 200);
  const placed: Fragment[] = [];
  for (let f = 0; f < count; f++) {
    let radius = (preset.fragmentRadiusUm / mpp) * Math.exp(0.25 * rng.normal());
    let done = false;
    for (let attempt = 0; attempt < 6 && !done; attempt++, radius *= 0.85) {
      const shape = makeFragment(rng, 0, 0, radius);
      const w = shape.box.x2 - shape.box.x1;
      const h = shape.box.y2 - shape.box.y1;
      if (w > widthPx - 2 * marginX || h > heightPx - 2 * marginY) continue;
      for (let t = 0; t < 200; t++) {
        const dx = rng.uniform(marginX - shape.box.x1, widthPx - marginX - shape.box.x2);
        const dy = rng.uniform(marginY - shape.box.y1, heightPx - marginY - shape.box.y2);
        const box = {
          x1: Math.floor(shape.box.x1 + dx),
          x2: Math.ceil(shape.box.x2 + dx),
          y1: Math.floor(shape.box.y1 + dy),
          y2: Math.ceil(shape.box.y2 + dy),
        };
        if (placed.some((p) => boxesOverlap(p.box, box, gap))) continue;
        placed.push({
          ...shape,
          xs: shape.xs.map((x) => x + dx),
          ys: shape.ys.map((y) => y + dy),
          box,
        });
        done = true;
        break;
      }
    }
  }
  return placed;
}

/** Box of an ellipse with semi-axes (a, b) rotated by `angle` around (cx, cy). */
export function ellipseBox(cx: number, cy: number, a: number, b: number, angle: number): Box {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const hx = Math.sqrt(a * a * c * c + b * b * s * s);
  const hy = Math.sqrt(a * a * s * s + b * b * c * c);
  return { x1: Math.floor(cx - hx), x2: Math.ceil(cx + hx), y1: Math.floor(cy - hy), y2: Math.ceil(cy + hy) };
}

/** A point inside a fragment, chosen uniformly over its bounding box then rejected outside. */
export function pointIn(rng: Rng, f: Fragment): [number, number] {
  for (let t = 0; t < 1000; t++) {
    const x = rng.uniform(f.box.x1, f.box.x2);
    const y = rng.uniform(f.box.y1, f.box.y2);
    if (insidePolygon(f.xs, f.ys, x, y)) return [x, y];
  }
  return [(f.box.x1 + f.box.x2) / 2, (f.box.y1 + f.box.y2) / 2];
}

/** A point about `depthPx` inside the outline: from a random vertex towards the fragment's middle. */
function pointInsideOutline(rng: Rng, f: Fragment, depthPx: number): [number, number] {
  const i = rng.int(0, f.xs.length - 1);
  const mx = (f.box.x1 + f.box.x2) / 2 - f.xs[i];
  const my = (f.box.y1 + f.box.y2) / 2 - f.ys[i];
  const len = Math.hypot(mx, my) || 1;
  return [f.xs[i] + (mx / len) * depthPx, f.ys[i] + (my / len) * depthPx];
}

function placeLesions(
  rng: Rng,
  preset: SizePreset,
  mpp: number,
  widthPx: number,
  heightPx: number,
  tissue: TissueModel,
): Lesion[] {
  const want = rng.int(1, preset.maxLesions);
  const medianPx = preset.lesionMedianUm / mpp;
  const areas = tissue.fragments.map((f) => polygonArea(f.xs, f.ys));
  const totalArea = areas.reduce((a, b) => a + b, 0);
  const lesions: Lesion[] = [];
  for (let k = 0; k < want; k++) {
    // DigiLut-like spread of box sizes around the median.
    let side = medianPx * Math.min(2.2, Math.max(0.5, Math.exp(0.35 * rng.normal())));
    const aspect = rng.uniform(0.55, 1);
    const angle = rng.uniform(0, Math.PI);
    const nearEdge = rng.chance(0.3);
    let placed: Lesion | undefined;
    for (let shrink = 0; shrink < 4 && !placed; shrink++, side *= 0.8) {
      // Semi-axes scaled so that the box's geometric-mean side is `side`.
      // Half-widths of the box of a unit ellipse, unrounded.
      const c = Math.cos(angle);
      const s = Math.sin(angle);
      const unitHx = Math.sqrt(c * c + aspect * aspect * s * s);
      const unitHy = Math.sqrt(s * s + aspect * aspect * c * c);
      const a = Math.max(1, side / (2 * Math.sqrt(unitHx * unitHy)));
      const b = a * aspect;
      const probe = ellipseBox(0, 0, a, b, angle);
      const half = Math.min(probe.x2 - probe.x1, probe.y2 - probe.y1) / 2;
      for (let t = 0; t < 150 && !placed; t++) {
        let pick = rng.next() * totalArea;
        let fi = 0;
        while (fi < areas.length - 1 && pick > areas[fi]) pick -= areas[fi++];
        const f = tissue.fragments[fi];
        const [cx, cy] = nearEdge ? pointInsideOutline(rng, f, rng.uniform(0.3, 0.65) * half) : pointIn(rng, f);
        const d = distanceToOutline(f.xs, f.ys, cx, cy);
        // Near the edge: the outline runs through the box. Otherwise: well inside the fragment.
        if (nearEdge ? d < 0.25 * half || d > 0.7 * half : d < 1.05 * half) continue;
        const box = ellipseBox(cx, cy, a, b, angle);
        if (box.x1 < 0 || box.y1 < 0 || box.x2 > widthPx || box.y2 > heightPx) continue;
        if (lesions.some((l) => boxesOverlap(l.box, box, 0.25 * side))) continue;
        const fraction = tissue.tissueFraction(box);
        if (fraction < (nearEdge ? 0.45 : 0.7)) continue;
        placed = {
          box,
          cx,
          cy,
          semiMajorPx: a,
          semiMinorPx: b,
          angleRad: angle,
          nearEdge,
          tissueFraction: round3(fraction),
        };
      }
    }
    if (placed) lesions.push(placed);
  }
  return lesions;
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}

function fragmentRadius(f: Fragment): number {
  return Math.min(f.box.x2 - f.box.x1, f.box.y2 - f.box.y1) / 2;
}

export function placeFolds(rng: Rng, fragments: Fragment[], keepOut: Box[], mpp: number): Fold[] {
  const folds: Fold[] = [];
  const count = rng.int(1, 2);
  for (let t = 0; t < 60 && folds.length < count; t++) {
    const f = rng.pick(fragments);
    const [cx, cy] = pointIn(rng, f);
    const len = fragmentRadius(f) * rng.uniform(0.4, 1.2);
    const th = rng.uniform(0, Math.PI);
    const fold: Fold = {
      x1: cx - (Math.cos(th) * len) / 2,
      y1: cy - (Math.sin(th) * len) / 2,
      x2: cx + (Math.cos(th) * len) / 2,
      y2: cy + (Math.sin(th) * len) / 2,
      widthPx: rng.uniform(15, 45) / mpp,
      strength: rng.uniform(0.5, 1),
    };
    const hw = fold.widthPx / 2;
    const box = {
      x1: Math.min(fold.x1, fold.x2) - hw,
      x2: Math.max(fold.x1, fold.x2) + hw,
      y1: Math.min(fold.y1, fold.y2) - hw,
      y2: Math.max(fold.y1, fold.y2) + hw,
    };
    if (keepOut.some((k) => boxesOverlap(k, box))) continue;
    folds.push(fold);
  }
  return folds;
}

export function placeBlurs(rng: Rng, fragments: Fragment[], keepOut: Box[]): BlurRegion[] {
  for (let t = 0; t < 60; t++) {
    const f = rng.pick(fragments);
    const [cx, cy] = pointIn(rng, f);
    const r = fragmentRadius(f) * rng.uniform(0.3, 0.6);
    const blur: BlurRegion = {
      cx,
      cy,
      rxPx: r,
      ryPx: r * rng.uniform(0.5, 1),
      angleRad: rng.uniform(0, Math.PI),
      strength: rng.uniform(0.6, 1),
    };
    const box = { x1: cx - r, x2: cx + r, y1: cy - r, y2: cy + r };
    if (keepOut.some((k) => boxesOverlap(k, box))) continue;
    return [blur];
  }
  return [];
}

const INKS: Rgb[] = [
  [40, 130, 70],
  [40, 70, 170],
  [45, 45, 55],
];

/** Marker strokes: arcs around a fragment, as pathologists circle regions, off the lesions. */
export function placePens(
  rng: Rng,
  fragments: Fragment[],
  keepOut: Box[],
  slideWidthPx: number,
  slideHeightPx: number,
): PenStroke[] {
  const pens: PenStroke[] = [];
  const count = rng.int(1, 2);
  for (let t = 0; t < 60 && pens.length < count; t++) {
    const f = rng.pick(fragments);
    const cx = (f.box.x1 + f.box.x2) / 2;
    const cy = (f.box.y1 + f.box.y2) / 2;
    const rx = ((f.box.x2 - f.box.x1) / 2) * rng.uniform(1.05, 1.35);
    const ry = ((f.box.y2 - f.box.y1) / 2) * rng.uniform(1.05, 1.35);
    const start = rng.uniform(0, 2 * Math.PI);
    const span = rng.uniform(Math.PI / 3, 1.2 * Math.PI);
    // Proportional to the fragment, so a tiny slide is not covered by one stroke.
    const widthPx = fragmentRadius(f) * rng.uniform(0.08, 0.2);
    const xs: number[] = [];
    const ys: number[] = [];
    const n = 24;
    for (let i = 0; i <= n; i++) {
      const th = start + (span * i) / n;
      const wobble = 1 + 0.03 * Math.sin(3 * th + start);
      xs.push(cx + rx * wobble * Math.cos(th));
      ys.push(cy + ry * wobble * Math.sin(th));
    }
    const hw = widthPx / 2;
    // Mostly on the slide: the renderer clips the rest.
    const onSlide = xs.filter((x, i) => x >= 0 && x < slideWidthPx && ys[i] >= 0 && ys[i] < slideHeightPx).length;
    if (onSlide < 0.7 * xs.length) continue;
    const clash = keepOut.some((k) =>
      xs.some((x, i) => x + hw > k.x1 && x - hw < k.x2 && ys[i] + hw > k.y1 && ys[i] - hw < k.y2),
    );
    if (clash) continue;
    pens.push({ xs, ys, widthPx, rgb: rng.pick(INKS), opacity: rng.uniform(0.55, 0.85) });
  }
  return pens;
}
