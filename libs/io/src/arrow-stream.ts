// Arrow IPC stream reading with exact framing: every message is delimited here (continuation marker,
// metadata length, flatbuffer header, body), so a stream cut mid-message or ending without its
// end-of-stream marker is reported, and back-to-back streams are split. Decoding is apache-arrow's.
import { RecordBatchReader, Type, type RecordBatch, type Schema } from 'apache-arrow';
import { Field as FbField } from 'apache-arrow/fb/field';
import { Message as FbMessage } from 'apache-arrow/fb/message';
import { MessageHeader } from 'apache-arrow/fb/message-header';
import { RecordBatch as FbRecordBatch } from 'apache-arrow/fb/record-batch';
import { Schema as FbSchema } from 'apache-arrow/fb/schema';
import { ByteBuffer } from 'flatbuffers';
import { inputError, SlidepipeError, truncatedError } from '@slidepipe/core';

const CONTINUATION = 0xffffffff;
const EOS = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
const HEADER_SCHEMA = 1;

/** A FIFO of byte chunks that hands out exact-length slices (zero-copy when inside one chunk). */
export class ByteQueue {
  private chunks: Uint8Array[] = [];
  private head = 0;
  length = 0;

  push(c: Uint8Array): void {
    if (c.byteLength === 0) return;
    this.chunks.push(c);
    this.length += c.byteLength;
  }

  take(n: number): Uint8Array {
    if (n > this.length) throw new RangeError('ByteQueue underflow');
    const first = this.chunks[0];
    if (n === 0) return new Uint8Array(0);
    if (first.byteLength - this.head >= n) {
      const out = first.subarray(this.head, this.head + n);
      this.head += n;
      this.length -= n;
      if (this.head === first.byteLength) {
        this.chunks.shift();
        this.head = 0;
      }
      return out;
    }
    const out = new Uint8Array(n);
    this.takeInto(out, 0, n);
    return out;
  }

  /** Moves the next `n` bytes into `out` at `offset`. */
  takeInto(out: Uint8Array, offset: number, n: number): void {
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0];
      const k = Math.min(c.byteLength - this.head, n - filled);
      out.set(c.subarray(this.head, this.head + k), offset + filled);
      filled += k;
      this.head += k;
      if (this.head === c.byteLength) {
        this.chunks.shift();
        this.head = 0;
      }
    }
    this.length -= n;
  }

  /** Reads a little-endian uint32 at `offset` without consuming. */
  peekUint32(offset = 0): number {
    let v = 0;
    let pos = this.head + offset;
    let ci = 0;
    for (let i = 0; i < 4; i++) {
      while (pos >= this.chunks[ci].byteLength) {
        pos -= this.chunks[ci].byteLength;
        ci++;
      }
      v |= this.chunks[ci][pos] << (8 * i);
      pos++;
    }
    return v >>> 0;
  }
}

interface Header {
  headerType: number;
  bodyLength: number;
}

/** Reads header_type and bodyLength from a flatbuffer `Message` table (Message.fbs fields 1 and 3). */
export function parseMessageHeader(buf: Uint8Array): Header {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const table = dv.getUint32(0, true);
  const vtable = table - dv.getInt32(table, true);
  const vtSize = dv.getUint16(vtable, true);
  const field = (i: number) => (4 + 2 * i < vtSize ? dv.getUint16(vtable + 4 + 2 * i, true) : 0);
  const oType = field(1);
  const oBody = field(3);
  const headerType = oType ? dv.getUint8(table + oType) : 0;
  const bodyLength = oBody ? Number(dv.getBigInt64(table + oBody, true)) : 0;
  if (bodyLength < 0 || !Number.isSafeInteger(bodyLength)) throw new RangeError(`bad body length ${bodyLength}`);
  return { headerType, bodyLength };
}

/**
 * What is wrong with an IPC message header before apache-arrow decodes it, or null. apache-arrow
 * trusts every length in the flatbuffer, so a damaged one could make it allocate without bound:
 * each vector must fit in the header's bytes, and a record batch's buffers in its body.
 */
