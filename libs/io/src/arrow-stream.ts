// Arrow IPC stream reading with exact framing: every message is delimited here (continuation marker,
// metadata length, flatbuffer header, body), so a stream cut mid-message or ending without its
// end-of-stream marker is reported, and back-to-back streams are split. Decoding is apache-arrow's.
import { RecordBatchReader, type RecordBatch, type Schema } from 'apache-arrow';
import { inputError, truncatedError } from '@slidepipe/cli';

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

type Message = { eos: true } | { eos: false; headerType: number; frame: Uint8Array };

/**
 * Splits a byte source into IPC messages. Throws a truncated-input error when the source ends inside
 * a message or after a message without the end-of-stream marker.
 */
async function* messages(source: AsyncIterator<Uint8Array>, q: ByteQueue, name: string): AsyncGenerator<Message> {
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
      if (q.length === 0) throw truncatedError(name, 'stream ends without its end-of-stream marker (upstream stopped early?)');
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
    if (!(await fill(metaLen))) throw truncatedError(name, `stream cut inside a message header (${q.length} of ${metaLen} bytes)`);
    const metadata = q.take(metaLen);
    let header: Header;
    try {
      header = parseMessageHeader(metadata);
    } catch (e) {
      throw inputError(name, `corrupt Arrow message header (${(e as Error).message})`);
    }
    if (!(await fill(header.bodyLength))) {
      throw truncatedError(name, `stream cut inside a message body (${q.length} of ${header.bodyLength} bytes)`);
    }
    // One contiguous frame per message, so the decoder can slice it without copying again.
    const frame = new Uint8Array(prefix.byteLength + metaLen + header.bodyLength);
    frame.set(prefix, 0);
    frame.set(metadata, prefix.byteLength);
    q.takeInto(frame, prefix.byteLength + metaLen, header.bodyLength);
    yield { eos: false, headerType: header.headerType, frame };
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
  opts: { single?: boolean; queue?: ByteQueue } = {},
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
    const msgs = messages(it, q, name);
    const first = await msgs.next();
    if (first.done || first.value.eos) throw inputError(name, 'Arrow stream without a schema');
    if (first.value.headerType !== HEADER_SCHEMA) throw inputError(name, 'Arrow stream does not start with a schema message');
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
    const reader = await RecordBatchReader.from(bytes);
    await reader.open();
    streams++;
    let consumed = false;
    const batches = (async function* () {
      consumed = true;
      for await (const b of reader) yield b as RecordBatch;
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
