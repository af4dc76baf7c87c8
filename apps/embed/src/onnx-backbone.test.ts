import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { GraphBuilder, loadOrt } from '@slidepipe/models';
import { openBackbone } from './backbone-registry';
import type { RgbImage } from './backbone';

const dir = mkdtempSync(join(tmpdir(), 'slidepipe-embed-onnx-'));
// onnxruntime's process-wide logger is set by the first session of this file: keep the CUDA
// fallback's expected library error off the test output (the tool does the same for --device cuda).
loadOrt().env.logLevel = 'fatal';

/** input [batch, 3, px, px] -> GlobalAveragePool -> [batch, 3, 1, 1], optionally flattened to [batch, 3]. */
function poolModel(
  name: string,
  opts: { px?: number; batch?: number | string; flatten?: boolean; metadata?: Record<string, string> } = {},
): string {
  const px = opts.px ?? 8;
  const g = new GraphBuilder('pool');
  g.input('image', 'float32', [opts.batch ?? 'N', 3, px, px]);
  const pooled = g.op('GlobalAveragePool', ['image'], {}, opts.flatten ? undefined : 'features');
  if (opts.flatten) g.op('Flatten', [pooled], { axis: 1 }, 'features');
  g.output('features', 'float32', opts.flatten ? [opts.batch ?? 'N', 3] : [opts.batch ?? 'N', 3, 1, 1]);
  const path = join(dir, `${name}.onnx`);
  writeFileSync(path, g.serialize({ metadata: opts.metadata }));
  return path;
}

const warnings: string[] = [];
const opts = { device: 'cpu' as const, threads: 1, warn: (m: string) => warnings.push(m) };
const image = (px: number, rgb: [number, number, number]): RgbImage => ({
  data: Uint8Array.from({ length: px * px * 3 }, (_, i) => rgb[i % 3]),
  width: px,
  height: px,
});

