// Parquet at rest (hyparquet / hyparquet-writer): slidepipe schema metadata is kept as key/value
// metadata, row groups are written as batches arrive and read one at a time.
import { closeSync, openSync, readSync, fstatSync, writeSync } from 'node:fs';
import {
  parquetMetadataAsync,
  parquetRead,
  type AsyncBuffer,
  type ColumnChunk,
  type FileMetaData,
  type RowGroup,
  type SchemaElement,
} from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { ByteWriter, ParquetWriter, type ColumnSource } from 'hyparquet-writer';
import {
  Binary,
  Bool,
  type DataType,
  Field,
  FixedSizeList,
  Float32,
  Float64,
  Int,
  Int8,
  Int32,
  Int64,
  type RecordBatch,
  Schema,
  Type,
  Utf8,
} from 'apache-arrow';
import { decodeMeta, encodeMeta, makeBatch, recordDef, type ColumnValues, type StreamMeta } from '@slidepipe/schema';
import { inputError, SlidepipeError, truncatedError } from '@slidepipe/core';
import type { ArrowStream } from './arrow-stream';
import {
  addPageChecksums,
  checkPageChecksums,
  chunkLayoutProblem,
  chunkRange,
  type PendingOffsetIndex,
} from './parquet-checksums';
import { writeBinaryChunk, type BinaryData } from './parquet-binary';

/** A random-access view of a local file for hyparquet, on one file descriptor. */
export function fileAsyncBuffer(path: string): AsyncBuffer & { close(): void } {
  const fd = openSync(path, 'r');
  const size = fstatSync(fd).size;
  return {
    byteLength: size,
    slice(start: number, end?: number) {
      const stop = Math.min(end ?? size, size);
      const buf = Buffer.allocUnsafeSlow(Math.max(0, stop - start));
      let off = 0;
      while (off < buf.byteLength) {
        const n = readSync(fd, buf, off, buf.byteLength - off, start + off);
        if (n === 0) break;
        off += n;
      }
      // allocUnsafeSlow owns its whole ArrayBuffer: hand it over without a copy.
      return (
        off === buf.byteLength && buf.byteOffset === 0
          ? buf.buffer
          : buf.buffer.slice(buf.byteOffset, buf.byteOffset + off)
      ) as ArrayBuffer;
    },
    close() {
      closeSync(fd);
    },
  };
}

// ---- Arrow <-> Parquet types -------------------------------------------------------------------

function parquetElements(f: Field): SchemaElement[] {
  const repetition_type = f.nullable ? 'OPTIONAL' : 'REQUIRED';
  const t = f.type as DataType;
  switch (t.typeId) {
    case Type.Utf8:
      return [{ name: f.name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type }];
    case Type.Binary:
      return [{ name: f.name, type: 'BYTE_ARRAY', repetition_type }];
    case Type.Bool:
      return [{ name: f.name, type: 'BOOLEAN', repetition_type }];
    case Type.Int: {
      const bits = (t as Int).bitWidth as number;
      if (bits === 64) return [{ name: f.name, type: 'INT64', repetition_type }];
      if (bits === 8) return [{ name: f.name, type: 'INT32', converted_type: 'INT_8', repetition_type }];
      return [{ name: f.name, type: 'INT32', repetition_type }];
    }
    case Type.Float:
      return [{ name: f.name, type: (t as Float32).precision === 2 ? 'DOUBLE' : 'FLOAT', repetition_type }];
    case Type.FixedSizeList:
      return [
        { name: f.name, repetition_type, converted_type: 'LIST', num_children: 1 },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        { name: 'element', type: 'FLOAT', repetition_type: 'REQUIRED' },
      ];
    default:
      throw new Error(`column "${f.name}": type ${t} cannot be written to Parquet by slidepipe`);
  }
}

