import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { TrackingError } from './errors';
import { ProtoWriter } from './protobuf';
import { frameRecord } from './tfrecord';

// Field numbers from tensorflow/core/util/event.proto and framework/summary.proto.
const EVENT_WALL_TIME = 1;
const EVENT_STEP = 2;
const EVENT_FILE_VERSION = 3;
const EVENT_SUMMARY = 5;
const SUMMARY_VALUE = 1;
const VALUE_TAG = 1;
const VALUE_SIMPLE_VALUE = 2;
const VALUE_TENSOR = 8;
const VALUE_METADATA = 9;
const METADATA_PLUGIN_DATA = 1;
const PLUGIN_NAME = 1;
const TENSOR_DTYPE = 1;
const TENSOR_SHAPE = 2;
const TENSOR_STRING_VAL = 8;
const SHAPE_DIM = 2;
const DIM_SIZE = 1;
const DT_STRING = 7;

export const EVENT_FILE_VERSION_STRING = 'brain.Event:2';

export interface TensorBoardWriterOptions {
  /**
   * 0 (the default) writes every event to the file at once, so TensorBoard sees each epoch as
   * it ends. A positive value keeps events in memory and writes them every that many
   * milliseconds (and on flush/close/process exit): fewer syscalls for many small scalars.
   */
  flushIntervalMs?: number;
  /** Clock in milliseconds since the epoch; events carry it as wall_time. Defaults to Date.now. */
  now?: () => number;
  /** Host name in the file name; defaults to os.hostname(). */
  host?: string;
}

// One counter per process, as TensorFlow's writers do, so two writers opened in the same
// second still get distinct file names.
let fileCounter = 0;

// Writers still open get their buffered events written if the process exits without close().
const openWriters = new Set<TensorBoardWriter>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const w of openWriters) {
      try {
        w.close();
      } catch {
        // Nothing useful can be done while exiting.
      }
    }
  });
}

/** The name TensorFlow and PyTorch give an event file; TensorBoard only reads names containing "tfevents". */
export function eventFileName(unixSeconds: number, host: string, pid: number, n: number): string {
  return `events.out.tfevents.${Math.floor(unixSeconds)}.${host}.${pid}.${n}`;
}

function checkStep(step: number): void {
  if (!Number.isSafeInteger(step)) {
    throw new TrackingError('TRACKING_INVALID', `tensorboard: step must be an integer, got ${step}`);
  }
}

function checkTag(tag: string): void {
  if (typeof tag !== 'string' || tag.length === 0) {
    throw new TrackingError(
      'TRACKING_INVALID',
      `tensorboard: a tag must be a non-empty string, got ${JSON.stringify(tag)}`,
    );
  }
}

/**
 * Writes a TensorBoard event file (scalars and markdown text) with no dependency beyond CRC32C.
 * Writes are synchronous: an event is a few dozen bytes, and a synchronous write cannot be
 * lost by a crash between an await and the next epoch.
 */
export class TensorBoardWriter {
  /** Absolute or relative path of the event file, as opened. */
  readonly path: string;
  private fd: number | undefined;
  private pending: Buffer[] = [];
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout | undefined;
  private deferredError: unknown;

  private constructor(path: string, fd: number, opts: TensorBoardWriterOptions) {
    this.path = path;
    this.fd = fd;
    this.now = opts.now ?? Date.now;
    const interval = opts.flushIntervalMs ?? 0;
    if (!(interval >= 0)) {
      throw new TrackingError('TRACKING_CONFIG', `tensorboard: flushIntervalMs must be >= 0, got ${interval}`);
    }
    if (interval > 0) {
      this.timer = setInterval(() => {
        // A throw here would be an uncaught exception that kills the trainer: keep it for the
        // next write, flush or close instead.
        try {
          this.flush();
        } catch (err) {
          this.deferredError ??= err;
        }
      }, interval);
      // A logging timer must never keep the trainer alive after its work is done.
      this.timer.unref();
    }
  }

  /** Creates `logDir` (and parents) and a new event file in it, starting with the file_version event. */
  static open(logDir: string, opts: TensorBoardWriterOptions = {}): TensorBoardWriter {
    const now = opts.now ?? Date.now;
    const name = eventFileName(now() / 1000, opts.host ?? hostname(), process.pid, fileCounter++);
    const path = join(logDir, name);
    let fd: number;
    try {
      mkdirSync(logDir, { recursive: true });
      // 'wx': never append to or clobber another writer's file.
      fd = openSync(path, 'wx');
    } catch (cause) {
      throw new TrackingError(
        'TRACKING_IO',
        `tensorboard: cannot create event file ${path}: ${(cause as Error).message}`,
        { cause },
      );
    }
    const w = new TensorBoardWriter(path, fd, opts);
    openWriters.add(w);
    installExitHook();
    w.writeEvent(0, (e) => e.string(EVENT_FILE_VERSION, EVENT_FILE_VERSION_STRING));
    return w;
  }