export function headerProblem(metadata: Uint8Array, bodyLength: number): string | null {
  const cap = metadata.byteLength / 4;
  const fits = (n: number) => Number.isInteger(n) && n >= 0 && n <= cap;
  try {
    const msg = FbMessage.getRootAsMessage(new ByteBuffer(metadata));
    if (!fits(msg.customMetadataLength())) return 'message metadata list longer than the message';
    if (msg.headerType() === MessageHeader.Schema) {
      const schema = msg.header(new FbSchema()) as FbSchema | null;
      if (!schema) return 'schema message without a schema';
      if (!fits(schema.fieldsLength()) || !fits(schema.customMetadataLength()))
        return 'schema lists longer than the message';
      let budget = cap;
      const walk = (f: FbField | null, depth: number): string | null => {
        if (!f) return 'missing field';
        if (depth > 64 || --budget < 0) return 'fields nested too deep';
        if (!fits(f.childrenLength()) || !fits(f.customMetadataLength())) return 'field lists longer than the message';
        for (let i = 0; i < f.childrenLength(); i++) {
          const p = walk(f.children(i), depth + 1);
          if (p) return p;
        }
        return null;
      };
      for (let i = 0; i < schema.fieldsLength(); i++) {
        const p = walk(schema.fields(i), 0);
        if (p) return p;
      }
    } else if (msg.headerType() === MessageHeader.RecordBatch) {
      const rb = msg.header(new FbRecordBatch()) as FbRecordBatch | null;
      if (!rb) return 'record batch message without a record batch';
      const rows = Number(rb.length());
      if (!(rows >= 0 && rows <= MAX_BATCH_ROWS)) return `record batch of ${rows} rows`;
      if (!fits(rb.nodesLength()) || !fits(rb.buffersLength())) return 'record batch lists longer than the message';
      for (let i = 0; i < rb.nodesLength(); i++) {
        const n = Number(rb.nodes(i)!.length());
        if (!(n >= 0 && n <= MAX_BATCH_ROWS)) return `column of ${n} rows`;
      }
      // The first node is the first column: it has the batch's rows.
      if (rb.nodesLength() && Number(rb.nodes(0)!.length()) !== rows)
        return `record batch of ${rows} rows whose first column has ${Number(rb.nodes(0)!.length())}`;
      for (let i = 0; i < rb.buffersLength(); i++) {
        const b = rb.buffers(i)!;
        const [at, len] = [Number(b.offset()), Number(b.length())];
        if (!(at >= 0 && len >= 0 && at + len <= bodyLength))
          return `buffer ${i} (bytes ${at}..${at + len}) outside the ${bodyLength}-byte body`;
      }
    }
  } catch (e) {
    return (e as Error).message;
  }
  return null;
}

/** A byte source that can also be read straight into a buffer, past what its iterator gave. */
export interface DirectSource {
  /** Reads up to `n` bytes into `buf` at `off`; fewer only at the end. */
  readInto(buf: Uint8Array, off: number, n: number): number;
  /** How many bytes are left. */
  available(): number;
}

type Message = { eos: true } | { eos: false; headerType: number; frame: Uint8Array };

/**
 * Splits a byte source into IPC messages. Throws a truncated-input error when the source ends inside
 * a message or after a message without the end-of-stream marker.
 */