/** Arrow fields from a Parquet schema (files from other writers too); list lengths from `listSizes`. */
export function arrowFieldsFromParquet(schema: SchemaElement[], listSizes: Record<string, number>): Field[] {
  const fields: Field[] = [];
  let i = 1;
  while (i < schema.length) {
    const e = schema[i];
    const nullable = e.repetition_type !== 'REQUIRED';
    if (e.num_children) {
      // LIST group: <name> (LIST) > list (REPEATED) > element
      let leaf = i + 1;
      while (schema[leaf]?.num_children) leaf++;
      const size = listSizes[e.name];
      if (!size) throw new Error(`list column "${e.name}" has no known length`);
      fields.push(new Field(e.name, new FixedSizeList(size, new Field('item', new Float32(), false)), nullable));
      i = leaf + 1;
      continue;
    }
    let type: DataType;
    const ct = e.converted_type;
    const lt = e.logical_type?.type;
    switch (e.type) {
      case 'BYTE_ARRAY':
        type = ct === 'UTF8' || lt === 'STRING' ? new Utf8() : new Binary();
        break;
      case 'BOOLEAN':
        type = new Bool();
        break;
      case 'INT32':
        type = ct === 'INT_8' ? new Int8() : new Int32();
        break;
      case 'INT64':
        type = new Int64();
        break;
      case 'FLOAT':
        type = new Float32();
        break;
      case 'DOUBLE':
        type = new Float64();
        break;
      default:
        throw new Error(`column "${e.name}": Parquet type ${e.type} is not used by slidepipe records`);
    }
    fields.push(new Field(e.name, type, nullable));
    i++;
  }
  return fields;
}

// ---- reading ------------------------------------------------------------------------------------

function listSizesFor(meta: StreamMeta): Record<string, number> {
  const sizes: Record<string, number> = {};
  for (const c of recordDef(meta.record).columns) {
    if (typeof c.type === 'object' && c.type.sizeFact) sizes[c.name] = Number(meta.facts[c.type.sizeFact]);
  }
  return sizes;
}

function toColumn(values: ArrayLike<unknown>, f: Field): ColumnValues {
  if ((f.type as DataType).typeId === Type.FixedSizeList) {
    const out = new Array<Float32Array>(values.length);
    for (let i = 0; i < values.length; i++) out[i] = Float32Array.from(values[i] as ArrayLike<number>);
    return out;
  }
  if ((f.type as DataType).typeId === Type.Int && ((f.type as Int).bitWidth as number) === 64) {
    return Array.from(values as ArrayLike<bigint | number>, (v) =>
      v == null ? v : Number(v),
    ) as unknown as ColumnValues;
  }
  return values as ColumnValues;
}

/** Typed arrays of one kind, end to end (the constructor of the first). */
function concatTyped<T extends Int32Array>(arrays: T[]): T {
  const Ctor = arrays[0].constructor as new (length: number) => T;
  const out = new Ctor(arrays.reduce((s, a) => s + a.length, 0));
  let off = 0;
  for (const a of arrays) {
    out.set(a, off);
    off += a.length;
  }
  return out;
}

/**
 * Rows [rowStart, rowEnd) of one column from its parts (page runs, in any order, possibly
 * reaching past the range), or an error naming the column when a row is missing or doubled.
 */
export function assembleColumn(
  parts: { start: number; data: ArrayLike<unknown> }[],
  rowStart: number,
  rowEnd: number,
  column: string,
  source: string,
): ArrayLike<unknown> {
  const n = rowEnd - rowStart;
  const sorted = [...parts].sort((a, b) => a.start - b.start);
  type Sliceable = ArrayLike<unknown> & { slice(a: number, b: number): ArrayLike<unknown> };
  const pieces: ArrayLike<unknown>[] = [];
  let at = rowStart;
  for (const p of sorted) {
    const end = p.start + p.data.length;
    if (end <= at || p.start >= rowEnd) continue;
    if (p.start > at) break;
    const from = at - p.start;
    const to = Math.min(end, rowEnd) - p.start;
    pieces.push(from === 0 && to === p.data.length ? p.data : (p.data as Sliceable).slice(from, to));
    at = p.start + to;
  }
  if (at !== rowEnd)
    throw inputError(
      source,
      `damaged Parquet file: column "${column}" has rows ${rowStart}..${at - 1} of ${rowStart}..${rowEnd - 1}`,
    );
  if (pieces.length === 1) return pieces[0];
  const first = pieces[0] as ArrayLike<unknown> & { constructor: unknown };
  // Typed only when every part is of the same typed array (a part with nulls is a plain array).
  if (
    ArrayBuffer.isView(first) &&
    pieces.every((p) => (p as { constructor: unknown }).constructor === first.constructor)
  ) {
    return concatTyped(pieces as Int32Array[]);
  }
  const out = new Array<unknown>(n);
  let off = 0;
  for (const piece of pieces) for (let i = 0; i < piece.length; i++) out[off++] = piece[i];
  return out;
}

