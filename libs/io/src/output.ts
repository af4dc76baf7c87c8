// Record output: Arrow IPC streams (one per input stream, back to back) to stdout or a file, or one
// Parquet file per output. Writes honour backpressure; files appear only complete (atomic rename).
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { RecordBatchStreamWriter, type RecordBatch, type Schema } from 'apache-arrow';
import { AsyncByteQueue } from 'apache-arrow/io/stream';
import { mergeMeta, rebatch, type StreamMeta } from '@slidepipe/schema';
import { SlidepipeError, usageError } from '@slidepipe/core';
import { AtomicFile, deleteAtExit } from './atomic';
import { ParquetFileWriter } from './parquet';
import { describe, isStdio } from './paths';
import { tuneAllocator } from './allocator';

export type OutputFormat = 'arrow' | 'parquet';

export interface RecordSink {
  /** Starts a stream (for example one slide) with its schema; batches are re-labelled with it. */
  begin(schema: Schema, meta: StreamMeta): Promise<void>;
  write(batch: RecordBatch): Promise<void>;
  end(): Promise<void>;
  /** Completes the output (footer, rename). Without close, nothing is left that looks complete. */
  close(): Promise<void>;
  /** Removes a partial output after a failure. */
  abort(): void;
  readonly name: string;
  rows: number;
}

const EOS = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

/** Collects what apache-arrow's writer emits so that we write it ourselves and can await drain. */
class Collector extends AsyncByteQueue {
  chunks: Uint8Array[] = [];
  override write(value: Uint8Array): void {
    if (value.byteLength) this.chunks.push(value);
  }
}

function waitDrain(out: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const onDrain = () => {
      out.off('error', onError);
      resolve();
    };
    const onError = (e: Error) => {
      out.off('drain', onDrain);
      reject(e);
    };
    out.once('drain', onDrain);
    out.once('error', onError);
  });
}

async function writeChunks(out: Writable, chunks: Uint8Array[]): Promise<void> {
  if (!chunks.length) return;
  out.cork();
  let ok = true;
  for (const c of chunks) ok = out.write(c) && ok;
  out.uncork();
  if (!ok) await waitDrain(out);
}

class ArrowSink implements RecordSink {
  rows = 0;
  private writer: RecordBatchStreamWriter | null = null;
  private collector = new Collector();
  private schema: Schema | null = null;

  constructor(
    readonly name: string,
    private readonly out: Writable,
    private readonly file: AtomicFile | null,
  ) {}

  async begin(schema: Schema): Promise<void> {
    if (this.writer) await this.end();
    this.schema = schema;
    this.collector = new Collector();
    this.writer = new RecordBatchStreamWriter();
    this.writer.reset(this.collector as never, schema);
    await this.flush();
  }

  private async flush(): Promise<void> {
    const chunks = this.collector.chunks;
    this.collector.chunks = [];
    await writeChunks(this.out, chunks);
  }

  async write(batch: RecordBatch): Promise<void> {
    if (!this.writer || !this.schema) throw new Error('write before begin');
    this.writer.write(rebatch(this.schema, batch));
    this.rows += batch.numRows;
    await this.flush();
  }

  async end(): Promise<void> {
    if (!this.writer) return;
    this.writer = null;
    await writeChunks(this.out, [EOS]);
  }

  async close(): Promise<void> {
    await this.end();
    if (this.file) {
      await new Promise<void>((resolve, reject) =>
        (this.out as WriteStream).end((e?: Error | null) => (e ? reject(e) : resolve())),
      );
      this.file.commit();
    }
  }

  abort(): void {
    if (!this.file) return;
    // Pending writes may still be in flight on the fd: close it once the stream has settled.
    const file = this.file;
    file.unlink();
    this.out.once('close', () => file.abort());
    this.out.destroy();
  }
}

class ParquetSink implements RecordSink {
  private pq: ParquetFileWriter;
  private schema: Schema | null = null;

  constructor(
    readonly name: string,
    private readonly file: AtomicFile,
    private readonly toStdout: boolean,
    layout: ParquetLayout = {},
  ) {
    this.pq = new ParquetFileWriter(file.fd, layout);
  }

