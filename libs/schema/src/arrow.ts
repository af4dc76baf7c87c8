// Arrow schemas for the record types, validation of incoming schemas, and batch building.
import {
  Binary,
  Bool,
  Data,
  DataType,
  Field,
  FixedSizeList,
  Float32,
  Float64,
  Int8,
  Int32,
  Int64,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Type,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import { decodeMeta, encodeMeta, MetadataError, type StreamMeta } from './meta';
import { recordDef, type ColumnDef, type ColumnType, type RecordDef } from './records';

export function arrowType(t: ColumnType, facts: Record<string, unknown> = {}): DataType {
  if (typeof t === 'object') {
    const size = t.sizeFact ? Number(facts[t.sizeFact]) : NaN;
    if (!Number.isInteger(size) || size <= 0) {
      throw new MetadataError(
        `stream fact "${t.sizeFact}" (length of the list column) is missing or not a positive integer`,
      );
    }
    return new FixedSizeList(size, new Field('item', new Float32(), false));
  }
  switch (t) {
    case 'utf8':
      return new Utf8();
    case 'binary':
      return new Binary();
    case 'bool':
      return new Bool();
    case 'int8':
      return new Int8();
    case 'int32':
      return new Int32();
    case 'int64':
      return new Int64();
    case 'float32':
      return new Float32();
    case 'float64':
      return new Float64();
  }
}

/** The language-neutral name of an Arrow type, as used in data-schemas/. */
export function typeName(t: DataType): string {
  switch (t.typeId) {
    case Type.Utf8:
    case Type.LargeUtf8:
      return 'utf8';
    case Type.Binary:
    case Type.LargeBinary:
      return 'binary';
    case Type.Bool:
      return 'bool';
    case Type.Int: {
      const i = t as Int32;
      return `${i.isSigned ? 'int' : 'uint'}${i.bitWidth}`;
    }
    case Type.Float: {
      const f = t as Float32;
      return ['float16', 'float32', 'float64'][f.precision];
    }
    case Type.FixedSizeList:
    case Type.List: {
      const child = (t as FixedSizeList).children[0].type;
      return `list<${typeName(child)}>`;
    }
    default:
      return String(t);
  }
}

function columnTypeName(t: ColumnType): string {
  return typeof t === 'object' ? `list<${t.list}>` : t;
}

export function fieldFor(c: ColumnDef, facts: Record<string, unknown>): Field {
  return new Field(c.name, arrowType(c.type, facts), c.nullable);
}

/** The Arrow schema of a stream: the record's columns, then any extra (passed-through) fields. */
export function schemaFor(meta: StreamMeta, extra: Field[] = []): Schema {
  const def = recordDef(meta.record);
  const fields = def.columns.map((c) => fieldFor(c, meta.facts));
  const names = new Set(fields.map((f) => f.name));
  for (const f of extra) if (!names.has(f.name)) fields.push(f);
  return new Schema(fields, encodeMeta(meta));
}

/** Fields of `schema` that are not columns of the record type (to pass through unchanged). */
export function extraFields(schema: Schema, def: RecordDef): Field[] {
  const names = new Set(def.columns.map((c) => c.name));
  return schema.fields.filter((f) => !names.has(f.name));
}

/**
 * Checks a stream's schema: slidepipe metadata present, the expected record type and a supported
 * version, and every column of the record type present with its type. Returns the decoded metadata.
 */
export function validateSchema(schema: Schema, expect?: { records?: string[]; maxVersion?: number }): StreamMeta {
  const meta = decodeMeta(schema.metadata);
  if (expect?.records && !expect.records.includes(meta.record)) {
    throw new MetadataError(
      `expected ${expect.records.map((r) => `"${r}"`).join(' or ')} records, got "${meta.record}"`,
    );
  }
  const def = recordDef(meta.record);
  if (meta.version > (expect?.maxVersion ?? def.version)) {
    throw new MetadataError(
      `record type ${meta.record} version ${meta.version} is newer than this tool supports (${def.version})`,
    );
  }
  for (const c of def.columns) {
    const f = schema.fields.find((x) => x.name === c.name);
    // A column added in a later version than the stream's is absent from it, not missing.
    if (!f && (c.since ?? 1) > meta.version) continue;
    if (!f) throw new MetadataError(`${meta.record} stream lacks column "${c.name}"`);
    const got = typeName(f.type);
    const want = columnTypeName(c.type);
    if (got !== want) throw new MetadataError(`${meta.record} column "${c.name}" has type ${got}, expected ${want}`);
  }
  return meta;
}

export type ColumnValues =
  | ArrayLike<number>
  | ArrayLike<boolean>
  | ArrayLike<string | null>
  | ArrayLike<Uint8Array | null>
  | ArrayLike<Float32Array>
  | ArrayLike<number | null>;

function binaryData(type: DataType, values: ArrayLike<Uint8Array | null>): Data {
  const n = values.length;
  const offsets = new Int32Array(n + 1);
  let total = 0;
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v == null) nulls++;
    else total += v.byteLength;
    offsets[i + 1] = total;
  }
  const bytes = new Uint8Array(total);
  let nullBitmap: Uint8Array | undefined;
  if (nulls) nullBitmap = new Uint8Array(((n + 63) >> 6) << 3);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v != null) {
      bytes.set(v, offsets[i]);
      if (nullBitmap) nullBitmap[i >> 3] |= 1 << (i & 7);
    }
  }
  return makeData({
    type: type as Binary,
    length: n,
    nullCount: nulls,
    nullBitmap,
    valueOffsets: offsets,
    data: bytes,
  });
}

