/**
 * A TensorBoard event-file reader for the tests only, independent of libs/tracking's writer: its
 * own table CRC32C, its own TFRecord framing checks and its own protobuf decoding by field number.
 */

const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    // Castagnoli polynomial 0x1EDC6F41, bit-reversed.
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function tableCrc32c(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) c = (CRC32C_TABLE[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function tableMaskedCrc(data: Uint8Array): number {
  const c = tableCrc32c(data);
  const rotated = ((c >>> 15) | (c << 17)) >>> 0;
  return Number((BigInt(rotated) + 0xa282ead8n) % 2n ** 32n);
}

/** Splits a TFRecord file into record payloads, throwing on a bad length or data CRC. */
export function readRecords(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let off = 0;
  while (off < buf.length) {
    if (off + 12 > buf.length) throw new Error(`truncated header at ${off}`);
    const lenBytes = buf.subarray(off, off + 8);
    const lenCrc = buf.readUInt32LE(off + 8);
    if (lenCrc !== tableMaskedCrc(lenBytes)) throw new Error(`length CRC mismatch at ${off}`);
    const len = Number(buf.readBigUInt64LE(off));
    const start = off + 12;
    if (start + len + 4 > buf.length) throw new Error(`truncated record at ${off}`);
    const data = buf.subarray(start, start + len);
    const dataCrc = buf.readUInt32LE(start + len);
    if (dataCrc !== tableMaskedCrc(data)) throw new Error(`data CRC mismatch at ${off}`);
    out.push(data);
    off = start + len + 4;
  }
  return out;
}

export interface ProtoField {
  field: number;
  wire: number;
  varint?: bigint;
  bytes?: Buffer;
}

export function decodeFields(buf: Buffer): ProtoField[] {
  const out: ProtoField[] = [];
  let off = 0;
  const varint = (): bigint => {
    let shift = 0n;
    let v = 0n;
    for (;;) {
      if (off >= buf.length) throw new Error('truncated varint');
      const b = buf[off++] as number;
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
      shift += 7n;
    }
  };
  while (off < buf.length) {
    const key = varint();
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) out.push({ field, wire, varint: varint() });
    else if (wire === 1) {
      out.push({ field, wire, bytes: buf.subarray(off, off + 8) });
      off += 8;
    } else if (wire === 2) {
      const len = Number(varint());
      out.push({ field, wire, bytes: buf.subarray(off, off + len) });
      off += len;
    } else if (wire === 5) {
      out.push({ field, wire, bytes: buf.subarray(off, off + 4) });
      off += 4;
    } else throw new Error(`unexpected wire type ${wire}`);
  }
  return out;
}

export interface DecodedValue {
  tag: string;
  simpleValue?: number;
  pluginName?: string;
  tensor?: { dtype: number; dims: number[]; strings: string[] };
}

export interface DecodedEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  values: DecodedValue[];
}

function decodeValue(buf: Buffer): DecodedValue {
  const v: DecodedValue = { tag: '' };
  for (const f of decodeFields(buf)) {
    if (f.field === 1 && f.wire === 2) v.tag = (f.bytes as Buffer).toString('utf8');
    else if (f.field === 2 && f.wire === 5) v.simpleValue = (f.bytes as Buffer).readFloatLE(0);
    else if (f.field === 9 && f.wire === 2) {
      for (const m of decodeFields(f.bytes as Buffer)) {
        if (m.field === 1) {
          for (const p of decodeFields(m.bytes as Buffer))
            if (p.field === 1) v.pluginName = (p.bytes as Buffer).toString('utf8');
        }
      }
    } else if (f.field === 8 && f.wire === 2) {
      const t = { dtype: 0, dims: [] as number[], strings: [] as string[] };
      for (const tf of decodeFields(f.bytes as Buffer)) {
        if (tf.field === 1) t.dtype = Number(tf.varint);
        else if (tf.field === 2) {
          for (const d of decodeFields(tf.bytes as Buffer)) {
            if (d.field === 2)
              for (const s of decodeFields(d.bytes as Buffer)) if (s.field === 1) t.dims.push(Number(s.varint));
          }
        } else if (tf.field === 8) t.strings.push((tf.bytes as Buffer).toString('utf8'));
      }
      v.tensor = t;
    } else throw new Error(`unexpected Summary.Value field ${f.field}`);
  }
  return v;
}

export function decodeEvent(buf: Buffer): DecodedEvent {
  const e: DecodedEvent = { wallTime: NaN, step: 0, values: [] };
  for (const f of decodeFields(buf)) {
    if (f.field === 1 && f.wire === 1) e.wallTime = (f.bytes as Buffer).readDoubleLE(0);
    else if (f.field === 2 && f.wire === 0) e.step = Number(BigInt.asIntN(64, f.varint as bigint));
    else if (f.field === 3 && f.wire === 2) e.fileVersion = (f.bytes as Buffer).toString('utf8');
    else if (f.field === 5 && f.wire === 2) {
      for (const s of decodeFields(f.bytes as Buffer)) {
        if (s.field !== 1) throw new Error(`unexpected Summary field ${s.field}`);
        e.values.push(decodeValue(s.bytes as Buffer));
      }
    } else throw new Error(`unexpected Event field ${f.field} (wire ${f.wire})`);
  }
  return e;
}

export function readEvents(buf: Buffer): DecodedEvent[] {
  return readRecords(buf).map(decodeEvent);
}

/** All scalars of an event file as `tag@step -> value`. */
export function scalarsOf(events: DecodedEvent[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const e of events)
    for (const v of e.values) if (v.simpleValue !== undefined) m.set(`${v.tag}@${e.step}`, v.simpleValue);
  return m;
}

/** An event as the end-to-end tests read it: scalars by tag, and the tags of the other summaries. */
export interface TbEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  /** Scalar summaries: tag -> simple_value. */
  scalars: Record<string, number>;
  texts: string[];
}

/** Every event of an event file; throws on a bad frame or CRC. */
export function readEventFile(buf: Buffer): TbEvent[] {
  return readEvents(buf).map((e) => {
    const ev: TbEvent = { wallTime: e.wallTime, step: e.step, scalars: {}, texts: [] };
    if (e.fileVersion !== undefined) ev.fileVersion = e.fileVersion;
    for (const v of e.values) {
      if (v.simpleValue !== undefined) ev.scalars[v.tag] = v.simpleValue;
      else ev.texts.push(v.tag);
    }
    return ev;
  });
}
