// 1:1 koffi binding of the OpenSlide 3.4.1 C API, in the manner of openslide-python's lowlevel.py:
// every call on a handle is followed by openslide_get_error, and a set error becomes an
// OpenSlideError. OpenSlide's errors are sticky: once set, the handle only ever reports it.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import koffi from 'koffi';
import type { LibraryHandle } from 'koffi';
import { OpenSlideError } from './errors';

export const LIBRARY_NAME = 'libopenslide.so.0';

/** An open openslide_t. Pass it to the functions below; `close` invalidates it. */
export interface OsrHandle {
  /** The openslide_t pointer. */
  readonly ptr: bigint;
  /** The file it was opened from, for error messages. */
  readonly path: string;
  readonly closed: boolean;
}

interface MutableHandle {
  ptr: bigint;
  path: string;
  closed: boolean;
}

type KoffiFn = ReturnType<LibraryHandle['func']>;

interface Native {
  detect_vendor: KoffiFn;
  open: KoffiFn;
  close: KoffiFn;
  get_level_count: KoffiFn;
  get_level_dimensions: KoffiFn;
  get_level_downsample: KoffiFn;
  get_best_level_for_downsample: KoffiFn;
  read_region: KoffiFn;
  get_error: KoffiFn;
  get_property_names: KoffiFn;
  get_property_value: KoffiFn;
  get_associated_image_names: KoffiFn;
  get_associated_image_dimensions: KoffiFn;
  read_associated_image: KoffiFn;
  get_version: KoffiFn;
}

let native: Native | undefined;

// Loaded on first use so that importing the library costs nothing (e.g. for --help).
function lib(): Native {
  if (native) return native;
  let so: LibraryHandle;
  try {
    so = koffi.load(LIBRARY_NAME);
  } catch (err) {
    throw new OpenSlideError(
      'LIBRARY_MISSING',
      `cannot load ${LIBRARY_NAME} (Debian package libopenslide0): ${(err as Error).message}`,
    );
  }
  // Anonymous types: named koffi types are process-global and would clash with other bindings.
  const osr = koffi.pointer(koffi.opaque());
  native = {
    detect_vendor: so.func('openslide_detect_vendor', 'const char *', ['str']),
    open: so.func('openslide_open', osr, ['str']),
    close: so.func('openslide_close', 'void', [osr]),
    get_level_count: so.func('openslide_get_level_count', 'int32_t', [osr]),
    get_level_dimensions: so.func('openslide_get_level_dimensions', 'void', [osr, 'int32_t', 'void *', 'void *']),
    get_level_downsample: so.func('openslide_get_level_downsample', 'double', [osr, 'int32_t']),
    get_best_level_for_downsample: so.func('openslide_get_best_level_for_downsample', 'int32_t', [osr, 'double']),
    read_region: so.func('openslide_read_region', 'void', [
      osr,
      'void *',
      'int64_t',
      'int64_t',
      'int32_t',
      'int64_t',
      'int64_t',
    ]),
    get_error: so.func('openslide_get_error', 'const char *', [osr]),
    // const char * const *: a NULL-terminated array, walked by hand below.
    get_property_names: so.func('openslide_get_property_names', 'void *', [osr]),
    get_property_value: so.func('openslide_get_property_value', 'const char *', [osr, 'str']),
    get_associated_image_names: so.func('openslide_get_associated_image_names', 'void *', [osr]),
    get_associated_image_dimensions: so.func('openslide_get_associated_image_dimensions', 'void', [
      osr,
      'str',
      'void *',
      'void *',
    ]),
    read_associated_image: so.func('openslide_read_associated_image', 'void', [osr, 'str', 'void *']),
    get_version: so.func('openslide_get_version', 'const char *', []),
  };
  return native;
}

// A handle dropped without close() still gets its openslide_t freed.
const finalizer = new FinalizationRegistry<bigint>((ptr) => lib().close(ptr));

function live(osr: OsrHandle): bigint {
  if (osr.closed) throw new OpenSlideError('SLIDE_CLOSED', 'slide used after close()', osr.path);
  return osr.ptr;
}

/** Throws the handle's sticky OpenSlide error, if one is set. */
function check(osr: OsrHandle, what: string): void {
  const message = lib().get_error(osr.ptr) as string | null;
  if (message !== null) throw new OpenSlideError('OPENSLIDE_ERROR', `${what}: ${message}`, osr.path, message);
}

function readNameList(ptr: bigint | null): string[] {
  const names: string[] = [];
  if (!ptr) return names;
  for (let offset = 0; ; offset += 8) {
    const name = koffi.decode(ptr, offset, 'const char *') as string | null;
    if (name === null) return names;
    names.push(name);
  }
}

