// wsi-cat: concatenate record streams and Parquet files; inspect, count, cut columns, export text.
import { Field, type Float32, makeData, RecordBatch, Schema, Struct, Type, type DataType } from 'apache-arrow';
import { extraFields, recordDef, schemaFor, withProvenance, typeName, type StreamMeta } from '@slidepipe/schema';
import { usageError } from '@slidepipe/cli';
import type { RecordStream, RecordSink } from '@slidepipe/io';
import type { ProvenanceEntry } from '@slidepipe/schema';

export interface CatOptions {
  select?: string[];
  drop?: string[];
  head?: number;
  provenance: ProvenanceEntry | null;
}

/** The output schema for a stream: selected columns, one provenance entry more. */
export function outputSchema(
  s: RecordStream,
  opts: CatOptions,
): { schema: Schema; meta: StreamMeta; nulled: Set<string> } {
  const def = recordDef(s.meta.record);
  const meta = withProvenance(s.meta, opts.provenance);
  const names = s.schema.fields.map((f) => f.name);
  for (const c of [...(opts.select ?? []), ...(opts.drop ?? [])]) {
    if (!names.includes(c))
      throw usageError('--select/--drop', `no column "${c}" in ${s.source} (columns: ${names.join(', ')})`);
  }
  const keep = (n: string) => (opts.select ? opts.select.includes(n) : !(opts.drop ?? []).includes(n));
  const nulled = new Set<string>();
  for (const c of def.columns) {
    if (keep(c.name)) continue;
    if (!c.nullable) {
      throw usageError(
        '--select/--drop',
        `column "${c.name}" is required by ${def.name} records; export text (--csv, --jsonl) to leave it out`,
      );
    }
    // A dropped nullable record column stays, as nulls, so the stream is still a valid record type.
    nulled.add(c.name);
  }
  const extras = extraFields(s.schema, def).filter((f) => keep(f.name));
  const schema = schemaFor(meta, extras);
  return { schema, meta, nulled };
}

function nullColumn(f: Field, n: number) {
  return makeData({
    type: f.type as DataType,
    length: n,
    nullCount: n,
    nullBitmap: new Uint8Array(((n + 63) >> 6) << 3),
  } as never);
}

/** Re-assembles a batch with the output schema's columns (no copy for kept columns). */
export function project(batch: RecordBatch, schema: Schema, nulled: Set<string>): RecordBatch {
  const children = schema.fields.map((f) => {
    if (nulled.has(f.name)) return nullColumn(f, batch.numRows);
    const v = batch.getChild(f.name);
    if (!v) throw new Error(`batch lacks column ${f.name}`);
    return v.data[0];
  });
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: batch.numRows, children }));
}

/** Copies records into a sink, stream by stream, stopping after `head` rows. Returns the row count. */
export async function catRecords(
  streams: AsyncIterable<RecordStream>,
  sink: RecordSink,
  opts: CatOptions,
): Promise<number> {
  let left = opts.head ?? Infinity;
  let rows = 0;
  for await (const s of streams) {
    if (left <= 0) break;
    const { schema, meta, nulled } = outputSchema(s, opts);
    await sink.begin(schema, meta);
    for await (const b of s.batches) {
      const take = Math.min(b.numRows, left);
      const out = project(take < b.numRows ? b.slice(0, take) : b, schema, nulled);
      await sink.write(out);
      rows += take;
      left -= take;
      if (left <= 0) break;
    }
    await sink.end();
  }
  return rows;
}

// ---- text output --------------------------------------------------------------------------------

