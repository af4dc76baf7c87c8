// Plans the slides of a hard cohort (`--difficulty hard`): DigiLut-sized lesions, several per
// positive slide and sometimes side by side, nuclei-dense hard negatives (some of lesion size,
// some next to a lesion), strong per-patient stains and stronger JPEG, focus blur anywhere.
import { ellipseBox, objectivePower, placeBlurs, placeFolds, placeFragments, placePens, pointIn } from './cohort';
import type { HardStain, Lesion, Rgb, SlidePlan, Stain, Structure, StructureKind } from './plan';
import type { SizePreset } from './presets';
import { Rng } from './rng';
import { E_OD, H_OD } from './texture-source';
import { boxesOverlap, type Box, TissueModel } from './tissue-model';

/** DigiLut's level-0 lesion box widths: p10/p50/p90 about 129/236/464 µm (log-normal). */
export const DIGILUT_WIDTH_UM = { p10: 129, p50: 236, p90: 464 } as const;
const WIDTH_SIGMA = Math.log(DIGILUT_WIDTH_UM.p90 / DIGILUT_WIDTH_UM.p10) / (2 * 1.2816);

export interface HardSlideRequest {
  preset: SizePreset;
  mpp: number;
  seed: number;
  patientId: string;
  letter: 'a' | 'b';
  split: 'train' | 'validation';
  positive: boolean;
  patientStain: HardStain;
}

/** Lesions on the tiny preset are scaled down to fit its 0.8 mm wide slides. */
export function hardLesionScale(preset: SizePreset): number {
  return preset.name === 'tiny' ? 0.6 : 1;
}

function unit(v: number[]): Rgb {
  const n = Math.hypot(...v);
  return v.map((x) => x / n) as Rgb;
}

/** A patient's stain: vectors, strengths and scanner response differ a lot between patients. */
export function patientStain(rng: Rng, jpegQuality: number): HardStain {
  const jitter = (base: readonly number[], s: number) => unit(base.map((v) => Math.max(0.02, v + s * rng.normal())));
  const glass = rng.uniform(226, 248);
  return {
    hematoxylinOd: jitter(H_OD, 0.1),
    eosinOd: jitter(E_OD, 0.1),
    hematoxylinScale: Math.exp(rng.uniform(-0.45, 0.35)),
    eosinScale: Math.exp(rng.uniform(-0.55, 0.35)),
    gamma: [rng.uniform(0.85, 1.15), rng.uniform(0.85, 1.15), rng.uniform(0.85, 1.15)],
    backgroundRgb: [
      Math.min(252, glass + rng.uniform(-5, 4)),
      Math.min(252, glass + rng.uniform(-5, 4)),
      Math.min(252, glass + rng.uniform(-2, 5)),
    ],
    jpegQuality: Math.max(20, Math.round(jpegQuality * rng.uniform(0.55, 0.8))),
  };
}

/** The colour of given haematoxylin and eosin amounts under a stain. */
export function stainColour(s: HardStain, h: number, e: number, glass: Rgb = s.backgroundRgb): Rgb {
  return [0, 1, 2].map((c) => {
    const od = h * s.hematoxylinScale * s.hematoxylinOd[c] + e * s.eosinScale * s.eosinOd[c];
    return glass[c] * Math.pow(Math.exp(-od), s.gamma[c]);
  }) as Rgb;
}

/** The slide's copy of its patient's stain: a few per cent apart (re-cut, re-stained). */
function slideStain(rng: Rng, p: HardStain): HardStain {
  return {
    ...p,
    hematoxylinScale: p.hematoxylinScale * rng.uniform(0.95, 1.05),
    eosinScale: p.eosinScale * rng.uniform(0.95, 1.05),
  };
}

/** The standard stain record, filled from the hard stain (nominal stroma and nuclei amounts). */
function nominalStain(s: HardStain): Stain {
  const r3 = (c: Rgb) => c.map((v) => Math.round(v * 1000) / 1000) as Rgb;
  return {
    hematoxylinScale: s.hematoxylinScale,
    eosinScale: s.eosinScale,
    stromaRgb: r3(stainColour(s, 0.15, 0.45)),
    nucleusRgb: r3(stainColour(s, 0.9, 0.2)),
    lymphocyteRgb: r3(stainColour(s, 1.2, 0.15)),
    backgroundRgb: s.backgroundRgb,
  };
}

