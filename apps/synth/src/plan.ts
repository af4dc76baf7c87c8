// The plan of a cohort: everything decided before a pixel is drawn. Pure data, derived from the
// parameters and the seed alone; the manifest is written from it.
import type { SizeName } from './presets';
import type { Box, Fragment } from './tissue-model';

export type Rgb = [number, number, number];
export type Split = 'train' | 'validation';
export type BigTiffMode = 'auto' | 'always' | 'never';

export interface CohortParams {
  size: SizeName;
  patients: number;
  seed: number;
  /** Level-0 resolution in µm per pixel. */
  mpp: number;
  /** Fraction of patients (both slides) held out as 'validation'. */
  validationFraction: number;
  /** Fraction of slides in each split without any lesion. */
  negativeFraction: number;
  jpegQuality: number;
  bigTiff: BigTiffMode;
  /** 'hard' (real tissue texture, hard negatives, patient stains); absent for the standard cohort. */
  difficulty?: 'hard';
}

export type Difficulty = 'standard' | 'hard';
export const DIFFICULTIES: readonly Difficulty[] = ['standard', 'hard'];

/** A patient's stain and scanner in a hard cohort: both of its slides share it. */
export interface HardStain {
  /** Unit optical-density vectors of haematoxylin and eosin. */
  hematoxylinOd: Rgb;
  eosinOd: Rgb;
  hematoxylinScale: number;
  eosinScale: number;
  /** Scanner colour response: a gamma per channel applied to transmitted light. */
  gamma: Rgb;
  backgroundRgb: Rgb;
  jpegQuality: number;
}

/** Nuclei-dense structure painted over the real texture, mean colour kept. */
export type StructureKind = 'lesion' | 'spindle' | 'cellular' | 'vessel';

export interface Structure {
  kind: StructureKind;
  cx: number;
  cy: number;
  semiMajorPx: number;
  semiMinorPx: number;
  angleRad: number;
  /** Bounding box (level-0 px). */
  box: Box;
  /** Placed right next to a lesion (hard negatives only). */
  nextToLesion: boolean;
}

export interface HardSlidePlan {
  stain: HardStain;
  /** Hard negatives (spindle-cell stroma, cellular areas, vessel walls). */
  negatives: Structure[];
}

export interface Stain {
  /** Per-slide stain strength, as multipliers of optical density. */
  hematoxylinScale: number;
  eosinScale: number;
  /** Colour of bare stroma, of ordinary nuclei, of lymphocyte nuclei, and of the glass. */
  stromaRgb: Rgb;
  nucleusRgb: Rgb;
  lymphocyteRgb: Rgb;
  backgroundRgb: Rgb;
}

export interface Lesion {
  /** The annotation: the bounding box of the lesion ellipse, clipped to the slide. */
  box: Box;
  /** The lesion ellipse: centre, semi-axes and rotation, in level-0 px. */
  cx: number;
  cy: number;
  semiMajorPx: number;
  semiMinorPx: number;
  angleRad: number;
  /** Placed against a fragment outline (part of the box is glass). */
  nearEdge: boolean;
  /** Share of the box covered by tissue when planned. */
  tissueFraction: number;
}

/** A tissue fold: a darker band along a segment. */
export interface Fold {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  widthPx: number;
  strength: number;
}

/** An out-of-focus elliptical region: softer nuclei, flatter stroma. */
export interface BlurRegion {
  cx: number;
  cy: number;
  rxPx: number;
  ryPx: number;
  angleRad: number;
  strength: number;
}

/** A marker-pen stroke: a smooth polyline of ink, multiplied onto whatever is beneath. */
export interface PenStroke {
  xs: number[];
  ys: number[];
  widthPx: number;
  rgb: Rgb;
  opacity: number;
}

export interface SlidePlan {
  fileName: string;
  patientId: string;
  letter: 'a' | 'b';
  split: Split;
  /** Seed of everything drawn on this slide. */
  seed: number;
  widthPx: number;
  heightPx: number;
  mpp: number;
  objectivePower: number;
  holeFraction: number;
  fragments: Fragment[];
  lesions: Lesion[];
  folds: Fold[];
  blurs: BlurRegion[];
  pens: PenStroke[];
  stain: Stain;
  /** Only in hard cohorts. */
  hard?: HardSlidePlan;
}

export interface CohortPlan {
  params: CohortParams;
  patients: { id: string; split: Split }[];
  slides: SlidePlan[];
}
