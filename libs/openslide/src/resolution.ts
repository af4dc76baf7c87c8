import { OpenSlideError } from './errors';
import {
  PROPERTY_MPP_X,
  PROPERTY_MPP_Y,
  PROPERTY_OBJECTIVE_POWER,
  PROPERTY_TIFF_RESOLUTION_UNIT,
  PROPERTY_TIFF_X_RESOLUTION,
  PROPERTY_TIFF_Y_RESOLUTION,
} from './properties';

/** Microns per level-0 pixel and where the number came from. */
export interface Mpp {
  x: number;
  y: number;
  source: 'openslide' | 'tiff-resolution' | 'override';
}

export interface ObjectivePower {
  value: number;
  /** 'derived-from-mpp' is an estimate (10 / mpp: 0.25 µm/px ~ 40x, 0.5 ~ 20x), not scanner metadata. */
  source: 'openslide' | 'derived-from-mpp';
}

export type MppOverride = number | { x: number; y: number };

// Resolutions outside this range are not microscope pixels. It rejects the desktop defaults
// that TIFF writers fill in: 72 dpi (28.34 px/cm) = 352.8 µm/px, 96 dpi, 300 dpi, 1200 dpi = 21.2 µm/px.
export const MIN_PLAUSIBLE_MPP = 0.02;
export const MAX_PLAUSIBLE_MPP = 20;

const MICRONS_PER_UNIT: Record<string, number> = { centimeter: 10_000, inch: 25_400 };

function positiveNumber(value: string | undefined): number | null {
  if (value === undefined || value.trim() === '') return null;
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? n : null;
}

function plausible(mpp: number): boolean {
  return mpp >= MIN_PLAUSIBLE_MPP && mpp <= MAX_PLAUSIBLE_MPP;
}

/** mpp from TIFF XResolution/YResolution (pixels per unit) and ResolutionUnit, or null when meaningless. */
export function mppFromTiffResolution(properties: Readonly<Record<string, string>>): { x: number; y: number } | null {
  const micronsPerUnit = MICRONS_PER_UNIT[properties[PROPERTY_TIFF_RESOLUTION_UNIT] ?? ''];
  // Unit 'none' or absent: the numbers have no physical meaning.
  if (micronsPerUnit === undefined) return null;
  const xRes = positiveNumber(properties[PROPERTY_TIFF_X_RESOLUTION]);
  const yRes = positiveNumber(properties[PROPERTY_TIFF_Y_RESOLUTION]) ?? xRes;
  if (xRes === null || yRes === null) return null;
  const x = micronsPerUnit / xRes;
  const y = micronsPerUnit / yRes;
  return plausible(x) && plausible(y) ? { x, y } : null;
}

function checkOverride(override: MppOverride, name = 'mppOverride'): { x: number; y: number } {
  const { x, y } = typeof override === 'number' ? { x: override, y: override } : override;
  for (const [axis, v] of [
    ['x', x],
    ['y', y],
  ] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      throw new OpenSlideError(
        'INVALID_ARGUMENT',
        `${name}.${axis}: expected a positive number of µm per pixel, got ${v}`,
      );
    }
  }
  return { x, y };
}

/** A resolution given by the user that replaces whatever the file states (wrong scanner metadata). */
export function replacementMpp(mpp: MppOverride): Mpp {
  return { ...checkOverride(mpp, 'mpp'), source: 'override' };
}

/**
 * Level-0 resolution: openslide.mpp-x/y, else the TIFF resolution tags, else `override`, else null.
 * The override is a fallback: the file's own resolution wins when it has one.
 */
export function resolveMpp(properties: Readonly<Record<string, string>>, override?: MppOverride): Mpp | null {
  const checkedOverride = override === undefined ? undefined : checkOverride(override);
  const x = positiveNumber(properties[PROPERTY_MPP_X]);
  const y = positiveNumber(properties[PROPERTY_MPP_Y]);
  if (x !== null && y !== null) return { x, y, source: 'openslide' };
  const fromTiff = mppFromTiffResolution(properties);
  if (fromTiff) return { ...fromTiff, source: 'tiff-resolution' };
  if (checkedOverride) return { ...checkedOverride, source: 'override' };
  return null;
}

