// --stain and --stain-augment: what happens to a decoded patch before the backbone sees it.
// Normalisation maps each patch onto a target fitted on the training patches (wsi-stain's
// stain.json, or the one a model folder's ensemble.json recorded, so prediction applies what
// training did); augmentation perturbs each patch's H&E concentrations, seeded by the patch.
import { existsSync, readFileSync } from 'node:fs';
import { inputError, SlidepipeError, usageError } from '@slidepipe/cli';
import { mulberry32, Registry, seedOfText, type Definition, type Params } from '@slidepipe/core';
import {
  augmentHed,
  drawHedJitter,
  MACENKO_DEFAULTS,
  macenkoNormalize,
  parseStainTarget,
  reinhardNormalize,
  type LabStats,
  type MacenkoStains,
  type RgbImage,
  type StainTarget,
  targetProblem,
} from '@slidepipe/image';

const TARGET = {
  type: 'path',
  default: '',
  description: "stain.json from wsi-stain, or a model folder's ensemble.json (the target its training used)",
} as const;

const METHODS = new Registry<Definition>(
  [
    { name: 'none', description: 'patches as decoded (the default)' },
    {
      name: 'macenko',
      description:
        "Macenko: each patch's H and E vectors and 99th-percentile concentrations (estimated on its own stained pixels) mapped onto the target's; background kept",
      params: { target: TARGET },
    },
    {
      name: 'reinhard',
      description: "Reinhard: each patch's tissue LAB mean and standard deviation mapped onto the target's",
      params: { target: TARGET },
    },
  ],
  { what: '--stain' },
);

const AUGMENTS = new Registry<Definition>(
  [
    {
      name: 'hed',
      description:
        'per patch, each of the H, E and DAB concentrations scaled by U(1-sigma, 1+sigma) and shifted by U(-bias, bias), seeded by seed and the patch (slide, x0, y0); for training embeddings only',
      params: {
        sigma: { type: 'number', default: 0.05, min: 0, max: 1, description: 'scale range of each stain' },
        bias: { type: 'number', default: 0.02, min: 0, max: 0.5, description: 'shift range, in OD (log10)' },
        seed: { type: 'integer', default: 0, min: 0, max: 4294967295, description: 'seed of the draws' },
      },
    },
  ],
  { what: '--stain-augment' },
);

export const STAIN_HELP = METHODS.help();
export const AUGMENT_HELP = AUGMENTS.help();

/** What the embedding stream's facts.stain records: enough to apply the same again. */
export interface StainFacts {
  method: 'macenko' | 'reinhard';
  target: (MacenkoStains & { alpha: number; beta: number }) | LabStats;
  fitted_on: StainTarget['fitted_on'];
}

export interface StainTransform {
  /** facts.stain and facts.stain_augment of the embedding stream (absent when not used). */
  facts: { stain?: StainFacts; stain_augment?: Params };
  /** The recipes as given, for provenance. */
  recipes: { stain: string; stain_augment: string | null };
  /** The patch as the backbone gets it. */
  apply(img: RgbImage, slide: string, x0: number, y0: number): RgbImage;
  /** Patches normalisation left as they were (too little stained tissue for an estimate). */
  unchanged: number;
}

function readJson(path: string): unknown {
  if (!existsSync(path)) throw new SlidepipeError('no-input', path, 'no such stain target file');
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw inputError(path, `not valid JSON (${(e as Error).message})`);
  }
}

/** The normalisation a target file (stain.json or ensemble.json) gives for `method`. */
export function stainFactsOf(path: string, method: StainFacts['method']): StainFacts {
  const raw = readJson(path) as Record<string, unknown>;
  if (raw && raw.format === 'slidepipe-ensemble') {
    const s = raw.stain as StainFacts | undefined;
    if (!s)
      throw inputError(
        path,
        'the models were trained on embeddings without stain normalisation: embed without --stain',
      );
    if (s.method !== method)
      throw inputError(
        path,
        `the models were trained with ${s.method} normalisation, not ${method}: use --stain ${s.method}:target=${path}`,
      );
    const problem = targetProblem(method, s.target ?? undefined);
    if (problem) throw inputError(path, `stain.${problem}`);
    return s;
  }
  const t = parseStainTarget(raw);
  if (typeof t === 'string') throw inputError(path, `not a stain target (from wsi-stain): ${t}`);
  const target = t[method];
  if (!target) throw inputError(path, `has no ${method} target (too few stained pixels where it was fitted)`);
  return { method, target, fitted_on: t.fitted_on };
}

/** The transform of `--stain` and `--stain-augment`, or null when both leave patches as decoded. */
export function stainTransform(stain: string, augment: string | undefined): StainTransform | null {
  const { def, params } = METHODS.resolve(stain);
  const aug = augment === undefined ? null : AUGMENTS.resolve(augment);
  if (def.name === 'none' && !aug) return null;
  let normalise: ((img: RgbImage) => { image: RgbImage; normalised: boolean }) | null = null;
  const facts: StainTransform['facts'] = {};
  if (def.name !== 'none') {
    const path = String(params.target);
    if (!path)
      throw usageError(`--stain ${def.name}`, `needs target=FILE (stain.json from wsi-stain, or models/ensemble.json)`);
    const s = stainFactsOf(path, def.name as StainFacts['method']);
    facts.stain = s;
    if (s.method === 'macenko') {
      const t = s.target as MacenkoStains & { alpha: number; beta: number };
      const o = { ...MACENKO_DEFAULTS, alpha: t.alpha, beta: t.beta };
      normalise = (img) => macenkoNormalize(img, t, o);
    } else {
      const t = s.target as LabStats;
      normalise = (img) => reinhardNormalize(img, t);
    }
  }
  if (aug) facts.stain_augment = { method: aug.def.name, ...aug.params };
  const t: StainTransform = {
    facts,
    recipes: { stain, stain_augment: augment ?? null },
    unchanged: 0,
    apply(img, slide, x0, y0) {
      let out = img;
      if (normalise) {
        const r = normalise(out);
        if (!r.normalised) t.unchanged++;
        out = r.image;
      }
      if (aug) {
        const { sigma, bias, seed } = aug.params as { sigma: number; bias: number; seed: number };
        const rand = mulberry32(seedOfText(`${seed}:${slide}:${x0}:${y0}`));
        out = augmentHed(out, drawHedJitter(rand, sigma, bias));
      }
      return out;
    },
  };
  return t;
}
