// The backbone interface: decoded RGB patches in, one float32 vector per patch out. ONNX models
// and the built-in H&E features sit behind it, chosen in backbone-registry's `openBackbone`. Types
// only, so the backbones import it and the registry imports them, with no circle.

import type { RgbImage } from '@slidepipe/image';

/** A decoded patch is the one RGB image type. */
export type { RgbImage };

/**
 * What downstream tools compare to know two embedding streams came from the same backbone:
 * written to the embedding stream's facts (`backbone`) and into every head trained on it.
 */
export interface BackboneIdentity {
  kind: 'onnx' | 'builtin';
  name: string;
  /** sha256 of the model file, or of the built-in recipe (its name, version and parameters). */
  sha256: string;
  dim: number;
  /** How pixels become the model input (resize, channel order, scale, mean/std), as applied. */
  preprocessing: Record<string, unknown>;
}

export interface Backbone {
  readonly identity: BackboneIdentity;
  /** Vectors of `images`, row-major [images.length, dim]. */
  embed(images: readonly RgbImage[]): Promise<Float32Array>;
  close(): Promise<void>;
}

export interface BackboneOptions {
  device: 'cpu' | 'cuda';
  threads: number;
  warn: (msg: string) => void;
}