/** Reads a Parquet file as one record stream, one row group per batch. */
export async function readParquetStream(path: string, name: string): Promise<ArrowStream> {
  const file = fileAsyncBuffer(path);
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(file);
  } catch (e) {
    file.close();
    throw truncatedError(name, `not a complete Parquet file (${(e as Error).message})`);
  }
  let meta: StreamMeta;
  let fields: Field[];
  try {
    const kv = new Map<string, string>();
    for (const e of metadata.key_value_metadata ?? []) kv.set(String(e.key), String(e.value ?? ''));
    meta = decodeMeta(kv);
    fields = arrowFieldsFromParquet(metadata.schema, listSizesFor(meta));
    if (!Array.isArray(metadata.row_groups)) throw new Error('no row group list');
  } catch (e) {
    file.close();
    throw inputError(name, (e as Error).message);
  }
  const schema = new Schema(fields, encodeMeta(meta));
  const declared = Number(metadata.num_rows);
  const grouped = metadata.row_groups.reduce((n, rg) => n + Number(rg.num_rows), 0);
  if (declared !== grouped) {
    file.close();
    throw inputError(name, `damaged Parquet footer: ${declared} rows declared, ${grouped} in its row groups`);
  }
  for (const rg of metadata.row_groups) {
    const layout = chunkLayoutProblem(rg.columns, file.byteLength);
    if (layout) {
      file.close();
      throw inputError(name, `damaged Parquet footer: ${layout}`);
    }
  }
  const batches = (async function* () {
    try {
      let rowStart = 0;
      for (const rg of metadata.row_groups) {
        const rowEnd = rowStart + Number(rg.num_rows);
        const parts = new Map<string, { start: number; data: ArrayLike<unknown> }[]>();
        const checked = new Set<ColumnChunk>();
        const check = (bytes: ArrayBuffer, base: number, c: ColumnChunk) => {
          const problem = checkPageChecksums(new Uint8Array(bytes), base, c, Number(rg.num_rows));
          if (problem) throw inputError(name, `damaged Parquet file: ${problem}`);
          checked.add(c);
        };
        // Page checksums are checked on the bytes hyparquet asks for, so nothing is read twice.
        const checking: AsyncBuffer = {
          byteLength: file.byteLength,
          slice(start: number, end?: number) {
            const bytes = file.slice(start, end) as ArrayBuffer;
            for (const c of rg.columns) {
              const [a, b] = chunkRange(c);
              if (!checked.has(c) && a >= start && b <= start + bytes.byteLength) check(bytes, start, c);
            }
            return bytes;
          },
        };
        try {
          await parquetRead({
            file: checking,
            metadata,
            rowStart,
            rowEnd,
            utf8: false,
            // ZSTD, GZIP, Brotli and LZ4 as pyarrow and DuckDB can write them (Snappy is built in).
            compressors,
            // One call per run of pages: a column chunk of several pages comes in several parts.
            onChunk: (chunk) => {
              let list = parts.get(chunk.columnName);
              if (!list) parts.set(chunk.columnName, (list = []));
              list.push({ start: chunk.rowStart, data: chunk.columnData as ArrayLike<unknown> });
            },
          });
          for (const c of rg.columns) {
            if (checked.has(c)) continue;
            const [a, b] = chunkRange(c);
            check(file.slice(a, b) as ArrayBuffer, a, c);
          }
        } catch (e) {
          if (e instanceof SlidepipeError) throw e;
          throw truncatedError(name, `cannot read row group at row ${rowStart} (${(e as Error).message})`);
        }
        const cols: Record<string, ColumnValues> = {};
        for (const f of fields)
          cols[f.name] = toColumn(assembleColumn(parts.get(f.name) ?? [], rowStart, rowEnd, f.name, name), f);
        let batch: RecordBatch;
        try {
          batch = makeBatch(schema, cols);
        } catch (e) {
          throw inputError(name, `damaged Parquet file: row group at row ${rowStart}: ${(e as Error).message}`);
        }
        yield batch;
        rowStart = rowEnd;
      }
    } finally {
      file.close();
    }
  })();
  return { schema, batches };
}