async function* messages(
  source: AsyncIterator<Uint8Array>,
  q: ByteQueue,
  name: string,
  directSource?: DirectSource,
): AsyncGenerator<Message> {
  let ended = false;
  const fill = async (n: number): Promise<boolean> => {
    while (q.length < n && !ended) {
      const r = await source.next();
      if (r.done) ended = true;
      else q.push(r.value);
    }
    return q.length >= n;
  };
  for (;;) {
    if (!(await fill(4))) {
      if (q.length === 0)
        throw truncatedError(name, 'stream ends without its end-of-stream marker (upstream stopped early?)');
      throw truncatedError(name, `stream cut inside a message prefix (${q.length} of 4 bytes)`);
    }
    let prefix: Uint8Array;
    let metaLen: number;
    if (q.peekUint32(0) === CONTINUATION) {
      if (!(await fill(8))) throw truncatedError(name, 'stream cut inside a message prefix');
      metaLen = q.peekUint32(4);
      prefix = q.take(8);
    } else {
      // Pre-0.15 streams have no continuation marker.
      metaLen = q.peekUint32(0);
      prefix = q.take(4);
    }
    if (metaLen === 0) {
      yield { eos: true };
      continue;
    }
    if (metaLen > 0x7fffffff) throw inputError(name, `not an Arrow stream (message length ${metaLen})`);
    if (!(await fill(metaLen)))
      throw truncatedError(name, `stream cut inside a message header (${q.length} of ${metaLen} bytes)`);
    const metadata = q.take(metaLen);
    let header: Header;
    try {
      header = parseMessageHeader(metadata);
    } catch (e) {
      throw inputError(name, `corrupt Arrow message header (${(e as Error).message})`);
    }
    const problem = headerProblem(metadata, header.bodyLength);
    if (problem) throw inputError(name, `corrupt Arrow message header (${problem})`);
    const bodyAt = prefix.byteLength + metaLen;
    const direct = directSource && q.length < header.bodyLength ? directSource : undefined;
    if (direct) {
      // Known before anything is allocated: a damaged length must not make a huge frame.
      if (q.length + direct.available() < header.bodyLength)
        throw truncatedError(
          name,
          `stream cut inside a message body (${q.length + direct.available()} of ${header.bodyLength} bytes)`,
        );
    } else if (!(await fill(header.bodyLength))) {
      throw truncatedError(name, `stream cut inside a message body (${q.length} of ${header.bodyLength} bytes)`);
    }
    // One contiguous frame per message, so the decoder can slice it without copying again. Every
    // byte is written below, so it is not zeroed: fresh zeroed memory for each frame (megabytes
    // of patches) costs page faults, where malloc reuses what earlier frames freed.
    const frame = new Uint8Array(
      Buffer.allocUnsafeSlow(bodyAt + header.bodyLength).buffer,
      0,
      bodyAt + header.bodyLength,
    );
    frame.set(prefix, 0);
    frame.set(metadata, prefix.byteLength);
    if (direct) {
      // What is queued, then the rest of the body read from the file into its place.
      const queued = q.length;
      q.takeInto(frame, bodyAt, queued);
      const got = direct.readInto(frame, bodyAt + queued, header.bodyLength - queued);
      if (queued + got < header.bodyLength)
        throw truncatedError(name, `stream cut inside a message body (${queued + got} of ${header.bodyLength} bytes)`);
    } else {
      q.takeInto(frame, bodyAt, header.bodyLength);
    }
    yield { eos: false, headerType: header.headerType, frame };
  }
}

/** The most rows one record batch may claim (Arrow's own limit for 32-bit offsets). */
const MAX_BATCH_ROWS = 0x7fffffff;

/**
 * What is inconsistent in a decoded record batch, or null. Arrow IPC has no checksums and
 * apache-arrow trusts the lengths in a message, so a damaged header could give a batch that
 * claims more rows than its buffers hold: every buffer is checked against the lengths here.
 */
export function batchProblem(batch: RecordBatch): string | null {
  if (!(batch.numRows >= 0 && batch.numRows <= MAX_BATCH_ROWS)) return `${batch.numRows} rows`;
  for (const f of batch.schema.fields) {
    const v = batch.getChild(f.name);
    if (!v) return `column "${f.name}" is missing`;
    if (v.length !== batch.numRows) return `column "${f.name}" has ${v.length} rows`;
    for (const d of v.data) {
      const p = dataProblem(d as unknown as ArrowData);
      if (p) return `column "${f.name}": ${p}`;
    }
  }
  return null;
}

interface ArrowData {
  type: { typeId: number; listSize?: number; bitWidth?: number; precision?: number };
  length: number;
  offset: number;
  nullCount: number;
  nullBitmap?: Uint8Array;
  values?: ArrayLike<number> & { byteLength: number; BYTES_PER_ELEMENT?: number };
  valueOffsets?: ArrayLike<number>;
  children: ArrowData[];
  stride: number;
}

