import type { ParamSpecs } from '@slidepipe/core';
import type { Mask, Params, RgbImage } from '../types';

/** One detection method as the registry holds it. */
export interface DetectorDefinition {
  name: string;
  description: string;
  params: ParamSpecs;
  /** Builds the detection function from parameters already checked and completed by resolveParams. */
  build(params: Params): (img: RgbImage) => Mask;
}