function checkInt(name: string, value: number, min: number, max: number, path?: string): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new OpenSlideError('INVALID_ARGUMENT', `${name}: expected an integer in ${min}..${max}, got ${value}`, path);
  }
}

// ---------------------------------------------------------------------------
// Opening

/** OpenSlide's version string, e.g. "3.4.1". */
export function getVersion(): string {
  return lib().get_version() as string;
}

/** openslide_detect_vendor: the vendor OpenSlide would use for the file, or null if none. */
export function detectVendor(path: string): string | null {
  return lib().detect_vendor(path) as string | null;
}

const TIFF_MAGICS = ['49492a00', '4d4d002a', '49492b00', '4d4d002b'];

// Turns "openslide_open returned NULL" into the most useful message we can give.
function explainUnopenable(path: string): OpenSlideError {
  let head = '';
  try {
    const fd = openSync(path, 'r');
    try {
      const bytes = Buffer.alloc(4);
      readSync(fd, bytes, 0, 4, 0);
      head = bytes.toString('hex');
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    return new OpenSlideError('FILE_NOT_READABLE', `cannot read file: ${(err as Error).message}`, path);
  }
  const hint = TIFF_MAGICS.includes(head)
    ? ' (a TIFF file, but not a readable slide: truncated, damaged or not tiled)'
    : '';
  return new OpenSlideError('UNSUPPORTED_FORMAT', `not a slide OpenSlide can read${hint}`, path);
}

function checkOpenable(path: string): void {
  if (typeof path !== 'string' || path === '') {
    throw new OpenSlideError('INVALID_ARGUMENT', `path: expected a file path, got ${JSON.stringify(path)}`);
  }
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new OpenSlideError('FILE_NOT_FOUND', 'file not found', path);
    throw new OpenSlideError('FILE_NOT_READABLE', `cannot read file: ${(err as Error).message}`, path);
  }
  if (!isFile) throw new OpenSlideError('FILE_NOT_READABLE', 'not a regular file', path);
}

function finishOpen(path: string, ptr: bigint | null): OsrHandle {
  if (!ptr) throw explainUnopenable(path);
  const osr: MutableHandle = { ptr, path, closed: false };
  // A recognised but broken file comes back with its error already set.
  const message = lib().get_error(ptr) as string | null;
  if (message !== null) {
    lib().close(ptr);
    osr.closed = true;
    throw new OpenSlideError('OPENSLIDE_ERROR', `cannot open slide: ${message}`, path, message);
  }
  finalizer.register(osr, ptr, osr);
  return osr;
}

/** openslide_open. Throws FILE_NOT_FOUND, UNSUPPORTED_FORMAT or OPENSLIDE_ERROR, naming the file. */
export function open(path: string): OsrHandle {
  checkOpenable(path);
  return finishOpen(path, lib().open(path) as bigint | null);
}

/** openslide_open on a koffi worker thread: opening some formats reads a lot of the file. */
export async function openAsync(path: string): Promise<OsrHandle> {
  checkOpenable(path);
  const ptr = await new Promise<bigint | null>((resolve, reject) =>
    lib().open.async(path, (err: unknown, result: bigint | null) => (err ? reject(err) : resolve(result))),
  );
  return finishOpen(path, ptr);
}

/** openslide_close. Closing twice is a no-op. Reads still running on the handle must have finished. */
export function close(osr: OsrHandle): void {
  if (osr.closed) return;
  const handle = osr as MutableHandle;
  handle.closed = true;
  finalizer.unregister(handle);
  lib().close(handle.ptr);
}

// ---------------------------------------------------------------------------
// Levels

/** openslide_get_error: the sticky error string, or null. */
export function getError(osr: OsrHandle): string | null {
  return lib().get_error(live(osr)) as string | null;
}

export function getLevelCount(osr: OsrHandle): number {
  const count = lib().get_level_count(live(osr)) as number;
  check(osr, 'cannot get level count');
  return count;
}

export function getLevelDimensions(osr: OsrHandle, level: number): { width: number; height: number } {
  const wh = new BigInt64Array(2);
  lib().get_level_dimensions(live(osr), level, wh.subarray(0, 1), wh.subarray(1, 2));
  check(osr, `cannot get dimensions of level ${level}`);
  if (wh[0] < 0n) throw new OpenSlideError('INVALID_ARGUMENT', `level: ${level} does not exist`, osr.path);
  return { width: Number(wh[0]), height: Number(wh[1]) };
}

export function getLevelDownsample(osr: OsrHandle, level: number): number {
  const downsample = lib().get_level_downsample(live(osr), level) as number;
  check(osr, `cannot get downsample of level ${level}`);
  if (downsample < 0) throw new OpenSlideError('INVALID_ARGUMENT', `level: ${level} does not exist`, osr.path);
  return downsample;
}

