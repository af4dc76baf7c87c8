// The backbones by name: the one module that imports them (lazily: onnxruntime and the feature code
// load only when a backbone opens).
import { existsSync } from 'node:fs';
import { Registry, usageError, type Definition } from '@slidepipe/core';
import type { Backbone, BackboneOptions } from './backbone';

export interface BuiltinBackbone extends Definition {
  open(opts: BackboneOptions): Promise<Backbone>;
}

const heFeatures: BuiltinBackbone = {
  name: 'he-features',
  description:
    'colour and texture features of H&E patches (stain densities, GLCM, LBP, gradients, nuclei blobs); no weights',
  async open() {
    const { HeFeaturesBackbone } = await import('./he-features');
    return new HeFeaturesBackbone();
  },
};

/** Built-in backbones; anything else given to --model is a path to an ONNX file. */
export const BACKBONES = new Registry<BuiltinBackbone>([heFeatures], { what: '--model' });
export const BUILTIN_BACKBONES: Readonly<Record<string, BuiltinBackbone>> = Object.fromEntries(
  BACKBONES.definitions.map((b) => [b.name, b]),
);

export const DEFAULT_BACKBONE = heFeatures.name;

/** A built-in backbone by name, or the ONNX model at `model`. */
export async function openBackbone(model: string, opts: BackboneOptions): Promise<Backbone> {
  const builtin = BACKBONES.find(model);
  if (builtin && !existsSync(model)) return builtin.open(opts);
  if (!existsSync(model) && !/\.onnx$/i.test(model)) {
    const builtins = BACKBONES.names.join(', ');
    throw usageError(
      '--model',
      `expected a built-in backbone (${builtins}) or a path to an .onnx file, got ${JSON.stringify(model)}`,
    );
  }
  const { loadOnnxBackbone } = await import('./onnx-backbone');
  return loadOnnxBackbone(model, opts);
}
