// Every tool reads Arrow IPC streams (one or several back-to-back) or Parquet files, from files or
// stdin, sniffing the magic bytes; it validates the record type before the first batch.
import {
  closeSync,
  createReadStream,
  createWriteStream,
  existsSync,
  fstatSync,
  openSync,
  readSync,
  realpathSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { isatty } from 'node:tty';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { RecordBatch, Schema } from 'apache-arrow';
import { recordDef, validateSchema, type RecordName, type StreamMeta } from '@slidepipe/schema';
import { inputError, SlidepipeError, usageError } from '@slidepipe/core';
import { ByteQueue, readArrowStreams, type ArrowStream, type DirectSource } from './arrow-stream';
import { readParquetStream } from './parquet';
import { deleteAtExit } from './atomic';
import { describe, isStdio } from './paths';
import { tuneAllocator } from './allocator';

export interface RecordStream {
  /** The input it came from, as named in messages. */
  source: string;
  schema: Schema;
  meta: StreamMeta;
  batches: AsyncIterable<RecordBatch>;
}

export interface ReadOptions {
  /** Accepted record types; anything else is a bad-input error before the first batch. */
  expect?: RecordName[];
}

const CHUNK = 1 << 20;
// Chunks of a FileBytes: headers and small messages; large bodies are read past them.
const FILE_CHUNK = 128 << 10;
const PAR1 = 0x31524150;
const ARROW_MAGIC = 'ARROW1';

export type InputFormat = 'arrow-stream' | 'arrow-file' | 'parquet';

export function sniff(head: Uint8Array): InputFormat | null {
  if (head.byteLength >= 4 && new DataView(head.buffer, head.byteOffset).getUint32(0, true) === PAR1) return 'parquet';
  if (head.byteLength >= 6 && Buffer.from(head.subarray(0, 6)).toString('latin1') === ARROW_MAGIC) return 'arrow-file';
  if (head.byteLength >= 4) {
    const v = new DataView(head.buffer, head.byteOffset).getUint32(0, true);
    // Continuation marker, or a plausible legacy metadata length.
    if (v === 0xffffffff || (v > 0 && v < 1 << 24 && v % 8 === 0)) return 'arrow-stream';
  }
  return null;
}

/**
 * A regular file read synchronously: in chunks, or straight into a caller's buffer (`readInto`),
 * so the megabyte bodies of patch batches are read once into their frames, without a copy from
 * stream chunks and without a thread-pool round trip per chunk.
 */
class FileBytes implements DirectSource {
  private fd: number | null = null;
  private size = 0;
  private pos = 0;

  constructor(private readonly path: string) {}

  private open(): number {
    if (this.fd === null) {
      this.fd = openSync(this.path, 'r');
      this.size = fstatSync(this.fd).size;
    }
    return this.fd;
  }

  available(): number {
    this.open();
    return Math.max(0, this.size - this.pos);
  }

  readInto(buf: Uint8Array, off: number, n: number): number {
    const fd = this.open();
    let got = 0;
    while (got < n) {
      const k = readSync(fd, buf, off + got, n - got, this.pos);
      if (k === 0) break;
      got += k;
      this.pos += k;
    }
    return got;
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return {
      next: async () => {
        const n = Math.min(FILE_CHUNK, this.available());
        if (n === 0) return { done: true, value: undefined };
        const buf = new Uint8Array(Buffer.allocUnsafeSlow(n).buffer, 0, n);
        const got = this.readInto(buf, 0, n);
        return got === 0 ? { done: true, value: undefined } : { done: false, value: buf.subarray(0, got) };
      },
    };
  }

  destroy(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

function openBytes(path: string | undefined): Readable | FileBytes {
  if (isStdio(path)) {
    // process.stdin is not touched: creating it would make fd 0 non-blocking for fs reads.
    if (isatty(0)) throw usageError('<stdin>', 'no input: give a file, or pipe records in');
    // A pipe is read on the event loop (process.stdin), a redirected file through the thread pool.
    return fstatSync(0).isFIFO() || fstatSync(0).isSocket()
      ? process.stdin
      : createReadStream('', { fd: 0, highWaterMark: CHUNK, autoClose: false });
  }
  if (!existsSync(path!)) throw new SlidepipeError('no-input', path!, 'no such file');
  const st = statSync(path!);
  if (st.isDirectory()) throw inputError(path!, 'is a directory');
  return st.isFile() ? new FileBytes(path!) : createReadStream(path!, { highWaterMark: CHUNK });
}

async function* arrowStreamsOf(path: string | undefined, name: string): AsyncGenerator<ArrowStream> {
  const stream = openBytes(path);
  const it = stream[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
  const direct = stream instanceof FileBytes ? stream : undefined;
  const q = new ByteQueue();
  while (q.length < 8) {
    const r = await it.next();
    if (r.done) break;
    q.push(r.value);
  }
  if (q.length === 0) throw inputError(name, 'empty input (expected an Arrow stream or a Parquet file)');
  const head = q.take(Math.min(8, q.length));
  const format = sniff(head);
  const rest: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]: () => it as AsyncIterator<Uint8Array>,
  };
  if (format === 'parquet') {
    if (!isStdio(path)) {
      stream.destroy();
      yield await readParquetStream(path!, name);
      return;
    }
    // Parquet needs random access: spool stdin to a temporary file.
    const spool = join(tmpdir(), `slidepipe-stdin-${process.pid}-${Date.now()}.parquet`);
    const remove = deleteAtExit(spool);
    try {
      const leftover = q.length ? q.take(q.length) : new Uint8Array(0);
      await pipeline(
        (async function* () {
          yield head;
          yield leftover;
          yield* rest;
        })(),
        createWriteStream(spool),
      );
      yield await readParquetStream(spool, name);
    } finally {
      remove();
    }
    return;
  }
  if (format === null) {
    stream.destroy();
    const hex = Buffer.from(head).toString('hex');
    throw inputError(name, `not an Arrow stream or a Parquet file (starts with 0x${hex})`);
  }
  if (format === 'arrow-stream') {
    // Put the sniffed bytes back in front.
    const q2 = new ByteQueue();
    q2.push(head);
    if (q.length) q2.push(q.take(q.length));
    yield* readArrowStreams(rest, name, { queue: q2, direct });
  } else {
    // Arrow file format: the stream follows the 8-byte magic, then the footer.
    const q2 = new ByteQueue();
    if (q.length) q2.push(q.take(q.length));
    yield* readArrowStreams(rest, name, { queue: q2, single: true, direct });
  }
  stream.destroy();
}

/**
 * The batches of a stream, each checked for nulls in columns its record type declares non-null:
 * other writers may mark every column nullable (DuckDB does), so the check is on the data. In a
 * damaged file this is what a flipped repetition type shows as.
 */
async function* checkedBatches(
  batches: AsyncIterable<RecordBatch>,
  meta: StreamMeta,
  name: string,
): AsyncGenerator<RecordBatch> {
  const required = recordDef(meta.record)
    .columns.filter((c) => !c.nullable)
    .map((c) => c.name);
  for await (const b of batches) {
    for (const c of required) {
      const nulls = b.getChild(c)?.nullCount ?? 0;
      if (nulls > 0)
        throw inputError(
          name,
          `column "${c}" holds ${nulls} null(s), which ${meta.record} records do not allow (damaged or foreign file?)`,
        );
    }
    yield b;
  }
}

/**
 * Reads every record stream of every input in order. No inputs (or "-") means stdin.
 * Each stream's batches must be consumed before the next stream is requested.
 */
export async function* readRecords(inputs: string[], opts: ReadOptions = {}): AsyncGenerator<RecordStream> {
  tuneAllocator();
  const list = inputs.length ? inputs : ['-'];
  const stdinUses = list.filter((p) => isStdio(p)).length;
  if (stdinUses > 1) throw usageError('inputs', 'stdin ("-") can be read only once');
  // The same file twice would silently double its slides' records.
  const seen = new Map<string, string>();
  for (const path of list) {
    if (isStdio(path)) continue;
    let real: string;
    try {
      real = realpathSync(path);
    } catch {
      continue; // reported when it is opened
    }
    const first = seen.get(real);
    if (first !== undefined)
      throw usageError(
        path,
        `given twice${first !== path ? ` (also as ${first})` : ''}: its records would be read twice`,
      );
    seen.set(real, path);
  }
  for (const path of list) {
    const name = describe(path);
    for await (const s of arrowStreamsOf(path, name)) {
      let meta: StreamMeta;
      try {
        meta = validateSchema(s.schema, { records: opts.expect });
      } catch (e) {
        throw inputError(name, (e as Error).message);
      }
      yield { source: name, schema: s.schema, meta, batches: checkedBatches(s.batches, meta, name) };
    }
  }
}
