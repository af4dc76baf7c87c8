import { availableParallelism } from 'node:os';
import koffi from 'koffi';
import { JpegError } from './errors';
import { TJERR_WARNING, TJFLAG_NOREALLOC, TJPF, TJSAMP, turbojpeg } from './turbojpeg';

/** Byte layout of uncompressed pixels. 'bgrx' is OpenSlide's opaque ARGB as it sits in memory. */
export type JpegPixelFormat = 'rgb' | 'rgbx' | 'bgrx' | 'bgra' | 'rgba';
export type JpegSubsampling = '420' | '422' | '444';

export interface EncodeJpegOptions {
  pixelFormat: JpegPixelFormat;
  /** 1..100, default 85. */
  quality?: number;
  /** Chroma subsampling, default '420'. */
  subsampling?: JpegSubsampling;
  /** Bytes from one row to the next; default width * bytes per pixel. */
  rowBytes?: number;
}

export interface DecodeJpegOptions {
  /** Default 'rgb'. */
  pixelFormat?: JpegPixelFormat;
  /**
   * Decode into this buffer instead of a new one (e.g. straight into its place in a larger
   * image); `data` is then a view of it. Checked against the JPEG's size before decoding.
   */
  into?: Uint8Array;
  /** Bytes from one row to the next in `into`; default width * bytes per pixel. */
  rowBytes?: number;
}

export interface DecodedJpeg {
  data: Buffer;
  width: number;
  height: number;
  pixelFormat: JpegPixelFormat;
  /** Bytes per pixel in `data`. */
  channels: 3 | 4;
}

const PIXEL_FORMATS: Record<JpegPixelFormat, { tj: number; channels: 3 | 4 }> = {
  rgb: { tj: TJPF.RGB, channels: 3 },
  rgbx: { tj: TJPF.RGBX, channels: 4 },
  bgrx: { tj: TJPF.BGRX, channels: 4 },
  bgra: { tj: TJPF.BGRA, channels: 4 },
  rgba: { tj: TJPF.RGBA, channels: 4 },
};
const SUBSAMPLINGS: Record<JpegSubsampling, number> = { '420': TJSAMP.S420, '422': TJSAMP.S422, '444': TJSAMP.S444 };
// Baseline JPEG stores dimensions in 16 bits.
const MAX_DIMENSION_PX = 65535;

// ---------------------------------------------------------------------------
// Handles. A tjhandle is not thread-safe, so each call in flight owns one.

interface CompressSlot {
  handle: bigint;
  // Reused output buffer (TJFLAG_NOREALLOC): tj writes here, we copy the few KB out.
  scratch: Buffer;
  // tjCompress2's `unsigned char **jpegBuf` and `unsigned long *jpegSize`.
  jpegBufPtr: BigUint64Array;
  jpegSize: BigUint64Array;
}

interface DecompressSlot {
  handle: bigint;
  // width, height, subsampling, colorspace from tjDecompressHeader3.
  header: Int32Array;
}

function tjMessage(handle: bigint | null): string {
  return (turbojpeg().tjGetErrorStr2(handle) as string | null) ?? 'unknown TurboJPEG error';
}

function createCompressSlot(): CompressSlot {
  const handle = turbojpeg().tjInitCompress() as bigint | null;
  if (!handle) throw new JpegError('JPEG_INIT_FAILED', `tjInitCompress failed: ${tjMessage(null)}`);
  return { handle, scratch: Buffer.alloc(0), jpegBufPtr: new BigUint64Array(1), jpegSize: new BigUint64Array(1) };
}

function createDecompressSlot(): DecompressSlot {
  const handle = turbojpeg().tjInitDecompress() as bigint | null;
  if (!handle) throw new JpegError('JPEG_INIT_FAILED', `tjInitDecompress failed: ${tjMessage(null)}`);
  return { handle, header: new Int32Array(4) };
}

/** Idle handles plus a FIFO of callers waiting for one; bounds the async calls in flight. */
class SlotPool<S extends { handle: bigint }> {
  private readonly idle: S[] = [];
  private readonly waiting: Array<(slot: S) => void> = [];
  private created = 0;

