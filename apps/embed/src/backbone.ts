// The backbone interface: decoded RGB patches in, one float32 vector per patch out. ONNX models
// and the built-in H&E features sit behind it, chosen by name in `openBackbone`.
import { existsSync } from 'node:fs';
import { usageError } from '@slidepipe/cli';

/** A decoded patch: interleaved 8-bit RGB, row-major. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

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

interface BuiltinEntry {
  summary: string;
  open(opts: BackboneOptions): Promise<Backbone>;
}

/** Built-in backbones by name; anything else given to --model is a path to an ONNX file. */
export const BUILTIN_BACKBONES: Record<string, BuiltinEntry> = {
  'he-features': {
    summary: 'colour and texture features of H&E patches (stain densities, GLCM, LBP, gradients, nuclei blobs); no weights',
    async open() {
      const { HeFeaturesBackbone } = await import('./he-features');
      return new HeFeaturesBackbone();
    },
  },
};

export const DEFAULT_BACKBONE = 'he-features';

/** A built-in backbone by name, or the ONNX model at `model`. */
export async function openBackbone(model: string, opts: BackboneOptions): Promise<Backbone> {
  const builtin = BUILTIN_BACKBONES[model];
  if (builtin && !existsSync(model)) return builtin.open(opts);
  if (!existsSync(model) && !/\.onnx$/i.test(model)) {
    throw usageError('--model', `expected a built-in backbone (${Object.keys(BUILTIN_BACKBONES).join(', ')}) or a path to an .onnx file, got ${JSON.stringify(model)}`);
  }
  const { loadOnnxBackbone } = await import('./onnx-backbone');
  return loadOnnxBackbone(model, opts);
}