  get rows(): number {
    return this.pq.rows;
  }

  async begin(schema: Schema, meta: StreamMeta): Promise<void> {
    try {
      this.pq.addStream(schema, meta);
    } catch (e) {
      throw new SlidepipeError('bad-input', this.name, (e as Error).message);
    }
    this.schema = schema;
  }

  async write(batch: RecordBatch): Promise<void> {
    this.pq.write(this.schema ? rebatch(this.schema, batch) : batch);
  }

  async end(): Promise<void> {
    // One Parquet table for every stream: nothing to close per stream.
  }

  async close(): Promise<void> {
    const metas = this.pq.streamMetas;
    if (!metas.length) throw new SlidepipeError('bad-input', this.name, 'no records to write');
    this.pq.finish(mergeMeta(metas));
    if (this.toStdout) {
      // Parquet is written to a temporary file first (its footer comes last), then copied out.
      this.file.commit();
      const remove = deleteAtExit(this.file.path);
      await new Promise<void>((resolve, reject) => {
        const src = createReadStream(this.file.path, { highWaterMark: 1 << 20 });
        src.on('error', reject);
        process.stdout.on('error', reject);
        src.on('end', resolve);
        src.pipe(process.stdout, { end: false });
      });
      remove();
    } else {
      this.file.commit();
    }
  }

  abort(): void {
    this.file.abort();
  }
}

/** A sink that keeps every stream in memory, for library use and tests of pure modules. */
export function memorySink(): {
  sink: RecordSink;
  out: { schema: Schema; meta: StreamMeta; batches: RecordBatch[] }[];
} {
  const out: { schema: Schema; meta: StreamMeta; batches: RecordBatch[] }[] = [];
  const sink: RecordSink = {
    name: 'memory',
    rows: 0,
    async begin(schema, meta) {
      out.push({ schema, meta, batches: [] });
    },
    async write(b) {
      out.at(-1)!.batches.push(b);
      sink.rows += b.numRows;
    },
    end: async () => undefined,
    close: async () => undefined,
    abort: () => undefined,
  };
  return { sink, out };
}

export interface OutputOptions {
  force?: boolean;
  /** Format; by default Parquet for a *.parquet path, else an Arrow stream. */
  format?: OutputFormat;
  /** Parquet row-group and page bounds (defaults: ROW_GROUP_ROWS, ROW_GROUP_BYTES, 1 MiB pages). */
  parquet?: ParquetLayout;
}

export interface ParquetLayout {
  rowGroupRows?: number;
  rowGroupBytes?: number;
  pageBytes?: number;
}

export function formatFor(path: string | undefined, format?: OutputFormat): OutputFormat {
  if (format) return format;
  return !isStdio(path) && /\.parquet$/i.test(path!) ? 'parquet' : 'arrow';
}

/** Opens the record output of a tool: "-" or none is stdout. Refuses binary output to a terminal. */
export function openRecordSink(path: string | undefined, opts: OutputOptions = {}): RecordSink {
  tuneAllocator();
  const format = formatFor(path, opts.format);
  const name = describe(path, 'out');
  if (isStdio(path)) {
    if (process.stdout.isTTY) {
      throw usageError(
        '<stdout>',
        `refusing to write binary ${format === 'parquet' ? 'Parquet' : 'Arrow'} to a terminal: pipe it into another tool or give -o FILE`,
      );
    }
    if (format === 'parquet') {
      const tmp = `${process.env.TMPDIR ?? '/tmp'}/slidepipe-out-${process.pid}-${Date.now()}.parquet`;
      return new ParquetSink(name, new AtomicFile(tmp, true), true, opts.parquet);
    }
    return new ArrowSink(name, process.stdout, null);
  }
  const file = new AtomicFile(path!, Boolean(opts.force));
  if (format === 'parquet') return new ParquetSink(name, file, false, opts.parquet);
  const out = createWriteStream('', { fd: file.fd, autoClose: false, highWaterMark: 1 << 20 });
  return new ArrowSink(name, out, file);
}