  constructor(
    private readonly create: () => S,
    public maxInFlight: number,
  ) {}

  acquire(): Promise<S> {
    const slot = this.idle.pop();
    if (slot) return Promise.resolve(slot);
    if (this.created < this.maxInFlight) {
      const fresh = this.create();
      this.created++;
      return Promise.resolve(fresh);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(slot: S): void {
    if (this.created > this.maxInFlight) {
      // The limit was lowered: retire this handle instead of reusing it.
      this.created--;
      turbojpeg().tjDestroy(slot.handle);
      return;
    }
    const next = this.waiting.shift();
    if (next) next(slot);
    else this.idle.push(slot);
  }
}

const defaultMaxInFlight = Math.max(1, Math.min(availableParallelism(), 8));
const compressPool = new SlotPool(createCompressSlot, defaultMaxInFlight);
const decompressPool = new SlotPool(createDecompressSlot, defaultMaxInFlight);
// Sync calls run on the main thread one at a time, so one handle each is enough.
let syncCompress: CompressSlot | undefined;
let syncDecompress: DecompressSlot | undefined;

/**
 * How many async encodes (and, separately, decodes) may run at once on koffi's worker
 * threads; more calls wait in a JS queue. Default: the number of CPUs (at most 8).
 */
export function setJpegMaxInFlight(maxInFlight: number): void {
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1 || maxInFlight > 64) {
    throw new JpegError('JPEG_INVALID_ARGUMENT', `maxInFlight: expected an integer in 1..64, got ${maxInFlight}`);
  }
  compressPool.maxInFlight = maxInFlight;
  decompressPool.maxInFlight = maxInFlight;
}

// ---------------------------------------------------------------------------
// Encode

interface EncodeCall {
  pixels: Uint8Array;
  width: number;
  height: number;
  rowBytes: number;
  tjPixelFormat: number;
  tjSubsampling: number;
  quality: number;
}

function checkDimensions(width: number, height: number): void {
  for (const [name, v] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(v) || v < 1 || v > MAX_DIMENSION_PX) {
      throw new JpegError('JPEG_INVALID_ARGUMENT', `${name}: expected an integer in 1..${MAX_DIMENSION_PX}, got ${v}`);
    }
  }
}

function prepareEncode(pixels: Uint8Array, width: number, height: number, options: EncodeJpegOptions): EncodeCall {
  if (!(pixels instanceof Uint8Array)) {
    throw new JpegError('JPEG_INVALID_ARGUMENT', `pixels: expected a Buffer or Uint8Array, got ${typeof pixels}`);
  }
  checkDimensions(width, height);
  const format = PIXEL_FORMATS[options?.pixelFormat];
  if (!format) {
    throw new JpegError(
      'JPEG_INVALID_ARGUMENT',
      `pixelFormat: expected one of ${Object.keys(PIXEL_FORMATS).join(', ')}, got ${String(options?.pixelFormat)}`,
    );
  }
  const quality = options.quality ?? 85;
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) {
    throw new JpegError('JPEG_INVALID_ARGUMENT', `quality: expected an integer in 1..100, got ${quality}`);
  }
  const subsampling = options.subsampling ?? '420';
  const tjSubsampling = SUBSAMPLINGS[subsampling];
  if (tjSubsampling === undefined) {
    throw new JpegError('JPEG_INVALID_ARGUMENT', `subsampling: expected 420, 422 or 444, got ${String(subsampling)}`);
  }
  const rowBytes = options.rowBytes ?? width * format.channels;
  if (!Number.isInteger(rowBytes) || rowBytes < width * format.channels) {
    throw new JpegError(
      'JPEG_INVALID_ARGUMENT',
      `rowBytes: expected an integer >= ${width * format.channels}, got ${rowBytes}`,
    );
  }
  // The C side reads blindly: refuse a buffer that is too short.
  const neededBytes = rowBytes * (height - 1) + width * format.channels;
  if (pixels.byteLength < neededBytes) {
    throw new JpegError(
      'JPEG_INVALID_ARGUMENT',
      `pixels: ${width}x${height} ${options.pixelFormat} needs ${neededBytes} bytes, got ${pixels.byteLength}`,
    );
  }
  return { pixels, width, height, rowBytes, tjPixelFormat: format.tj, tjSubsampling, quality };
}