/** A box width and height drawn from DigiLut's spread (aspect varying), in level-0 px. */
function lesionSize(rng: Rng, scale: number, mpp: number): [number, number] {
  const w = Math.min(720, Math.max(80, DIGILUT_WIDTH_UM.p50 * Math.exp(WIDTH_SIGMA * rng.normal())));
  const aspect = Math.min(2.2, Math.max(0.45, Math.exp(0.35 * rng.normal())));
  return [(w * scale) / mpp, (w * aspect * scale) / mpp];
}

function structureAt(kind: StructureKind, cx: number, cy: number, w: number, h: number, angle: number): Structure {
  const box = ellipseBox(cx, cy, w / 2, h / 2, angle);
  return { kind, cx, cy, semiMajorPx: w / 2, semiMinorPx: h / 2, angleRad: angle, box, nextToLesion: false };
}

/** A centre beside `other`: on one of its four sides with a small gap. */
function besides(rng: Rng, other: Box, w: number, h: number, gapPx: number): [number, number] {
  const side = rng.int(0, 3);
  const ox = (other.x1 + other.x2) / 2;
  const oy = (other.y1 + other.y2) / 2;
  const along = (span: number) => rng.uniform(-0.4, 0.4) * span;
  if (side === 0) return [other.x2 + gapPx + w / 2, oy + along(other.y2 - other.y1)];
  if (side === 1) return [other.x1 - gapPx - w / 2, oy + along(other.y2 - other.y1)];
  if (side === 2) return [ox + along(other.x2 - other.x1), other.y2 + gapPx + h / 2];
  return [ox + along(other.x2 - other.x1), other.y1 - gapPx - h / 2];
}

function inside(box: Box, widthPx: number, heightPx: number): boolean {
  return box.x1 >= 0 && box.y1 >= 0 && box.x2 <= widthPx && box.y2 <= heightPx;
}

function placeHardLesions(
  rng: Rng,
  preset: SizePreset,
  mpp: number,
  widthPx: number,
  heightPx: number,
  tissue: TissueModel,
): Lesion[] {
  const want = rng.int(2, Math.max(2, preset.maxLesions));
  const scale = hardLesionScale(preset);
  const lesions: Lesion[] = [];
  for (let k = 0; k < want; k++) {
    let [w, h] = lesionSize(rng, scale, mpp);
    const adjacent = lesions.length > 0 && rng.chance(0.35);
    let placed: Lesion | undefined;
    for (let shrink = 0; shrink < 4 && !placed; shrink++, w *= 0.85, h *= 0.85) {
      for (let t = 0; t < 150 && !placed; t++) {
        const [cx, cy] = adjacent
          ? besides(rng, lesions[lesions.length - 1].box, w, h, rng.uniform(4, 40) / mpp)
          : pointIn(rng, rng.pick(tissue.fragments));
        const s = structureAt('lesion', cx, cy, w, h, 0);
        if (!inside(s.box, widthPx, heightPx)) continue;
        if (lesions.some((l) => boxesOverlap(l.box, s.box, adjacent ? 0 : 0.25 * Math.sqrt(w * h)))) continue;
        const fraction = tissue.tissueFraction(s.box);
        if (fraction < 0.6) continue;
        placed = {
          box: s.box,
          cx,
          cy,
          semiMajorPx: w / 2,
          semiMinorPx: h / 2,
          angleRad: 0,
          nearEdge: fraction < 0.8,
          tissueFraction: Math.round(fraction * 1000) / 1000,
        };
      }
    }
    if (placed) lesions.push(placed);
  }
  return lesions;
}

const NEGATIVE_KINDS: { kind: StructureKind; weight: number }[] = [
  { kind: 'spindle', weight: 0.45 },
  { kind: 'cellular', weight: 0.35 },
  { kind: 'vessel', weight: 0.2 },
];

