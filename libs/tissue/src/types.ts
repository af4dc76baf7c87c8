import type { RgbImage } from '@slidepipe/image';

export type { RgbImage };

/** A binary mask, one byte per pixel: 1 = tissue, 0 = background. Same layout as `RgbImage`. */
export interface Mask {
  data: Uint8Array;
  width: number;
  height: number;
}

export type ParamValue = number | string | boolean;
export type Params = Record<string, ParamValue>;

/**
 * One tissue-detection method with its parameters already validated and completed with defaults,
 * so `name` + `params` is a full recipe that can go into provenance.
 */
export interface TissueDetector {
  name: string;
  params: Params;
  detect(img: RgbImage): Mask;
}
