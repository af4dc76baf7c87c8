// Copies chosen rows of a record batch into a new batch of the same schema. apache-arrow has no
// "take", and writing one slice per kept row would make tiny Arrow messages downstream.
import {
  type Data,
  type DataType,
  FixedSizeList,
  Float32,
  makeData,
  RecordBatch,
  Struct,
  Type,
  vectorFromArray,
  type Vector,
} from 'apache-arrow';

function takeFixedList(vec: Vector, type: FixedSizeList, rows: ArrayLike<number>): Data {
  const size = type.listSize;
  const flat = new Float32Array(rows.length * size);
  let nullCount = 0;
  const bitmap = new Uint8Array(((rows.length + 63) >> 6) << 3);
  for (let i = 0; i < rows.length; i++) {
    const v = vec.get(rows[i]) as Vector | null;
    if (v == null) {
      nullCount++;
      continue;
    }
    bitmap[i >> 3] |= 1 << (i & 7);
    flat.set(v.toArray() as Float32Array, i * size);
  }
  const child = makeData({ type: new Float32(), length: flat.length, data: flat });
  return makeData({ type, length: rows.length, nullCount, nullBitmap: nullCount ? bitmap : undefined, child });
}

/** The column's values at `rows`, through the typed accessors, so any buffer layout or offset is right. */
function takeColumn(vec: Vector, rows: ArrayLike<number>): Data {
  const type = vec.type as DataType;
  if (type.typeId === Type.FixedSizeList) {
    if ((type as FixedSizeList).children[0].type.typeId !== Type.Float) {
      throw new Error(`cannot sample a column of type ${String(type)}`);
    }
    return takeFixedList(vec, type as FixedSizeList, rows);
  }
  const values = Array.from(rows, (r) => vec.get(r));
  const out = vectorFromArray(values, type);
  if (out.data.length !== 1) throw new Error(`column of ${rows.length} rows came back in ${out.data.length} chunks`);
  return out.data[0];
}

/** A batch of the rows at the given indices (ascending or not), same schema and metadata. */
export function takeRows(batch: RecordBatch, rows: ArrayLike<number>): RecordBatch {
  const children = batch.schema.fields.map((_, j) => takeColumn(batch.getChildAt(j)!, rows));
  return new RecordBatch(
    batch.schema,
    makeData({ type: new Struct(batch.schema.fields), length: rows.length, children }),
  );
}