export interface TextOptions {
  format: 'csv' | 'jsonl';
  select?: string[];
  drop?: string[];
  head?: number;
  /** Include binary columns (base64). */
  binary: boolean;
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s =
    typeof v === 'string'
      ? v
      : Array.isArray(v) || ArrayBuffer.isView(v)
        ? JSON.stringify(Array.from(v as ArrayLike<number>))
        : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Shortest decimal that reads back as the same float32. */
function float32Text(v: number): number {
  for (let p = 6; p < 9; p++) {
    const x = Number(v.toPrecision(p));
    if (Math.fround(x) === v) return x;
  }
  return v;
}

function jsonValue(v: unknown, t: DataType): unknown {
  if (v === null || v === undefined) return null;
  if (t.typeId === Type.Float && (t as Float32).precision === 1 && typeof v === 'number') return float32Text(v);
  if (t.typeId === Type.Binary) return Buffer.from(v as Uint8Array).toString('base64');
  if (t.typeId === Type.FixedSizeList || t.typeId === Type.List) return Array.from(v as ArrayLike<number>);
  if (typeof v === 'bigint') return Number(v);
  return v;
}

/** Writes records as CSV (one header) or JSON Lines. */
export async function writeText(
  streams: AsyncIterable<RecordStream>,
  write: (s: string) => Promise<void>,
  opts: TextOptions,
): Promise<number> {
  let left = opts.head ?? Infinity;
  let header: string[] | null = null;
  let rows = 0;
  for await (const s of streams) {
    if (left <= 0) break;
    const fields = s.schema.fields.filter(
      (f) =>
        (opts.select ? opts.select.includes(f.name) : !(opts.drop ?? []).includes(f.name)) &&
        (opts.binary || (f.type as DataType).typeId !== Type.Binary),
    );
    for (const c of [...(opts.select ?? []), ...(opts.drop ?? [])]) {
      if (!s.schema.fields.some((f) => f.name === c))
        throw usageError('--select/--drop', `no column "${c}" in ${s.source}`);
    }
    const names = fields.map((f) => f.name);
    if (opts.format === 'csv') {
      if (!header) {
        header = names;
        await write(`${names.map(csvCell).join(',')}\n`);
      } else if (header.join(',') !== names.join(',')) {
        throw usageError(
          s.source,
          `columns differ from the first input (${names.join(',')} vs ${header.join(',')}); CSV needs one header`,
        );
      }
    }
    for await (const b of s.batches) {
      const n = Math.min(b.numRows, left);
      const cols = fields.map((f) => b.getChild(f.name)!);
      const lines: string[] = [];
      for (let i = 0; i < n; i++) {
        if (opts.format === 'csv') {
          lines.push(cols.map((c, j) => csvCell(jsonValue(c.get(i), fields[j].type as DataType))).join(','));
        } else {
          const o: Record<string, unknown> = {};
          cols.forEach((c, j) => (o[names[j]] = jsonValue(c.get(i), fields[j].type as DataType)));
          lines.push(JSON.stringify(o));
        }
      }
      if (lines.length) await write(`${lines.join('\n')}\n`);
      rows += n;
      left -= n;
      if (left <= 0) break;
    }
  }
  return rows;
}

// ---- schema and counts --------------------------------------------------------------------------

export interface StreamSummary {
  source: string;
  record: string;
  version: number;
  rows?: number;
  slide: StreamMeta['slide'];
  facts: StreamMeta['facts'];
  columns: { name: string; type: string; nullable: boolean }[];
  provenance: StreamMeta['provenance'];
}

/** Describes each stream (schema, metadata, provenance); counts rows when `count` is set. */
export async function summarize(streams: AsyncIterable<RecordStream>, count: boolean): Promise<StreamSummary[]> {
  const out: StreamSummary[] = [];
  for await (const s of streams) {
    let rows = 0;
    if (count) for await (const b of s.batches) rows += b.numRows;
    out.push({
      source: s.source,
      record: s.meta.record,
      version: s.meta.version,
      ...(count ? { rows } : {}),
      slide: s.meta.slide,
      facts: s.meta.facts,
      columns: s.schema.fields.map((f: Field) => ({
        name: f.name,
        type: typeName(f.type as DataType),
        nullable: f.nullable,
      })),
      provenance: s.meta.provenance,
    });
  }
  return out;
}
