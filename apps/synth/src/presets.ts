// Slide size presets. Lengths are physical (µm) so that `--mpp` changes the pixel grid, not the
// tissue: a nucleus stays about 7 µm and a DigiLut-like lesion about 235 µm (940 px at 0.25 µm/px).

export interface SizePreset {
  name: SizeName;
  /** Level-0 slide size in µm before the per-slide jitter. */
  widthUm: number;
  heightUm: number;
  /** Tissue fragments per slide (inclusive range). */
  fragments: [number, number];
  /** Median fragment radius in µm. */
  fragmentRadiusUm: number;
  /** Median lesion box side, sqrt(w * h), in µm. DigiLut: about 940 px at 0.25 µm/px. */
  lesionMedianUm: number;
  /** Most lesions on a positive slide (at least one). */
  maxLesions: number;
  /** Lowest pyramid level: halve until the longer side is at most this many pixels. */
  smallestLevelPx: number;
}

export const SIZE_NAMES = ['tiny', 'small', 'medium', 'digilut'] as const;
export type SizeName = (typeof SIZE_NAMES)[number];

// Smaller presets shrink the slide and the fragments much more than the lesions, so a test slide of
// a few thousand pixels still holds lesions that span a few 256 px patches.
export const SIZE_PRESETS: Record<SizeName, SizePreset> = {
  tiny: {
    name: 'tiny',
    widthUm: 768,
    heightUm: 1792,
    fragments: [2, 3],
    fragmentRadiusUm: 200,
    lesionMedianUm: 128,
    maxLesions: 3,
    smallestLevelPx: 1024,
  },
  small: {
    name: 'small',
    widthUm: 2560,
    heightUm: 6144,
    fragments: [3, 5],
    fragmentRadiusUm: 400,
    lesionMedianUm: 160,
    maxLesions: 4,
    smallestLevelPx: 1024,
  },
  medium: {
    name: 'medium',
    widthUm: 6144,
    heightUm: 14336,
    fragments: [5, 8],
    fragmentRadiusUm: 650,
    lesionMedianUm: 200,
    maxLesions: 5,
    smallestLevelPx: 1024,
  },
  // DigiLut: level 0 about 83k x 198k px at 0.25 µm/px, biopsies of a few mm, a few % of the glass.
  digilut: {
    name: 'digilut',
    widthUm: 20750,
    heightUm: 49500,
    fragments: [9, 15],
    fragmentRadiusUm: 1100,
    lesionMedianUm: 235,
    maxLesions: 6,
    smallestLevelPx: 1024,
  },
};

export function isSizeName(s: string): s is SizeName {
  return (SIZE_NAMES as readonly string[]).includes(s);
}