function compressArgs(slot: CompressSlot, call: EncodeCall): unknown[] {
  const capacity = Number(turbojpeg().tjBufSize(call.width, call.height, call.tjSubsampling));
  if (slot.scratch.length < capacity) {
    // Not from Buffer's shared pool: tj writes through a raw address.
    slot.scratch = Buffer.allocUnsafeSlow(capacity);
  }
  slot.jpegBufPtr[0] = koffi.address(slot.scratch);
  slot.jpegSize[0] = BigInt(slot.scratch.length);
  return [
    slot.handle,
    call.pixels,
    call.width,
    call.rowBytes,
    call.height,
    call.tjPixelFormat,
    slot.jpegBufPtr,
    slot.jpegSize,
    call.tjSubsampling,
    call.quality,
    TJFLAG_NOREALLOC,
  ];
}

function finishCompress(slot: CompressSlot, rc: number): Buffer {
  if (rc !== 0) {
    const message = tjMessage(slot.handle);
    throw new JpegError('JPEG_ENCODE_FAILED', `JPEG encode failed: ${message}`, message);
  }
  const size = Number(slot.jpegSize[0]);
  // Copy out so the result owns its bytes and the scratch buffer can be reused.
  const out = Buffer.allocUnsafe(size);
  slot.scratch.copy(out, 0, 0, size);
  return out;
}

/** Encodes pixels to a JPEG on the calling thread. The result owns its bytes. */
export function encodeJpeg(pixels: Uint8Array, width: number, height: number, options: EncodeJpegOptions): Buffer {
  const call = prepareEncode(pixels, width, height, options);
  syncCompress ??= createCompressSlot();
  const rc = turbojpeg().tjCompress2(...compressArgs(syncCompress, call)) as number;
  return finishCompress(syncCompress, rc);
}

/**
 * Encodes on one of koffi's worker threads, so several patches can be encoded in parallel.
 * `pixels` must not be changed until the promise settles.
 */
export async function encodeJpegAsync(
  pixels: Uint8Array,
  width: number,
  height: number,
  options: EncodeJpegOptions,
): Promise<Buffer> {
  const call = prepareEncode(pixels, width, height, options);
  const slot = await compressPool.acquire();
  try {
    const rc = await new Promise<number>((resolve, reject) => {
      turbojpeg().tjCompress2.async(...compressArgs(slot, call), (err: unknown, result: number) =>
        err ? reject(err) : resolve(result),
      );
    });
    return finishCompress(slot, rc);
  } finally {
    compressPool.release(slot);
  }
}

// ---------------------------------------------------------------------------
// Decode

interface DecodeCall {
  jpeg: Uint8Array;
  format: JpegPixelFormat;
  tjPixelFormat: number;
  channels: 3 | 4;
  into?: Uint8Array;
  rowBytes?: number;
}

function prepareDecode(jpeg: Uint8Array, options: DecodeJpegOptions | undefined): DecodeCall {
  if (!(jpeg instanceof Uint8Array)) {
    throw new JpegError('JPEG_INVALID_ARGUMENT', `jpeg: expected a Buffer or Uint8Array, got ${typeof jpeg}`);
  }
  if (jpeg.byteLength === 0) throw new JpegError('JPEG_DECODE_FAILED', 'JPEG decode failed: empty input');
  const format = options?.pixelFormat ?? 'rgb';
  const spec = PIXEL_FORMATS[format];
  if (!spec) {
    throw new JpegError(
      'JPEG_INVALID_ARGUMENT',
      `pixelFormat: expected one of ${Object.keys(PIXEL_FORMATS).join(', ')}, got ${String(format)}`,
    );
  }
  const into = options?.into;
  if (into !== undefined && !(into instanceof Uint8Array)) {
    throw new JpegError('JPEG_INVALID_ARGUMENT', `into: expected a Buffer or Uint8Array, got ${typeof into}`);
  }
  return { jpeg, format, tjPixelFormat: spec.tj, channels: spec.channels, into, rowBytes: options?.rowBytes };
}

