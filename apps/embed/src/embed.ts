// wsi-embed: patch records in, embedding records out, one stream per input stream (per slide).
// JPEG decoding (libjpeg-turbo on worker threads) runs ahead of the backbone, so decoding batch
// k+1 overlaps inference on batch k. Labels and scalar columns pass through; the image does not.
import { type DataType, type Field, type RecordBatch, type Schema, Type } from 'apache-arrow';
import { inputError } from '@slidepipe/cli';
import { decodeJpegAsync, setJpegMaxInFlight } from '@slidepipe/jpeg';
import type { RecordSink, RecordStream } from '@slidepipe/io';
import {
  makeBatch,
  recordDef,
  schemaFor,
  withProvenance,
  type ProvenanceEntry,
  type StreamMeta,
} from '@slidepipe/schema';
import type { Backbone, RgbImage } from './backbone';
import { ahead } from './pipeline';
import type { StainTransform } from './stain';

export interface EmbedOptions {
  /** Patches per backbone call. */
  batchSize: number;
  provenance: ProvenanceEntry | null;
  /** Batches decoded ahead of the one the backbone is working on. */
  prefetch?: number;
  /** Called with the number of rows of each written batch. */
  onRows?: (rows: number) => void;
  /** Stain normalisation and/or augmentation applied to each decoded patch (none when absent). */
  stain?: StainTransform | null;
}

/** JPEG decodes in flight at once (libjpeg-turbo on koffi's worker threads). */
export function setDecodeThreads(threads: number): void {
  setJpegMaxInFlight(Math.min(Math.max(threads, 1), 64));
}

const KEYS = ['x0', 'y0', 'w0', 'h0', 'col', 'row'] as const;
const PASSABLE = new Set([Type.Utf8, Type.Int, Type.Float, Type.Bool]);

/**
 * The embedding stream's metadata: the input's slide and facts, plus dim, the backbone identity and
 * (when used) the stain normalisation and augmentation.
 */
export function embeddingMeta(
  input: StreamMeta,
  backbone: Backbone,
  provenance: ProvenanceEntry | null,
  stain: StainTransform['facts'] = {},
): StreamMeta {
  const { identity } = backbone;
  return withProvenance(
    {
      record: 'embedding',
      version: recordDef('embedding').version,
      slide: input.slide,
      facts: { ...input.facts, dim: identity.dim, backbone: identity, ...stain },
      provenance: input.provenance,
    },
    provenance,
  );
}

/** Input columns that ride along: scalar columns the embedding record lacks (mpp, coverage, ...). */
export function passThroughFields(input: Schema): Field[] {
  const own = new Set(recordDef('embedding').columns.map((c) => c.name));
  return input.fields.filter(
    (f) => !own.has(f.name) && f.name !== 'image' && PASSABLE.has((f.type as DataType).typeId),
  );
}

interface Chunk {
  slide_id: string[];
  keys: Record<(typeof KEYS)[number], number[]>;
  label: (number | null)[];
  jpeg: Uint8Array[];
  pass: unknown[][];
}

const newChunk = (passCount: number): Chunk => ({
  slide_id: [],
  keys: { x0: [], y0: [], w0: [], h0: [], col: [], row: [] },
  label: [],
  jpeg: [],
  pass: Array.from({ length: passCount }, () => []),
});

const where = (c: Chunk, i: number) => `slide ${c.slide_id[i]} patch x0=${c.keys.x0[i]} y0=${c.keys.y0[i]}`;

