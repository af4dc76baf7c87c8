import { describe, expect, it } from 'vitest';
import { encodeJpeg } from '@slidepipe/jpeg';
import { memorySink, type RecordStream } from '@slidepipe/io';
import { makeBatch, schemaFor, type StreamMeta } from '@slidepipe/schema';
import type { Backbone, RgbImage } from './backbone';
import { embedStreams } from './embed';
import { HE_FEATURES_DIM, HeFeaturesBackbone } from './he-features';
import { mulberry32, paintHePatch } from '@slidepipe/testing';

const px = 32;

function patchStream(
  record: 'patch' | 'labelled-patch',
  n: number,
  opts: { batch?: number; image?: (i: number) => Uint8Array | null } = {},
): RecordStream {
  const rand = mulberry32(5);
  const meta: StreamMeta = {
    record,
    version: 1,
    slide: { slide_id: 's1_a', patient_id: 's1', width0: 1000, height0: 1000, mpp0: 0.25 },
    facts: { tile_px: px },
    provenance: [{ tool: 'wsi-tile', version: '0', argv: [], params: {}, time: 't' }],
  };
  const schema = schemaFor(meta);
  const image =
    opts.image ??
    ((i: number) => encodeJpeg(paintHePatch(rand, px, i % 3 === 0), px, px, { pixelFormat: 'rgb', quality: 90 }));
  const rows = Array.from({ length: n }, (_, i) => i);
  const cols: Record<string, unknown> = {
    slide_id: rows.map(() => 's1_a'),
    x0: Int32Array.from(rows, (i) => i * 64),
    y0: Int32Array.from(rows, () => 128),
    w0: new Int32Array(n).fill(64),
    h0: new Int32Array(n).fill(64),
    col: Int32Array.from(rows),
    row: new Int32Array(n).fill(2),
    mpp: new Float32Array(n).fill(0.5),
    tissue: new Float32Array(n).fill(0.9),
    image: rows.map(image),
  };
  if (record === 'labelled-patch') {
    Object.assign(cols, {
      coverage: Float32Array.from(rows, (i) => (i % 3 === 0 ? 0.7 : 0)),
      iou: new Float32Array(n),
      giou: new Float32Array(n),
      box_id: rows.map(() => null),
      label: Int8Array.from(rows, (i) => (i % 3 === 0 ? 1 : 0)),
    });
  }
  const all = makeBatch(schema, cols as Parameters<typeof makeBatch>[1]);
  const size = opts.batch ?? n;
  return {
    source: `${record}.arrows`,
    schema,
    meta,
    batches: (async function* () {
      for (let s = 0; s < n; s += size) yield all.slice(s, Math.min(n, s + size));
    })(),
  };
}

async function* streamsOf(...s: RecordStream[]) {
  yield* s;
}

describe('embedStreams', () => {
  it('writes one embedding per patch with labels, keys and scalar columns passed through, the image dropped', async () => {
    const { sink, out } = memorySink();
    const rows = await embedStreams(
      streamsOf(patchStream('labelled-patch', 10, { batch: 3 })),
      sink,
      new HeFeaturesBackbone(),
      { batchSize: 4, provenance: null },
    );
    expect(rows).toBe(10);
    const [s] = out;
    expect(s.meta.record).toBe('embedding');
    expect(s.meta.facts).toMatchObject({
      tile_px: px,
      dim: HE_FEATURES_DIM,
      backbone: { name: 'he-features-v1', dim: HE_FEATURES_DIM },
    });
    expect(s.meta.provenance.map((p) => p.tool)).toEqual(['wsi-tile']);
    const names = s.schema.fields.map((f) => f.name);
    expect(names).not.toContain('image');
    expect(names).toEqual(expect.arrayContaining(['label', 'embedding', 'mpp', 'tissue', 'coverage', 'box_id']));
    // Re-chunked to the backbone batch size: 4 + 4 + 2.
    expect(s.batches.map((b) => b.numRows)).toEqual([4, 4, 2]);
    const labels = s.batches.flatMap((b) => Array.from({ length: b.numRows }, (_, i) => b.getChild('label')!.get(i)));
    expect(labels).toEqual([1, 0, 0, 1, 0, 0, 1, 0, 0, 1]);
    const x0 = s.batches.flatMap((b) => Array.from({ length: b.numRows }, (_, i) => b.getChild('x0')!.get(i)));
    expect(x0).toEqual(Array.from({ length: 10 }, (_, i) => i * 64));
    expect(s.batches[2].getChild('coverage')!.get(1)).toBeCloseTo(0.7);
    const v = s.batches[0].getChild('embedding')!.get(0)!.toArray() as Float32Array;
    expect(v.length).toBe(HE_FEATURES_DIM);
    expect(v.every(Number.isFinite)).toBe(true);
  });

  it('gives unlabelled patches a null label', async () => {
    const { sink, out } = memorySink();
    await embedStreams(streamsOf(patchStream('patch', 3)), sink, new HeFeaturesBackbone(), {
      batchSize: 8,
      provenance: null,
    });
    const b = out[0].batches[0];
    expect([0, 1, 2].map((i) => b.getChild('label')!.get(i))).toEqual([null, null, null]);
  });

  it('refuses a patch without an image and a JPEG that does not decode, naming the patch', async () => {
    const none = patchStream('patch', 3, {
      image: (i) => (i === 1 ? null : encodeJpeg(new Uint8Array(px * px * 3), px, px, { pixelFormat: 'rgb' })),
    });
    await expect(
      embedStreams(streamsOf(none), memorySink().sink, new HeFeaturesBackbone(), { batchSize: 8, provenance: null }),
    ).rejects.toThrow(/patch\.arrows: slide s1_a patch x0=64 y0=128 has no image/);
    const broken = patchStream('patch', 3, {
      image: (i) =>
        i === 2
          ? Uint8Array.of(0xff, 0xd8, 1, 2, 3)
          : encodeJpeg(new Uint8Array(px * px * 3), px, px, { pixelFormat: 'rgb' }),
    });
    await expect(
      embedStreams(streamsOf(broken), memorySink().sink, new HeFeaturesBackbone(), { batchSize: 8, provenance: null }),
    ).rejects.toThrow(/patch\.arrows: slide s1_a patch x0=128 y0=128: JPEG decode failed/);
  });

  it('refuses a backbone that returns NaN', async () => {
    const nan: Backbone = {
      identity: { kind: 'onnx', name: 'broken', sha256: '0'.repeat(64), dim: 2, preprocessing: {} },
      embed: async (images: readonly RgbImage[]) =>
        Float32Array.from({ length: images.length * 2 }, (_, i) => (i === 3 ? NaN : 0)),
      close: async () => undefined,
    };
    await expect(
      embedStreams(streamsOf(patchStream('patch', 2)), memorySink().sink, nan, { batchSize: 8, provenance: null }),
    ).rejects.toThrow(/slide s1_a patch x0=64 y0=128: backbone broken gave NaN at component 1/);
  });
});