function dataProblem(d: ArrowData): string | null {
  const n = d.length;
  if (!(Number.isInteger(n) && n >= 0 && n <= MAX_BATCH_ROWS)) return `length ${n}`;
  if (d.nullCount > 0 && d.nullCount < n && (!d.nullBitmap || d.nullBitmap.byteLength * 8 < d.offset + n))
    return `validity bitmap shorter than ${n} rows`;
  // An all-null column may come without value buffers (apache-arrow writes them empty).
  if (d.nullCount === n && d.type.typeId !== Type.FixedSizeList) return null;
  switch (d.type.typeId) {
    case Type.Int:
    case Type.Float: {
      const need = n * d.stride;
      if (!d.values || d.values.length < need) return `${d.values?.length ?? 0} values for ${n} rows`;
      return null;
    }
    case Type.Bool:
      return !d.values || d.values.byteLength * 8 < d.offset + n ? `boolean bits shorter than ${n} rows` : null;
    case Type.Utf8:
    case Type.Binary: {
      const o = d.valueOffsets;
      if (n === 0) return null;
      if (!o || o.length < n + 1) return `${o ? o.length : 0} offsets for ${n} rows`;
      const size = d.values?.byteLength ?? 0;
      if (o[0] < 0) return `negative offset`;
      for (let i = 0; i < n; i++) if (o[i + 1] < o[i]) return `offsets go backwards at row ${i}`;
      if (o[n] - o[0] > size) return `offsets reach byte ${o[n]} of ${size}`;
      return null;
    }
    case Type.FixedSizeList: {
      const child = d.children[0];
      if (!child || child.length < n * (d.type.listSize ?? 0))
        return `list values shorter than ${n} rows of ${d.type.listSize}`;
      return dataProblem(child);
    }
    default:
      for (const c of d.children) {
        const p = dataProblem(c);
        if (p) return p;
      }
      return null;
  }
}

export interface ArrowStream {
  schema: Schema;
  batches: AsyncIterable<RecordBatch>;
}

/**
 * Reads one or several back-to-back Arrow IPC streams from a byte source. Each stream must be
 * consumed (or abandoned) before the next one is produced. `single` stops after the first stream
 * (Arrow file format: the footer follows the stream).
 */
export async function* readArrowStreams(
  source: AsyncIterable<Uint8Array>,
  name: string,
  opts: { single?: boolean; queue?: ByteQueue; direct?: DirectSource } = {},
): AsyncGenerator<ArrowStream> {
  const q = opts.queue ?? new ByteQueue();
  const it = source[Symbol.asyncIterator]();
  let streams = 0;
  for (;;) {
    // Between streams: end of input is the normal end.
    if (q.length === 0) {
      const r = await it.next();
      if (r.done) {
        if (streams === 0) throw inputError(name, 'empty input (no Arrow stream)');
        return;
      }
      q.push(r.value);
      // Re-queue and continue through `messages`.
    }
    const msgs = messages(it, q, name, opts.direct);
    const first = await msgs.next();
    if (first.done || first.value.eos) throw inputError(name, 'Arrow stream without a schema');
    if (first.value.headerType !== HEADER_SCHEMA)
      throw inputError(name, 'Arrow stream does not start with a schema message');
    let finished = false;
    const firstFrame = first.value.frame;
    const bytes = (async function* () {
      yield firstFrame;
      for (;;) {
        const m = await msgs.next();
        if (m.done) return;
        if (m.value.eos) {
          finished = true;
          yield EOS;
          return;
        }
        yield m.value.frame;
      }
    })();
    // apache-arrow throws plain errors on a damaged schema or batch: name the stream instead.
    const damaged = (e: unknown) =>
      e instanceof SlidepipeError ? e : inputError(name, `damaged Arrow stream (${(e as Error).message})`);
    let reader: Awaited<ReturnType<typeof RecordBatchReader.from>>;
    try {
      reader = await RecordBatchReader.from(bytes);
      await reader.open();
    } catch (e) {
      throw damaged(e);
    }
    streams++;
    let consumed = false;
    const batches = (async function* () {
      consumed = true;
      const it = reader[Symbol.asyncIterator]();
      for (;;) {
        let r: IteratorResult<RecordBatch>;
        try {
          r = (await it.next()) as IteratorResult<RecordBatch>;
        } catch (e) {
          throw damaged(e);
        }
        if (r.done) break;
        const problem = batchProblem(r.value);
        if (problem)
          throw inputError(name, `damaged Arrow stream: record batch of ${r.value.numRows} rows: ${problem}`);
        yield r.value;
      }
      if (!finished) {
        // apache-arrow stops at the marker; make sure we actually saw it.
        for await (const _ of bytes) {
          // drain
        }
        if (!finished) throw truncatedError(name, 'stream ends without its end-of-stream marker');
      }
    })();
    yield { schema: reader.schema, batches };
    if (!consumed || !finished) {
      for await (const _ of consumed ? bytes : batches) {
        // Skip what the consumer left.
      }
    }
    if (opts.single) return;
  }
}