export function getBestLevelForDownsample(osr: OsrHandle, downsample: number): number {
  const level = lib().get_best_level_for_downsample(live(osr), downsample) as number;
  check(osr, `cannot choose a level for downsample ${downsample}`);
  return level;
}

// ---------------------------------------------------------------------------
// Pixels

function checkRegion(
  osr: OsrHandle,
  dest: Uint8Array,
  x: number,
  y: number,
  level: number,
  w: number,
  h: number,
): void {
  checkInt('x', x, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, osr.path);
  checkInt('y', y, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, osr.path);
  checkInt('level', level, 0, 2 ** 31 - 1, osr.path);
  checkInt('width', w, 1, 2 ** 31 - 1, osr.path);
  checkInt('height', h, 1, 2 ** 31 - 1, osr.path);
  // OpenSlide writes w*h uint32 blindly: refuse a destination that is too short.
  if (!(dest instanceof Uint8Array) || dest.byteLength < w * h * 4) {
    throw new OpenSlideError(
      'INVALID_ARGUMENT',
      `dest: a ${w}x${h} region needs ${w * h * 4} bytes, got ${dest instanceof Uint8Array ? dest.byteLength : typeof dest}`,
      osr.path,
    );
  }
}

/**
 * openslide_read_region: fills `dest` with premultiplied ARGB uint32s (bytes B,G,R,A in memory).
 * x, y are level-0 pixels; w, h are pixels of `level`. Pixels outside the slide come back as 0.
 */
export function readRegion(
  osr: OsrHandle,
  dest: Uint8Array,
  x: number,
  y: number,
  level: number,
  w: number,
  h: number,
): void {
  const ptr = live(osr);
  checkRegion(osr, dest, x, y, level, w, h);
  lib().read_region(ptr, dest, x, y, level, w, h);
  check(osr, `cannot read region (${x}, ${y}) level ${level} ${w}x${h}`);
}

/**
 * readRegion on a koffi worker thread (OpenSlide reads are thread-safe). koffi refuses more than
 * 256 queued async calls in the process: callers bound how many they start (Slide does).
 */
export async function readRegionAsync(
  osr: OsrHandle,
  dest: Uint8Array,
  x: number,
  y: number,
  level: number,
  w: number,
  h: number,
): Promise<void> {
  const ptr = live(osr);
  checkRegion(osr, dest, x, y, level, w, h);
  await new Promise<void>((resolve, reject) =>
    lib().read_region.async(ptr, dest, x, y, level, w, h, (err: unknown) => (err ? reject(err) : resolve())),
  );
  check(osr, `cannot read region (${x}, ${y}) level ${level} ${w}x${h}`);
}

// ---------------------------------------------------------------------------
// Properties and associated images

export function getPropertyNames(osr: OsrHandle): string[] {
  const ptr = lib().get_property_names(live(osr)) as bigint | null;
  check(osr, 'cannot list properties');
  return readNameList(ptr);
}

/** The property's value, or null when the slide has no such property. */
export function getPropertyValue(osr: OsrHandle, name: string): string | null {
  const value = lib().get_property_value(live(osr), name) as string | null;
  check(osr, `cannot read property ${name}`);
  return value;
}

export function getAssociatedImageNames(osr: OsrHandle): string[] {
  const ptr = lib().get_associated_image_names(live(osr)) as bigint | null;
  check(osr, 'cannot list associated images');
  return readNameList(ptr);
}

/** Dimensions of an associated image; {width: -1, height: -1} when there is no such image (as in C). */
export function getAssociatedImageDimensions(osr: OsrHandle, name: string): { width: number; height: number } {
  const wh = new BigInt64Array(2);
  lib().get_associated_image_dimensions(live(osr), name, wh.subarray(0, 1), wh.subarray(1, 2));
  check(osr, `cannot get dimensions of associated image ${name}`);
  return { width: Number(wh[0]), height: Number(wh[1]) };
}

/** Fills `dest` (width*height*4 bytes, from getAssociatedImageDimensions) with premultiplied ARGB. */
export function readAssociatedImage(osr: OsrHandle, name: string, dest: Uint8Array): void {
  const ptr = live(osr);
  const { width, height } = getAssociatedImageDimensions(osr, name);
  if (width < 0)
    throw new OpenSlideError('INVALID_ARGUMENT', `no associated image named ${JSON.stringify(name)}`, osr.path);
  if (!(dest instanceof Uint8Array) || dest.byteLength < width * height * 4) {
    throw new OpenSlideError(
      'INVALID_ARGUMENT',
      `dest: associated image ${name} needs ${width * height * 4} bytes`,
      osr.path,
    );
  }
  lib().read_associated_image(ptr, name, dest);
  check(osr, `cannot read associated image ${name}`);
}