function placeNegatives(
  rng: Rng,
  preset: SizePreset,
  mpp: number,
  widthPx: number,
  heightPx: number,
  tissue: TissueModel,
  lesions: Lesion[],
): Structure[] {
  const want = rng.int(preset.maxLesions - 1, 2 * preset.maxLesions - 2);
  const scale = hardLesionScale(preset);
  const out: Structure[] = [];
  for (let k = 0; k < want; k++) {
    let pick = rng.next();
    const kind = NEGATIVE_KINDS.find((n) => (pick -= n.weight) < 0)?.kind ?? 'spindle';
    // Half of lesion size, the rest smaller; vessels are small rings.
    let [w, h] = lesionSize(rng, scale, mpp);
    const f = kind === 'vessel' ? rng.uniform(0.2, 0.45) : rng.chance(0.5) ? 1 : rng.uniform(0.35, 0.7);
    w *= f;
    h = kind === 'vessel' ? w * rng.uniform(0.6, 1) : h * f;
    const angle = rng.uniform(0, Math.PI);
    const nextTo = lesions.length > 0 && rng.chance(0.35);
    for (let t = 0; t < 150; t++) {
      const [cx, cy] = nextTo
        ? besides(rng, rng.pick(lesions).box, w, h, rng.uniform(2, 30) / mpp)
        : pointIn(rng, rng.pick(tissue.fragments));
      const s = structureAt(kind, cx, cy, w, h, angle);
      if (!inside(s.box, widthPx, heightPx)) continue;
      if (lesions.some((l) => boxesOverlap(l.box, s.box))) continue;
      if (out.some((o) => boxesOverlap(o.box, s.box))) continue;
      if (tissue.tissueFraction(s.box, 8) < 0.5) continue;
      s.nextToLesion = nextTo;
      out.push(s);
      break;
    }
  }
  return out;
}

/** Fragments big enough for DigiLut-sized lesions, still fitting the slide. */
function hardPreset(preset: SizePreset): SizePreset {
  return { ...preset, fragmentRadiusUm: Math.min(Math.max(preset.fragmentRadiusUm, 560), preset.widthUm * 0.3) };
}

export function planHardSlide(req: HardSlideRequest): SlidePlan {
  const { mpp, seed } = req;
  const preset = hardPreset(req.preset);
  const rng = Rng.of(seed, 'hard-plan');
  const widthPx = Math.round((preset.widthUm / mpp) * rng.uniform(0.95, 1.05));
  const heightPx = Math.round((preset.heightUm / mpp) * rng.uniform(0.95, 1.05));
  const fragments = placeFragments(Rng.of(seed, 'hard-fragments'), preset, mpp, widthPx, heightPx);
  const holeFraction = rng.uniform(0.04, 0.12);
  const tissue = new TissueModel(fragments, mpp, holeFraction);
  const lesions = req.positive
    ? placeHardLesions(Rng.of(seed, 'hard-lesions'), preset, mpp, widthPx, heightPx, tissue)
    : [];
  if (req.positive && lesions.length === 0) {
    throw new Error(`synth: could not place a lesion on ${req.patientId}_${req.letter} (seed ${seed})`);
  }
  const negatives = placeNegatives(Rng.of(seed, 'hard-negatives'), preset, mpp, widthPx, heightPx, tissue, lesions);
  const art = Rng.of(seed, 'hard-artefacts');
  const keepOut = lesions.map((l) => l.box);
  const folds = art.chance(0.4) ? placeFolds(art, fragments, keepOut, mpp) : [];
  // Focus blur falls anywhere, lesions included.
  const blurs = art.chance(0.6) ? [...placeBlurs(art, fragments, []), ...placeBlurs(art, fragments, [])] : [];
  const pens = art.chance(0.35) ? placePens(art, fragments, keepOut, widthPx, heightPx) : [];
  const stain = slideStain(Rng.of(seed, 'hard-stain'), req.patientStain);
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
    stain: nominalStain(stain),
    hard: { stain, negatives },
  };
}