function fixedListData(type: FixedSizeList, values: ArrayLike<Float32Array>): Data {
  const n = values.length;
  const size = type.listSize;
  const flat = new Float32Array(n * size);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v.length !== size) throw new MetadataError(`list value of length ${v.length}, expected ${size}`);
    flat.set(v, i * size);
  }
  const child = makeData({ type: new Float32(), length: n * size, data: flat });
  return makeData({ type, length: n, child });
}

function columnData(f: Field, values: ColumnValues): Data {
  const t = f.type as DataType;
  if (t.typeId === Type.Binary) return binaryData(t, values as ArrayLike<Uint8Array | null>);
  if (t.typeId === Type.FixedSizeList) return fixedListData(t as FixedSizeList, values as ArrayLike<Float32Array>);
  const isTyped = ArrayBuffer.isView(values);
  if (isTyped && !f.nullable && (t.typeId === Type.Int || t.typeId === Type.Float)) {
    const ctor = (t as Int32).ArrayType as unknown as { new (a: ArrayLike<number>): ArrayLike<number> };
    const data =
      values instanceof (ctor as unknown as typeof Int32Array) ? values : new ctor(values as ArrayLike<number>);
    return makeData({ type: t as Int32, length: values.length, data: data as Int32Array });
  }
  return vectorFromArray(Array.from(values as ArrayLike<unknown>), t).data[0];
}

/** Builds a record batch from column arrays (typed arrays for numbers, arrays of strings/Uint8Array/null). */
export function makeBatch(schema: Schema, columns: Record<string, ColumnValues>): RecordBatch {
  let n = -1;
  const children: Data[] = [];
  for (const f of schema.fields) {
    const v = columns[f.name];
    if (v === undefined) throw new MetadataError(`batch lacks column "${f.name}"`);
    if (n < 0) n = v.length;
    else if (v.length !== n) throw new MetadataError(`column "${f.name}" has ${v.length} rows, expected ${n}`);
    children.push(columnData(f, v));
  }
  const data = makeData({ type: new Struct(schema.fields), length: Math.max(n, 0), children });
  return new RecordBatch(schema, data);
}

/** The same batch under another schema (same columns, new metadata): no data is copied. */
export function rebatch(schema: Schema, batch: RecordBatch): RecordBatch {
  return new RecordBatch(schema, batch.data);
}

/** A fixed-size float32 list column (e.g. embedding) as one row-major array (a view when it can be). */
export function flatFloat32List(b: RecordBatch, column: string, size: number): Float32Array {
  const v = b.getChild(column);
  if (!v) throw new MetadataError(`batch lacks column "${column}"`);
  const d = v.data[0];
  const child = d?.children[0];
  if (v.data.length === 1 && d.offset === 0 && child && child.offset === 0 && child.values.length >= b.numRows * size) {
    return (child.values as Float32Array).subarray(0, b.numRows * size);
  }
  const out = new Float32Array(b.numRows * size);
  for (let i = 0; i < b.numRows; i++) out.set((v.get(i) as { toArray(): Float32Array }).toArray(), i * size);
  return out;
}
