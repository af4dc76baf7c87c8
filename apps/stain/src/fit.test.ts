import { describe, expect, it } from 'vitest';
import { encodeJpeg } from '@slidepipe/jpeg';
import { makeBatch, recordDef, schemaFor, type StreamMeta } from '@slidepipe/schema';
import type { RecordStream } from '@slidepipe/io';
import { mulberry32, paintHePatch } from '@slidepipe/testing';
import { fitStainTarget } from './fit';

const PX = 32;

function stream(slide: string, images: (Uint8Array | null)[]): RecordStream {
  const meta: StreamMeta = {
    record: 'patch',
    version: recordDef('patch').version,
    slide: { slide_id: slide, patient_id: slide.slice(0, 4), width0: 1000, height0: 1000, mpp0: 0.25 },
    facts: {},
    provenance: [],
  };
  const schema = schemaFor(meta);
  const n = images.length;
  const ints = () => Int32Array.from({ length: n }, (_, i) => i * PX);
  const batch = makeBatch(schema, {
    slide_id: images.map(() => slide),
    x0: ints(),
    y0: new Int32Array(n),
    w0: new Int32Array(n).fill(PX),
    h0: new Int32Array(n).fill(PX),
    col: Int32Array.from({ length: n }, (_, i) => i),
    row: new Int32Array(n),
    mpp: new Float32Array(n).fill(0.5),
    tissue: new Float32Array(n).fill(0.9),
    image: images,
  } as Parameters<typeof makeBatch>[1]);
  return {
    source: `${slide}.arrows`,
    schema,
    meta,
    batches: (async function* () {
      yield batch;
    })(),
  };
}

async function* streams(...s: RecordStream[]) {
  yield* s;
}

const jpeg = (seed: number, fill?: number) => {
  const rgb =
    fill === undefined ? paintHePatch(mulberry32(seed), PX, seed % 2 === 0) : new Uint8Array(PX * PX * 3).fill(fill);
  return encodeJpeg(rgb, PX, PX, { pixelFormat: 'rgb', quality: 95 });
};

describe('fitStainTarget', () => {
  it('pools the patches of every slide and counts slides and patients', async () => {
    const t = await fitStainTarget(
      streams(stream('p001_a', [jpeg(1), jpeg(2)]), stream('p001_b', [jpeg(3)]), stream('p002_a', [jpeg(4, 255)])),
      { seed: 0, pixelsPerPatch: 256, maxPixels: 10_000 },
    );
    expect(t.fitted_on).toMatchObject({ patches: 4, slides: 3, patients: 2 });
    expect(t.macenko).not.toBeNull();
    // The seed only picks pixels when the pool is full: here it holds them all.
    const again = await fitStainTarget(streams(stream('p001_a', [jpeg(1), jpeg(2)]), stream('p001_b', [jpeg(3)])), {
      seed: 5,
      pixelsPerPatch: 256,
      maxPixels: 10_000,
    });
    expect(again.macenko).toEqual(t.macenko);
  });

  it('refuses patches without images and a stream with no tissue', async () => {
    await expect(
      fitStainTarget(streams(stream('p001_a', [null])), { seed: 0, pixelsPerPatch: 64, maxPixels: 1000 }),
    ).rejects.toThrow(/p001_a.arrows: slide p001_a patch x0=0 y0=0 has no image/);
    await expect(
      fitStainTarget(streams(stream('p001_a', [jpeg(0, 255), jpeg(0, 250)])), {
        seed: 0,
        pixelsPerPatch: 64,
        maxPixels: 1000,
      }),
    ).rejects.toThrow(/no tissue pixels in 2 patches/);
  });
});