// ---- writing ------------------------------------------------------------------------------------

/**
 * A hyparquet ByteWriter on a file descriptor. A row group stays in memory until
 * `commitGroup` writes it (with page checksums); everything else goes out on `spill`.
 */
class FdByteWriter extends ByteWriter {
  constructor(readonly fd: number) {
    super(8 << 20);
  }
  /** Counts bytes that went to the file past this writer (the buffer must be empty). */
  advance(n: number): void {
    if (this.index) throw new Error('ByteWriter: bytes still buffered');
    this.offset += n;
  }
  spill(): void {
    this.writeOut(new Uint8Array(this.buffer, 0, this.index));
    this.index = 0;
  }
  /** Writes the buffered row group with a checksum in every page header. */
  commitGroup(group: RowGroup, indexes: PendingOffsetIndex[]): void {
    const base = this.offset - this.index;
    const bytes = addPageChecksums(new Uint8Array(this.buffer, 0, this.index), base, group, indexes);
    this.writeOut(bytes);
    this.index = 0;
    this.offset = base + bytes.byteLength;
  }
  private writeOut(bytes: Uint8Array): void {
    let off = 0;
    while (off < bytes.byteLength) off += writeSync(this.fd, bytes, off, bytes.byteLength - off);
  }
  override finish(): void {
    this.spill();
  }
}

/** Row-group bounds: by rows and by bytes of Arrow data, whichever comes first. */
export const ROW_GROUP_ROWS = 100_000;
export const ROW_GROUP_BYTES = 16 << 20;
/** hyparquet-writer's page size, for the pages slidepipe writes itself too. */
const DEFAULT_PAGE_BYTES = 1 << 20;

/** Streams record batches into a Parquet file: row groups of at most `rowGroupRows` rows and about `rowGroupBytes`. */
export class ParquetFileWriter {
  private writer: ParquetWriter | null = null;
  private bytes: FdByteWriter;
  private pending: RecordBatch[] = [];
  private pendingRows = 0;
  private pendingBytes = 0;
  private fields: Field[] = [];
  private metas: StreamMeta[] = [];
  rows = 0;

  constructor(
    fd: number,
    private readonly opts: { rowGroupBytes?: number; rowGroupRows?: number; pageBytes?: number } = {},
  ) {
    this.bytes = new FdByteWriter(fd);
  }

  /** Starts or continues the table: every stream must have the same columns. */
  addStream(schema: Schema, meta: StreamMeta): void {
    if (!this.writer) {
      this.fields = schema.fields;
      const elements: SchemaElement[] = [{ name: 'root', num_children: schema.fields.length }];
      for (const f of schema.fields) elements.push(...parquetElements(f));
      this.writer = new ParquetWriter({
        writer: this.bytes,
        schema: elements,
        statistics: true,
        createdBy: 'slidepipe',
      });
    } else {
      const want = this.fields.map((f) => `${f.name}:${f.type}`).join(',');
      const got = schema.fields.map((f) => `${f.name}:${f.type}`).join(',');
      if (want !== got)
        throw new Error(`streams with different columns cannot share one Parquet file (${got} vs ${want})`);
    }
    this.metas.push(meta);
  }

  /** Adds a batch; a batch larger than a row group is cut, so memory stays bounded. */
  write(batch: RecordBatch): void {
    const maxRows = this.opts.rowGroupRows ?? ROW_GROUP_ROWS;
    const maxBytes = this.opts.rowGroupBytes ?? ROW_GROUP_BYTES;
    const perRow = batch.numRows ? batch.data.byteLength / batch.numRows : 0;
    let at = 0;
    while (at < batch.numRows) {
      const byBytes = perRow > 0 ? Math.floor((maxBytes - this.pendingBytes) / perRow) : Infinity;
      const take = Math.min(batch.numRows - at, Math.max(1, Math.min(maxRows - this.pendingRows, byBytes)));
      this.pending.push(at === 0 && take === batch.numRows ? batch : batch.slice(at, at + take));
      this.pendingRows += take;
      this.pendingBytes += take * perRow;
      at += take;
      if (this.pendingRows >= maxRows || this.pendingBytes >= maxBytes) this.flushGroup();
    }
  }

