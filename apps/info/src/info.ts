// wsi-info's work: a slide's facts as one JSON object, with the resolution derived the same way
// wsi-tile derives it and the read plan wsi-tile would use for a target resolution.
import { mppForMagnification, type Mpp, type ObjectivePower, type Slide } from '@slidepipe/openslide';

export type Target = { mpp: number } | { magnification: number };

export interface LevelInfo {
  level: number;
  width: number;
  height: number;
  downsample: number;
  /** µm per pixel of this level, when the slide has a resolution. */
  mpp: number | null;
  /** Magnification of this level (objective power / downsample). */
  magnification: number | null;
  tile_width: number | null;
  tile_height: number | null;
}

export interface TargetInfo {
  /** As asked: µm per pixel or magnification. */
  asked: Target;
  mpp: number;
  tile_px: number;
  level: number;
  level_downsample: number;
  /** Level pixels per output pixel: 2 means read 2 * tile_px and halve. */
  resample_factor: number;
  resample: boolean;
  read_px: number;
  /** Level-0 pixels covered by one patch side. */
  extent0_px: number;
  /** µm per output pixel actually delivered. */
  output_mpp: number;
}

export interface SlideInfo {
  path: string;
  vendor: string | null;
  width0: number;
  height0: number;
  mpp: Mpp | null;
  magnification: ObjectivePower | null;
  level_count: number;
  levels: LevelInfo[];
  associated_images: Record<string, { width: number; height: number }>;
  /** The read plan for the target resolution; null when the slide has no resolution. */
  target: TargetInfo | null;
  /** Every property OpenSlide reports, as openslide-show-properties lists them. */
  properties: Record<string, string>;
}

const numberOrNull = (v: string | undefined) =>
  v === undefined || v === '' || !Number.isFinite(Number(v)) ? null : Number(v);

export function slideInfo(slide: Slide, target: Target, tilePx: number): SlideInfo {
  const mpp = slide.mpp;
  const power = slide.objectivePower;
  const levels = slide.levelDimensions.map(({ width, height }, level) => {
    const downsample = slide.levelDownsamples[level];
    return {
      level,
      width,
      height,
      downsample,
      mpp: mpp ? mpp.x * downsample : null,
      magnification: power ? power.value / downsample : null,
      tile_width: numberOrNull(slide.properties[`openslide.level[${level}].tile-width`]),
      tile_height: numberOrNull(slide.properties[`openslide.level[${level}].tile-height`]),
    };
  });
  const associated: Record<string, { width: number; height: number }> = {};
  for (const name of slide.associatedImageNames) {
    const img = slide.readAssociatedImage(name);
    associated[name] = { width: img.width, height: img.height };
  }
  let targetInfo: TargetInfo | null = null;
  if (mpp) {
    const targetMpp = 'mpp' in target ? target.mpp : mppForMagnification(mpp, power, target.magnification);
    const plan = slide.planRead(targetMpp, { tilePx });
    targetInfo = {
      asked: target,
      mpp: targetMpp,
      tile_px: tilePx,
      level: plan.level,
      level_downsample: plan.levelDownsample,
      resample_factor: plan.resampleFactor,
      resample: plan.needsResize,
      read_px: plan.readPx,
      extent0_px: Math.round(plan.extent0Px),
      output_mpp: plan.outputMpp,
    };
  }
  return {
    path: slide.path,
    vendor: slide.vendor,
    width0: slide.dimensions.width,
    height0: slide.dimensions.height,
    mpp,
    magnification: power,
    level_count: slide.levelCount,
    levels,
    associated_images: associated,
    target: targetInfo,
    properties: { ...slide.properties },
  };
}