/** openslide.objective-power, else estimated as 10 / mpp.x, else null. */
export function resolveObjectivePower(
  properties: Readonly<Record<string, string>>,
  mpp: Mpp | null,
): ObjectivePower | null {
  const value = positiveNumber(properties[PROPERTY_OBJECTIVE_POWER]);
  if (value !== null) return { value, source: 'openslide' };
  if (mpp) return { value: 10 / mpp.x, source: 'derived-from-mpp' };
  return null;
}

/**
 * Output µm per pixel for a magnification such as 20 (x): relative to the objective power, so a
 * 40x scan at 0.23 µm/px gives 0.46 at 20x (a clean halving), not 10 / 20 = 0.5. Without
 * objective-power metadata it falls back to the convention 10 / magnification.
 */
export function mppForMagnification(mpp: Mpp, objectivePower: ObjectivePower | null, magnification: number): number {
  if (!Number.isFinite(magnification) || magnification <= 0) {
    throw new OpenSlideError('INVALID_ARGUMENT', `magnification: expected a positive number, got ${magnification}`);
  }
  if (!objectivePower) return 10 / magnification;
  return (mpp.x * objectivePower.value) / magnification;
}

/** How to produce tilePx x tilePx output pixels at a target resolution. */
export interface ReadPlan {
  targetMpp: number;
  tilePx: number;
  /** Level to read from: the coarsest one not coarser than the target (within the tolerance). */
  level: number;
  levelDownsample: number;
  /** Level-0 pixels per output pixel (targetMpp / mpp.x). */
  targetDownsample: number;
  /** Level pixels per output pixel: 2 means read 2 * tilePx and halve; below 1 means enlarging. */
  resampleFactor: number;
  /** Side of the square to read at `level`; equals tilePx when needsResize is false. */
  readPx: number;
  /** Level-0 pixels covered by one read (readPx * levelDownsample): the seamless grid step. */
  extent0Px: number;
  /** Actual µm per output pixel (extent0Px * mpp.x / tilePx); within the tolerance of targetMpp. */
  outputMpp: number;
  needsResize: boolean;
}

/**
 * Plans reads for a target resolution. Assumes square pixels (uses mpp.x). `tolerance` is the
 * relative mismatch accepted as "the same" (levels are often 4.002 rather than 4).
 */
export function planRead(
  mpp: Mpp,
  levelDownsamples: readonly number[],
  targetMpp: number,
  tilePx = 256,
  tolerance = 0.01,
): ReadPlan {
  if (!Number.isFinite(targetMpp) || targetMpp <= 0) {
    throw new OpenSlideError(
      'INVALID_ARGUMENT',
      `targetMpp: expected a positive number of µm per pixel, got ${targetMpp}`,
    );
  }
  if (!Number.isInteger(tilePx) || tilePx < 1) {
    throw new OpenSlideError('INVALID_ARGUMENT', `tilePx: expected a positive integer, got ${tilePx}`);
  }
  if (!(tolerance >= 0 && tolerance < 0.5)) {
    throw new OpenSlideError('INVALID_ARGUMENT', `tolerance: expected a number in [0, 0.5), got ${tolerance}`);
  }
  const targetDownsample = targetMpp / mpp.x;
  let level = 0;
  levelDownsamples.forEach((downsample, i) => {
    if (downsample <= targetDownsample * (1 + tolerance) && downsample > levelDownsamples[level]) level = i;
  });
  const levelDownsample = levelDownsamples[level];
  const resampleFactor = targetDownsample / levelDownsample;
  const needsResize = Math.abs(resampleFactor - 1) > tolerance;
  const readPx = needsResize ? Math.round(tilePx * resampleFactor) : tilePx;
  const extent0Px = readPx * levelDownsample;
  return {
    targetMpp,
    tilePx,
    level,
    levelDownsample,
    targetDownsample,
    resampleFactor,
    readPx,
    extent0Px,
    outputMpp: (extent0Px * mpp.x) / tilePx,
    needsResize,
  };
}
