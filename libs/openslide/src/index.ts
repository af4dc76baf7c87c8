export { Slide } from './slide';
export type {
  SlideOpenOptions,
  LevelDimensions,
  SlideRegion,
  RgbImage,
  ReadRegionOptions,
  PlanReadOptions,
} from './slide';
export { argbToBgrx, argbToRgb, argbToRgbx, isOpaque } from './pixels';
export type { ArgbPixels } from './pixels';
export {
  resolveMpp,
  resolveObjectivePower,
  mppFromTiffResolution,
  mppForMagnification,
  planRead,
  replacementMpp,
  MIN_PLAUSIBLE_MPP,
  MAX_PLAUSIBLE_MPP,
} from './resolution';
export type { Mpp, MppOverride, ObjectivePower, ReadPlan } from './resolution';
export * from './properties';
export { choosePixelPath, RegionReader } from './region-reader';
export type { PixelPath } from './region-reader';
export { findJpegTileLevel, JpegTileReader } from './jpeg-tiles';
export type { JpegTileLevel, TileRegion } from './jpeg-tiles';
export { LOWRES_MAX_PX, LOWRES_MPP, openslideLevelReader, planLowRes, readLowRes } from './lowres';
export type { LevelReader, LowResImage, LowResPlan, ReadLimits } from './lowres';
export { readTiffDirectories, TiffFormatError } from './tiff';
export type { TiffDirectory } from './tiff';
export * from './tiff-tags';
export { OpenSlideError } from './errors';
export type { OpenSlideErrorCode } from './errors';
/** The 1:1 C binding, for what Slide does not cover. */
export * as lowlevel from './lowlevel';