/** Regroups the input's batches into chunks of `size` rows. */
async function* chunks(s: RecordStream, size: number, pass: Field[]): AsyncGenerator<Chunk> {
  const labelled = s.schema.fields.some((f) => f.name === 'label');
  let c = newChunk(pass.length);
  for await (const b of s.batches) {
    const slide = b.getChild('slide_id')!;
    const image = b.getChild('image')!;
    const label = labelled ? b.getChild('label') : null;
    const keys = KEYS.map((k) => b.getChild(k)!);
    const passCols = pass.map((f) => b.getChild(f.name)!);
    for (let i = 0; i < b.numRows; i++) {
      c.slide_id.push(slide.get(i) as string);
      KEYS.forEach((k, j) => c.keys[k].push(keys[j].get(i) as number));
      c.label.push(label ? ((label.get(i) as number | null) ?? null) : null);
      const jpeg = image.get(i) as Uint8Array | null;
      if (!jpeg || jpeg.byteLength === 0) {
        throw inputError(
          s.source,
          `${where(c, c.slide_id.length - 1)} has no image (coordinates-only tiling?): wsi-embed needs the JPEG bytes`,
        );
      }
      c.jpeg.push(jpeg);
      passCols.forEach((col, j) => c.pass[j].push(col.get(i)));
      if (c.jpeg.length === size) {
        yield c;
        c = newChunk(pass.length);
      }
    }
  }
  if (c.jpeg.length) yield c;
}

async function decodeChunk(
  source: string,
  c: Chunk,
  stain: StainTransform | null | undefined,
): Promise<{ chunk: Chunk; images: RgbImage[] }> {
  const images = await Promise.all(
    c.jpeg.map(async (jpeg, i) => {
      try {
        const d = await decodeJpegAsync(jpeg, { pixelFormat: 'rgb' });
        const img = { data: d.data, width: d.width, height: d.height };
        return stain ? stain.apply(img, c.slide_id[i], c.keys.x0[i], c.keys.y0[i]) : img;
      } catch (e) {
        throw inputError(source, `${where(c, i)}: ${(e as Error).message}`);
      }
    }),
  );
  return { chunk: c, images };
}

/** The embedding batches of one input stream, under `schema`. */
export async function* embedStream(
  s: RecordStream,
  schema: Schema,
  pass: Field[],
  backbone: Backbone,
  opts: EmbedOptions,
): AsyncGenerator<RecordBatch> {
  const dim = backbone.identity.dim;
  for await (const { chunk: c, images } of ahead(chunks(s, opts.batchSize, pass), opts.prefetch ?? 2, (c) =>
    decodeChunk(s.source, c, opts.stain),
  )) {
    const vectors = await backbone.embed(images);
    const n = images.length;
    if (vectors.length !== n * dim)
      throw new Error(
        `backbone ${backbone.identity.name} returned ${vectors.length} values for ${n} patches of dim ${dim}`,
      );
    for (let i = 0; i < vectors.length; i++) {
      if (!Number.isFinite(vectors[i])) {
        throw inputError(
          s.source,
          `${where(c, Math.floor(i / dim))}: backbone ${backbone.identity.name} gave ${vectors[i]} at component ${i % dim}`,
        );
      }
    }
    const columns: Record<string, unknown> = {
      slide_id: c.slide_id,
      ...Object.fromEntries(KEYS.map((k) => [k, Int32Array.from(c.keys[k])])),
      label: c.label,
      embedding: Array.from({ length: n }, (_, i) => vectors.subarray(i * dim, (i + 1) * dim)),
    };
    pass.forEach((f, j) => (columns[f.name] = c.pass[j]));
    yield makeBatch(schema, columns as Parameters<typeof makeBatch>[1]);
  }
}

/** Embeds every stream into the sink (one output stream per input stream). Returns the row count. */
export async function embedStreams(
  streams: AsyncIterable<RecordStream>,
  sink: RecordSink,
  backbone: Backbone,
  opts: EmbedOptions,
): Promise<number> {
  let rows = 0;
  for await (const s of streams) {
    const pass = passThroughFields(s.schema);
    const meta = embeddingMeta(s.meta, backbone, opts.provenance, opts.stain?.facts);
    const schema = schemaFor(meta, pass);
    await sink.begin(schema, meta);
    for await (const b of embedStream(s, schema, pass, backbone, opts)) {
      await sink.write(b);
      rows += b.numRows;
      opts.onRows?.(b.numRows);
    }
    await sink.end();
  }
  return rows;
}
