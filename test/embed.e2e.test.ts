// wsi-embed through real pipes: the built-in backbone, a user's ONNX model with a sidecar, the
// CUDA fallback, and each bad input as one clear line.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openRecordSink } from '@slidepipe/io';
import { GraphBuilder } from '@slidepipe/models';
import { makeBatch, schemaFor, type StreamMeta } from '@slidepipe/schema';
import { sh, tmp } from './helpers';
import { writeCohort } from './train-fixtures';

let dir: string;

/** input [N, 3, 16, 16] -> GlobalAveragePool -> [N, 3, 1, 1]: the per-channel means. */
function writePoolModel(path: string): void {
  const g = new GraphBuilder('pool');
  g.input('image', 'float32', ['N', 3, 16, 16]);
  g.op('GlobalAveragePool', ['image'], {}, 'features');
  g.output('features', 'float32', ['N', 3, 1, 1]);
  writeFileSync(path, g.serialize());
}

const lines = (s: string) => s.trim().split('\n');

beforeAll(async () => {
  dir = tmp('slidepipe-embed-e2e-');
  await writeCohort(dir, 12);
  writePoolModel(join(dir, 'pool.onnx'));
  writeFileSync(
    join(dir, 'pool.json'),
    JSON.stringify({ name: 'pool-test', scale: 1, mean: [0, 0, 0], std: [1, 1, 1] }),
  );
  const g = new GraphBuilder('map');
  g.input('image', 'float32', ['N', 3, 16, 16]);
  g.op('Relu', ['image'], {}, 'map');
  g.output('map', 'float32', ['N', 3, 16, 16]);
  writeFileSync(join(dir, 'feature-map.onnx'), g.serialize());
  writeFileSync(join(dir, 'notes.onnx'), 'not a model\n');
});

describe('wsi-embed', () => {
  it('embeds a pipe of labelled patches with the built-in backbone, one stream per slide, labels passed through', () => {
    const r = sh(
      'wsi-cat -q patches/p000_a.arrows patches/p001_b.arrows | wsi-embed | wsi-cat -q -o emb.arrows && wsi-cat --schema emb.arrows > schema.json',
      { cwd: dir },
    );
    expect(r.stderr).toMatch(/^wsi-embed: 24 patches embedded with he-features-v1 \(dim 64\) to <stdout>$/m);
    expect(r.status).toBe(0);
    const schema = JSON.parse(readFileSync(join(dir, 'schema.json'), 'utf8'));
    expect(schema.map((s: { slide: { slide_id: string } }) => s.slide.slide_id)).toEqual(['p000_a', 'p001_b']);
    expect(schema[0].record).toBe('embedding');
    expect(schema[0].facts.dim).toBe(64);
    expect(schema[0].facts.backbone).toMatchObject({ kind: 'builtin', name: 'he-features-v1', dim: 64 });
    expect(schema[0].provenance.map((p: { tool: string }) => p.tool)).toEqual([
      'he-synth',
      'wsi-cat',
      'wsi-embed',
      'wsi-cat',
    ]);
    expect(schema[0].columns.map((c: { name: string }) => c.name)).not.toContain('image');
    const inLabels = sh('wsi-cat --csv --select x0,label patches/p000_a.arrows patches/p001_b.arrows', {
      cwd: dir,
    }).stdout.toString();
    const outLabels = sh('wsi-cat --csv --select x0,label emb.arrows', { cwd: dir }).stdout.toString();
    expect(outLabels).toBe(inLabels);
    expect(lines(outLabels)).toHaveLength(25);
  });

  it('runs a user ONNX backbone with its sidecar preprocessing and records its name and sha256', () => {
    const r = sh(
      'wsi-embed -q --model pool.onnx --batch-size 5 patches/p000_a.arrows -o pool.parquet && wsi-cat --schema pool.parquet > pool-schema.json && wsi-cat --jsonl --head 1 --select embedding pool.parquet',
      { cwd: dir },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const facts = JSON.parse(readFileSync(join(dir, 'pool-schema.json'), 'utf8')).facts;
    expect(facts.backbone).toMatchObject({
      kind: 'onnx',
      name: 'pool-test',
      dim: 3,
      sha256: createHash('sha256')
        .update(readFileSync(join(dir, 'pool.onnx')))
        .digest('hex'),
      preprocessing: { input_px: 16, channels: 'RGB', source: 'pool.json' },
    });
    // Per-channel means of an H&E-pink patch on a 0..255 scale: red highest, green lowest.
    const [red, green, blue] = JSON.parse(r.stdout.toString()).embedding as number[];
    expect(red).toBeGreaterThan(blue);
    expect(blue).toBeGreaterThan(green);
    expect(green).toBeGreaterThan(100);
  });

  it('falls back to the CPU with one warning when CUDA cannot be used', () => {
    const r = sh('wsi-embed -q --model pool.onnx --device cuda patches/p000_a.arrows | wsi-cat --count', { cwd: dir });
    expect(r.status).toBe(0);
    expect(r.stdout.toString().trim()).toBe('12');
    // On a machine whose onnxruntime has its CUDA libraries, there is nothing to warn about.
    if (r.stderr)
      expect(lines(r.stderr)).toEqual([
        expect.stringMatching(
          /^wsi-embed: warning: --device cuda: the CUDA execution provider cannot load \(.*\); running on the CPU$/,
        ),
      ]);
  });

  it('fails with one line on a file that is not a model, a backbone without vector output, and patches without images', async () => {
    const meta: StreamMeta = {
      record: 'patch',
      version: 1,
      slide: { slide_id: 's_a', patient_id: 's', width0: 1, height0: 1, mpp0: 0.25 },
      facts: {},
      provenance: [],
    };
    const b = makeBatch(schemaFor(meta), {
      slide_id: ['s_a'],
      x0: Int32Array.of(512),
      y0: Int32Array.of(256),
      w0: Int32Array.of(256),
      h0: Int32Array.of(256),
      col: Int32Array.of(2),
      row: Int32Array.of(1),
      mpp: Float32Array.of(0.5),
      tissue: Float32Array.of(1),
      image: [null],
    });
    const sink = openRecordSink(join(dir, 'coords-only.arrows'), { force: true });
    await sink.begin(b.schema, meta);
    await sink.write(b);
    await sink.close();
    const cases: [string, number, RegExp][] = [
      [
        'wsi-embed --model notes.onnx patches/p000_a.arrows > /dev/null',
        65,
        /^wsi-embed: notes\.onnx: not an ONNX model \(.*\)$/,
      ],
      [
        'wsi-embed --model feature-map.onnx patches/p000_a.arrows > /dev/null',
        65,
        /^wsi-embed: feature-map\.onnx: output map has shape \[N, 3, 16, 16\]; a backbone must give one vector per image/,
      ],
      [
        'wsi-embed --model missing.onnx patches/p000_a.arrows > /dev/null',
        66,
        /^wsi-embed: missing\.onnx: no such file$/,
      ],
      [
        'wsi-embed coords-only.arrows > /dev/null',
        65,
        /^wsi-embed: coords-only\.arrows: slide s_a patch x0=512 y0=256 has no image/,
      ],
      [
        'wsi-embed splits.arrows > /dev/null',
        65,
        /^wsi-embed: splits\.arrows: expected "patch" or "labelled-patch" records, got "split"$/,
      ],
    ];
    for (const [cmd, status, pattern] of cases) {
      const r = sh(cmd, { cwd: dir });
      expect(r.status, cmd).toBe(status);
      expect(lines(r.stderr), cmd).toHaveLength(1);
      expect(r.stderr.trim(), cmd).toMatch(pattern);
    }
  });
});