describe('ONNX backbones', () => {
  it('takes preprocessing from a sidecar JSON and gives one vector per image', async () => {
    const path = poolModel('sidecar', { flatten: false });
    writeFileSync(
      join(dir, 'sidecar.json'),
      JSON.stringify({ name: 'pool-test', channels: 'BGR', scale: 1, mean: [10, 20, 30], std: [2, 4, 5] }),
    );
    const b = await openBackbone(path, opts);
    expect(b.identity).toMatchObject({
      kind: 'onnx',
      name: 'pool-test',
      dim: 3,
      sha256: createHash('sha256').update(readFileSync(path)).digest('hex'),
    });
    expect(b.identity.preprocessing).toMatchObject({ input_px: 8, channels: 'BGR', source: 'sidecar.json' });
    // Patches of 16 px are resized to the model's 8; a flat colour stays flat.
    const v = await b.embed([image(16, [40, 60, 80]), image(16, [0, 0, 0])]);
    // BGR: the first plane is blue, normalised with the first mean/std.
    expect(Array.from(v)).toEqual([(80 - 10) / 2, (60 - 20) / 4, (40 - 30) / 5, -10 / 2, -20 / 4, -30 / 5]);
    await b.close();
  });

  it('reads preprocessing from the model metadata (as libs/models writes it) and pads a fixed batch size', async () => {
    const path = poolModel('fixed-batch', {
      batch: 2,
      flatten: true,
      metadata: {
        'slidepipe.backbone.id': 'pool-meta',
        'slidepipe.backbone.preprocessing': JSON.stringify({ scale: 1, mean: [0, 0, 0], std: [1, 1, 1] }),
      },
    });
    const b = await openBackbone(path, opts);
    expect(b.identity.name).toBe('pool-meta');
    const v = await b.embed([image(8, [1, 2, 3]), image(8, [4, 5, 6]), image(8, [7, 8, 9])]);
    expect(Array.from(v)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await b.close();
  });

  it('warns and assumes ImageNet statistics when nothing says how to preprocess', async () => {
    warnings.length = 0;
    const b = await openBackbone(poolModel('bare', { flatten: true }), opts);
    expect(warnings.join('\n')).toMatch(
      /bare\.onnx: no mean\/std in the model metadata or a sidecar bare\.json: assuming ImageNet's/,
    );
    expect(b.identity.preprocessing).toMatchObject({ mean: [0.485, 0.456, 0.406], source: 'defaults' });
    await b.close();
  });

  it('refuses a model whose output is not a vector per image', async () => {
    const g = new GraphBuilder('map');
    g.input('image', 'float32', ['N', 3, 8, 8]);
    g.op('Relu', ['image'], {}, 'map');
    g.output('map', 'float32', ['N', 3, 8, 8]);
    const path = join(dir, 'feature-map.onnx');
    writeFileSync(path, g.serialize());
    await expect(openBackbone(path, opts)).rejects.toThrow(
      /feature-map\.onnx: output map has shape \[N, 3, 8, 8\]; a backbone must give one vector per image/,
    );
    // Symbolic spatial dimensions pass the declared-shape check; the probe run catches them.
    const h = new GraphBuilder('map2');
    h.input('image', 'float32', ['N', 3, 'H', 'W']);
    h.op('Relu', ['image'], {}, 'map');
    h.output('map', 'float32', ['N', 3, 'H', 'W']);
    writeFileSync(join(dir, 'symbolic.onnx'), h.serialize());
    writeFileSync(join(dir, 'symbolic.json'), JSON.stringify({ input_px: 8 }));
    await expect(openBackbone(join(dir, 'symbolic.onnx'), opts)).rejects.toThrow(/output map has shape \[1, 3, 8, 8\]/);
  });

  it('refuses a model that does not take [N, 3, H, W]', async () => {
    const g = new GraphBuilder('grey');
    g.input('image', 'float32', ['N', 1, 8, 8]);
    g.op('GlobalAveragePool', ['image'], {}, 'f');
    g.output('f', 'float32', ['N', 1, 1, 1]);
    writeFileSync(join(dir, 'grey.onnx'), g.serialize());
    await expect(openBackbone(join(dir, 'grey.onnx'), opts)).rejects.toThrow(
      /input image has shape \[N, 1, 8, 8\]; a backbone takes \[N, 3, H, W\]/,
    );
  });

  it('says a file that is not an ONNX model is not one', async () => {
    const text = join(dir, 'notes.onnx');
    writeFileSync(text, 'this is a text file, not a model\n');
    await expect(openBackbone(text, opts)).rejects.toThrow(/notes\.onnx: not an ONNX model/);
    const random = join(dir, 'random.onnx');
    writeFileSync(
      random,
      Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24),
    );
    await expect(openBackbone(random, opts)).rejects.toThrow(/random\.onnx: not an ONNX model/);
    const empty = join(dir, 'empty.onnx');
    writeFileSync(empty, '');
    await expect(openBackbone(empty, opts)).rejects.toThrow(/not an ONNX model \(the file is empty\)/);
    await expect(openBackbone(join(dir, 'missing.onnx'), opts)).rejects.toThrow(/missing\.onnx: no such file/);
    await expect(openBackbone('resnet', opts)).rejects.toThrow(
      /--model: expected a built-in backbone \(he-features\) or a path to an \.onnx file/,
    );
  });

  it('falls back to the CPU with a warning when the CUDA provider cannot load', async () => {
    const ortDir = dirname(createRequire(import.meta.url).resolve('onnxruntime-node'));
    const hasCuda = (function walk(d: string): boolean {
      return readdirSync(d, { withFileTypes: true }).some((e) =>
        e.isDirectory() ? walk(join(d, e.name)) : /providers_cuda/.test(e.name),
      );
    })(join(ortDir, '..', 'bin'));
    warnings.length = 0;
    const b = await openBackbone(
      poolModel('cuda', {
        flatten: true,
        metadata: { 'slidepipe.backbone.preprocessing': JSON.stringify({ scale: 1, mean: [0, 0, 0], std: [1, 1, 1] }) },
      }),
      { ...opts, device: 'cuda' },
    );
    expect(Array.from(await b.embed([image(8, [3, 2, 1])]))).toEqual([3, 2, 1]);
    if (!hasCuda)
      expect(warnings.join('\n')).toMatch(
        /--device cuda: the CUDA execution provider cannot load .*running on the CPU/,
      );
    await b.close();
  });
});