  /** One scalar at one step (TensorBoard stores it as float32). */
  addScalar(tag: string, value: number, step: number): void {
    this.addScalars({ [tag]: value }, step);
  }

  /** Several scalars at one step, in one event. */
  addScalars(values: Readonly<Record<string, number>>, step: number): void {
    checkStep(step);
    const entries = Object.entries(values);
    for (const [tag, v] of entries) {
      checkTag(tag);
      if (typeof v !== 'number') {
        throw new TrackingError('TRACKING_INVALID', `tensorboard: scalar ${tag} must be a number, got ${typeof v}`);
      }
    }
    if (entries.length === 0) return;
    this.writeEvent(step, (e) => {
      const summary = new ProtoWriter();
      for (const [tag, v] of entries) {
        summary.message(SUMMARY_VALUE, new ProtoWriter().string(VALUE_TAG, tag).float(VALUE_SIMPLE_VALUE, v));
      }
      e.message(EVENT_SUMMARY, summary);
    });
  }

  /**
   * A markdown text summary, shown by TensorBoard's Text tab: a DT_STRING tensor of shape [1]
   * with the `text` plugin named in the metadata, as tf.summary.text and PyTorch write it.
   */
  addText(tag: string, markdown: string, step = 0): void {
    checkTag(tag);
    checkStep(step);
    this.writeEvent(step, (e) => {
      const tensor = new ProtoWriter()
        .int64(TENSOR_DTYPE, DT_STRING)
        .message(TENSOR_SHAPE, new ProtoWriter().message(SHAPE_DIM, new ProtoWriter().int64(DIM_SIZE, 1)))
        .string(TENSOR_STRING_VAL, markdown);
      // TextPluginData(version=0) serialises to nothing, so the plugin name is all there is.
      const metadata = new ProtoWriter().message(METADATA_PLUGIN_DATA, new ProtoWriter().string(PLUGIN_NAME, 'text'));
      const value = new ProtoWriter()
        .string(VALUE_TAG, tag)
        .message(VALUE_METADATA, metadata)
        .message(VALUE_TENSOR, tensor);
      e.message(EVENT_SUMMARY, new ProtoWriter().message(SUMMARY_VALUE, value));
    });
  }

  /** Writes buffered events to the file (a no-op when every write goes straight to disk). */
  flush(): void {
    this.throwDeferred();
    if (this.fd === undefined || this.pending.length === 0) return;
    const data = Buffer.concat(this.pending);
    this.pending = [];
    this.writeAll(data);
  }

  /** Flushes and closes the file; later writes throw. Closing twice is harmless. */
  close(): void {
    if (this.fd === undefined) return;
    if (this.timer) clearInterval(this.timer);
    try {
      this.flush();
    } finally {
      openWriters.delete(this);
      const fd = this.fd;
      this.fd = undefined;
      closeSync(fd);
    }
  }

  get closed(): boolean {
    return this.fd === undefined;
  }

  private throwDeferred(): void {
    if (this.deferredError === undefined) return;
    const err = this.deferredError;
    this.deferredError = undefined;
    throw err;
  }

  private writeEvent(step: number, fill: (e: ProtoWriter) => void): void {
    this.throwDeferred();
    if (this.fd === undefined) {
      throw new TrackingError('TRACKING_STATE', `tensorboard: write after close (${this.path})`);
    }
    const e = new ProtoWriter().double(EVENT_WALL_TIME, this.now() / 1000);
    // proto3 leaves a zero step out, as TensorFlow's own writer does.
    if (step !== 0) e.int64(EVENT_STEP, step);
    fill(e);
    const frame = frameRecord(e.finish());
    if (this.timer) this.pending.push(frame);
    else this.writeAll(frame);
  }

  private writeAll(data: Buffer): void {
    try {
      let off = 0;
      while (off < data.length) off += writeSync(this.fd as number, data, off, data.length - off);
    } catch (cause) {
      throw new TrackingError('TRACKING_IO', `tensorboard: cannot write ${this.path}: ${(cause as Error).message}`, {
        cause,
      });
    }
  }
}
