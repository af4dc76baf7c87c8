// A ResNet-18-shaped image backbone with seeded random weights, for benchmarking the embedder
// without downloading weights. Topology as torchvision's resnet18 up to the pooled features:
// conv 7x7/2 + ReLU, max-pool 3x3/2, four stages of two BasicBlocks (64, 128, 256, 512 channels;
// stages 2-4 start with stride 2 and a 1x1 projection), global average pool, flatten.
// BatchNorm is folded into each convolution's weight and bias, as an inference export does.
import { createHash } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { ModelError } from '../errors';
import { GraphBuilder } from '../onnx/graph-builder';
import { createRng, fillNormal, fillUniform, type Rng } from '../random/rng';

export const RESNET18_IO = { input: 'input', output: 'embedding' } as const;
export const RESNET18_EMBEDDING_DIM = 512;

export interface ResNet18Options {
  seed?: number;
  /** Input height and width in pixels; 224 as torchvision. Must be >= 32 (five halvings). */
  inputPx?: number;
  /** Extra metadata_props, added after the generator's own `slidepipe.backbone.*` keys. */
  metadata?: Readonly<Record<string, string>>;
}

/** The ImageNet normalisation torchvision's ResNets expect, recorded in the model's metadata. */
const PREPROCESSING = {
  layout: 'NCHW',
  channels: 'RGB',
  scale: 1 / 255,
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
};

interface Ctx {
  g: GraphBuilder;
  rng: Rng;
}

/**
 * He weights (std = gain * sqrt(2 / fan_in)) keep activations at a steady scale through ReLUs.
 * Drawn uniform with that std (bound sqrt(3) std) rather than normal: the same variance at a
 * fifth of the cost for 11M weights. `gain` < 1 plays the part of a folded BatchNorm gamma on
 * the last conv of a residual branch, so the sum with the shortcut does not double the variance
 * at every block.
 */
function conv(c: Ctx, x: string, name: string, cin: number, cout: number, k: number, stride: number, gain = 1): string {
  const fanIn = cin * k * k;
  const w = fillUniform(c.rng, new Float32Array(cout * fanIn), Math.sqrt(3) * gain * Math.sqrt(2 / fanIn));
  const b = fillNormal(c.rng, new Float32Array(cout), 0.01);
  c.g.initializer(`${name}.weight`, { dtype: 'float32', dims: [cout, cin, k, k], data: w });
  c.g.initializer(`${name}.bias`, { dtype: 'float32', dims: [cout], data: b });
  const pad = (k - 1) >> 1;
  return c.g.op('Conv', [x, `${name}.weight`, `${name}.bias`], {
    kernel_shape: [k, k],
    strides: [stride, stride],
    pads: [pad, pad, pad, pad],
  });
}

function basicBlock(c: Ctx, x: string, name: string, cin: number, cout: number, stride: number): string {
  const a = c.g.op('Relu', [conv(c, x, `${name}.conv1`, cin, cout, 3, stride)]);
  const b = conv(c, a, `${name}.conv2`, cout, cout, 3, 1, 0.5);
  // The projection has no ReLU before it: gain sqrt(1/2) makes its std sqrt(1 / fan_in).
  const shortcut =
    stride !== 1 || cin !== cout ? conv(c, x, `${name}.downsample`, cin, cout, 1, stride, Math.SQRT1_2) : x;
  return c.g.op('Relu', [c.g.op('Add', [b, shortcut])]);
}

/** The serialised model: input [N, 3, px, px] float32 -> embedding [N, 512]. */
export function buildResNet18Model(opts: ResNet18Options = {}): Uint8Array {
  const seed = opts.seed ?? 0;
  const px = opts.inputPx ?? 224;
  if (!Number.isInteger(px) || px < 32) {
    throw new ModelError('INVALID_PARAMETER', `inputPx: expected an integer >= 32, received ${px}`);
  }
  const c: Ctx = { g: new GraphBuilder('resnet18'), rng: createRng(seed) };
  const { g } = c;
  g.input(RESNET18_IO.input, 'float32', ['N', 3, px, px]);
  let x = g.op('Relu', [conv(c, RESNET18_IO.input, 'conv1', 3, 64, 7, 2)]);
  x = g.op('MaxPool', [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
  let cin = 64;
  [64, 128, 256, 512].forEach((cout, stage) => {
    x = basicBlock(c, x, `layer${stage + 1}.0`, cin, cout, stage === 0 ? 1 : 2);
    x = basicBlock(c, x, `layer${stage + 1}.1`, cout, cout, 1);
    cin = cout;
  });
  const pooled = g.op('GlobalAveragePool', [x]);
  g.op('Flatten', [pooled], { axis: 1 }, RESNET18_IO.output);
  g.output(RESNET18_IO.output, 'float32', ['N', RESNET18_EMBEDDING_DIM]);
  return g.serialize({
    docString: 'ResNet-18 topology with seeded random weights (BatchNorm folded): for benchmarks, not for accuracy',
    metadata: {
      'slidepipe.backbone.id': `resnet18-random-seed${seed}`,
      'slidepipe.backbone.weights': 'random: He (uniform), BatchNorm folded into conv; no pretrained weights',
      'slidepipe.backbone.input_px': String(px),
      'slidepipe.backbone.embedding_dim': String(RESNET18_EMBEDDING_DIM),
      'slidepipe.backbone.preprocessing': JSON.stringify(PREPROCESSING),
      ...opts.metadata,
    },
  });
}

/**
 * Builds the model and writes it to `path` through a temporary name and a rename, so a killed run
 * never leaves a partial model. Returns its size and sha256 (for a head's metadata).
 */
export async function writeResNet18Model(
  path: string,
  opts: ResNet18Options = {},
): Promise<{ bytes: number; sha256: string }> {
  const model = buildResNet18Model(opts);
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await writeFile(tmp, model);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  return { bytes: model.length, sha256: createHash('sha256').update(model).digest('hex') };
}