/** The output buffer and row stride for a decode of width x height pixels. */
function decodeTarget(call: DecodeCall, width: number, height: number): { data: Buffer; pitch: number } {
  const rowBytes = call.rowBytes ?? width * call.channels;
  if (!Number.isInteger(rowBytes) || rowBytes < width * call.channels) {
    throw new JpegError(
      'JPEG_INVALID_ARGUMENT',
      `rowBytes: expected an integer >= ${width * call.channels}, got ${rowBytes}`,
    );
  }
  if (!call.into) return { data: Buffer.allocUnsafe(rowBytes * height), pitch: rowBytes };
  // The C side writes blindly: refuse a buffer that is too short for this JPEG.
  const needed = rowBytes * (height - 1) + width * call.channels;
  if (call.into.byteLength < needed) {
    throw new JpegError(
      'JPEG_INVALID_ARGUMENT',
      `into: a ${width}x${height} ${call.format} decode needs ${needed} bytes, got ${call.into.byteLength}`,
    );
  }
  return { data: Buffer.from(call.into.buffer, call.into.byteOffset, call.into.byteLength), pitch: rowBytes };
}

function decodeFailure(slot: DecompressSlot): JpegError {
  const raw = tjMessage(slot.handle);
  // A failure in a decode on a worker thread can leave TurboJPEG's text at "No error".
  const message = !raw || /^no error$/i.test(raw.trim()) ? 'corrupt or truncated JPEG data' : raw;
  const warning = (turbojpeg().tjGetErrorCode(slot.handle) as number) === TJERR_WARNING;
  return new JpegError('JPEG_DECODE_FAILED', `JPEG decode failed: ${message}`, message, warning);
}

// The header is parsed on the calling thread: it only walks the markers.
function readHeader(slot: DecompressSlot, call: DecodeCall): { width: number; height: number } {
  const rc = turbojpeg().tjDecompressHeader3(
    slot.handle,
    call.jpeg,
    call.jpeg.byteLength,
    slot.header.subarray(0, 1),
    slot.header.subarray(1, 2),
    slot.header.subarray(2, 3),
    slot.header.subarray(3, 4),
  ) as number;
  if (rc !== 0) throw decodeFailure(slot);
  return { width: slot.header[0], height: slot.header[1] };
}

function decompressArgs(
  slot: DecompressSlot,
  call: DecodeCall,
  out: Buffer,
  pitch: number,
  width: number,
  height: number,
): unknown[] {
  return [slot.handle, call.jpeg, call.jpeg.byteLength, out, width, pitch, height, call.tjPixelFormat, 0];
}

/** Decodes a JPEG on the calling thread. TurboJPEG warnings (e.g. truncated data) count as failures. */
export function decodeJpeg(jpeg: Uint8Array, options?: DecodeJpegOptions): DecodedJpeg {
  const call = prepareDecode(jpeg, options);
  syncDecompress ??= createDecompressSlot();
  const { width, height } = readHeader(syncDecompress, call);
  const { data, pitch } = decodeTarget(call, width, height);
  const rc = turbojpeg().tjDecompress2(...decompressArgs(syncDecompress, call, data, pitch, width, height)) as number;
  if (rc !== 0) throw decodeFailure(syncDecompress);
  return { data, width, height, pixelFormat: call.format, channels: call.channels };
}

/** Decodes on one of koffi's worker threads. `jpeg` must not be changed until the promise settles. */
export async function decodeJpegAsync(jpeg: Uint8Array, options?: DecodeJpegOptions): Promise<DecodedJpeg> {
  const call = prepareDecode(jpeg, options);
  const slot = await decompressPool.acquire();
  try {
    const { width, height } = readHeader(slot, call);
    const { data, pitch } = decodeTarget(call, width, height);
    const rc = await new Promise<number>((resolve, reject) => {
      turbojpeg().tjDecompress2.async(
        ...decompressArgs(slot, call, data, pitch, width, height),
        (err: unknown, result: number) => (err ? reject(err) : resolve(result)),
      );
    });
    if (rc !== 0) throw decodeFailure(slot);
    return { data, width, height, pixelFormat: call.format, channels: call.channels };
  } finally {
    decompressPool.release(slot);
  }
}