  private flushGroup(): void {
    if (!this.pending.length || !this.writer) return;
    const n = this.pendingRows;
    const pageSize = this.opts.pageBytes ?? DEFAULT_PAGE_BYTES;
    // Binary columns (JPEG payloads: they do not compress, dictionary trials and statistics on
    // them only cost) are written from the Arrow buffers by writeBinaryChunk; the rest by
    // hyparquet-writer, with statistics.
    const direct = (f: Field) => (f.type as DataType).typeId === Type.Binary;
    const columnData = this.fields
      .filter((f) => !direct(f))
      .map((f) => ({
        name: f.name,
        data: concatColumn(this.pending, f),
        statistics: (f.type as DataType).typeId !== Type.FixedSizeList,
      }));
    // What precedes the group (the magic) goes out as it is; the group gets its checksums.
    this.bytes.spill();
    const groupStart = this.bytes.offset;
    const chunks = new Map<string, ColumnChunk>();
    let uncompressed = 0n;
    if (columnData.length) {
      const groups = this.writer.row_groups.length;
      void this.writer.write({ columnData: columnData as unknown as ColumnSource[], rowGroupSize: n, pageSize });
      if (this.writer.row_groups.length !== groups + 1) throw new Error(`expected one row group of ${n} rows`);
      // Its group is made again below, with the binary columns.
      const group = this.writer.row_groups.pop()!;
      this.writer.num_rows -= BigInt(n);
      this.bytes.commitGroup(group, this.writer.pendingIndexes as PendingOffsetIndex[]);
      for (const c of group.columns) chunks.set(c.meta_data!.path_in_schema[0], c);
      uncompressed += group.total_byte_size;
    }
    for (const f of this.fields.filter(direct)) {
      const parts = this.pending.flatMap((b) => b.getChild(f.name)!.data) as unknown as BinaryData[];
      const written = writeBinaryChunk(this.bytes.fd, this.bytes.offset, f.name, parts, f.nullable, pageSize);
      this.bytes.advance(Number(written.chunk.meta_data!.total_compressed_size));
      chunks.set(f.name, written.chunk);
      this.writer.pendingIndexes.push(written);
      uncompressed += written.chunk.meta_data!.total_uncompressed_size;
    }
    this.writer.row_groups.push({
      columns: this.fields.map((f) => chunks.get(f.name)!),
      total_byte_size: uncompressed,
      num_rows: BigInt(n),
      total_compressed_size: BigInt(this.bytes.offset - groupStart),
    });
    this.writer.num_rows += BigInt(n);
    this.rows += n;
    this.pending = [];
    this.pendingRows = 0;
    this.pendingBytes = 0;
  }

  /** Writes the footer with the merged metadata of every stream. */
  finish(merged: StreamMeta): void {
    if (!this.writer) throw new Error('no stream was written');
    this.flushGroup();
    this.writer.kvMetadata = [...encodeMeta(merged)].map(([key, value]) => ({ key, value }));
    void this.writer.finish();
  }

  get streamMetas(): StreamMeta[] {
    return this.metas;
  }
}

function concatColumn(batches: RecordBatch[], f: Field): unknown[] | ArrayLike<number> {
  const t = f.type as DataType;
  const vectors = batches.map((b) => b.getChild(f.name)!);
  if (!f.nullable && (t.typeId === Type.Int || t.typeId === Type.Float)) {
    const arrays = vectors.map((v) => v.toArray() as Int32Array);
    return arrays.length === 1 ? arrays[0] : concatTyped(arrays);
  }
  const out: unknown[] = [];
  for (const v of vectors) {
    const n = v.length;
    if (t.typeId === Type.FixedSizeList) {
      const size = (t as FixedSizeList).listSize;
      // Slicing a list vector slices its child's values buffer too (the offsets only count for
      // validity bits), so row i starts at i * size.
      const flat = v.data[0].children[0].values as Float32Array;
      for (let i = 0; i < n; i++) out.push(Array.from(flat.subarray(i * size, (i + 1) * size)));
    } else {
      for (let i = 0; i < n; i++) out.push(v.get(i));
    }
  }
  return out;
}
