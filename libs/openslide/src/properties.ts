// Property keys, as openslide-python's PROPERTY_NAME_* constants.
export const PROPERTY_COMMENT = 'openslide.comment';
export const PROPERTY_VENDOR = 'openslide.vendor';
export const PROPERTY_QUICKHASH1 = 'openslide.quickhash-1';
export const PROPERTY_BACKGROUND_COLOR = 'openslide.background-color';
export const PROPERTY_OBJECTIVE_POWER = 'openslide.objective-power';
/** Microns per pixel at level 0, horizontally. */
export const PROPERTY_MPP_X = 'openslide.mpp-x';
export const PROPERTY_MPP_Y = 'openslide.mpp-y';
export const PROPERTY_BOUNDS_X = 'openslide.bounds-x';
export const PROPERTY_BOUNDS_Y = 'openslide.bounds-y';
export const PROPERTY_BOUNDS_WIDTH = 'openslide.bounds-width';
export const PROPERTY_BOUNDS_HEIGHT = 'openslide.bounds-height';
export const PROPERTY_LEVEL_COUNT = 'openslide.level-count';
// Raw TIFF tags that OpenSlide copies into the properties (generic TIFF gets no openslide.mpp-*).
export const PROPERTY_TIFF_X_RESOLUTION = 'tiff.XResolution';
export const PROPERTY_TIFF_Y_RESOLUTION = 'tiff.YResolution';
/** 'none', 'inch' or 'centimeter'. */
export const PROPERTY_TIFF_RESOLUTION_UNIT = 'tiff.ResolutionUnit';

export type LevelPropertyField = 'width' | 'height' | 'downsample' | 'tile-width' | 'tile-height';

/** Key of a per-level property, e.g. levelProperty(1, 'downsample') = 'openslide.level[1].downsample'. */
export function levelProperty(level: number, field: LevelPropertyField): string {
  return `openslide.level[${level}].${field}`;
}
