// Thin koffi binding of the TurboJPEG 2.1 C API (Debian libturbojpeg0).
// Loaded on first use so importing the library costs nothing until a JPEG is made.
import koffi from 'koffi';
import type { LibraryHandle } from 'koffi';
import { JpegError } from './errors';

export const LIBRARY_NAME = 'libturbojpeg.so.0';

// enum TJPF
export const TJPF = {
  RGB: 0,
  BGR: 1,
  RGBX: 2,
  BGRX: 3,
  XBGR: 4,
  XRGB: 5,
  GRAY: 6,
  RGBA: 7,
  BGRA: 8,
  ABGR: 9,
  ARGB: 10,
} as const;
// enum TJSAMP
export const TJSAMP = { S444: 0, S422: 1, S420: 2, GRAY: 3, S440: 4, S411: 5 } as const;
export const TJFLAG_NOREALLOC = 1024;
export const TJERR_WARNING = 0;

type Fn = ReturnType<LibraryHandle['func']>;

export interface TurboJpeg {
  /** tjhandle tjInitCompress(void) */
  tjInitCompress: Fn;
  /** tjhandle tjInitDecompress(void) */
  tjInitDecompress: Fn;
  /** int tjCompress2(h, const uchar *src, int w, int pitch, int h, int pf, uchar **jpegBuf, ulong *jpegSize, int subsamp, int qual, int flags) */
  tjCompress2: Fn;
  /** int tjDecompressHeader3(h, const uchar *jpeg, ulong size, int *w, int *h, int *subsamp, int *colorspace) */
  tjDecompressHeader3: Fn;
  /** int tjDecompress2(h, const uchar *jpeg, ulong size, uchar *dst, int w, int pitch, int h, int pf, int flags) */
  tjDecompress2: Fn;
  /** int tjDestroy(tjhandle) */
  tjDestroy: Fn;
  /** char *tjGetErrorStr2(tjhandle) */
  tjGetErrorStr2: Fn;
  /** int tjGetErrorCode(tjhandle): TJERR_WARNING (0) or TJERR_FATAL (1) */
  tjGetErrorCode: Fn;
  /** void tjFree(uchar *) */
  tjFree: Fn;
  /** ulong tjBufSize(int w, int h, int subsamp): worst-case JPEG size */
  tjBufSize: Fn;
}

let cached: TurboJpeg | undefined;

export function turbojpeg(): TurboJpeg {
  if (cached) return cached;
  let lib: LibraryHandle;
  try {
    lib = koffi.load(LIBRARY_NAME);
  } catch (err) {
    throw new JpegError(
      'JPEG_LIBRARY_MISSING',
      `cannot load ${LIBRARY_NAME} (Debian package libturbojpeg0): ${(err as Error).message}`,
    );
  }
  // Anonymous types: named koffi types are process-global and would clash with other bindings.
  const handle = koffi.pointer(koffi.opaque());
  cached = {
    tjInitCompress: lib.func('tjInitCompress', handle, []),
    tjInitDecompress: lib.func('tjInitDecompress', handle, []),
    tjCompress2: lib.func('tjCompress2', 'int', [
      handle,
      'void *',
      'int',
      'int',
      'int',
      'int',
      'void *',
      'void *',
      'int',
      'int',
      'int',
    ]),
    tjDecompressHeader3: lib.func('tjDecompressHeader3', 'int', [
      handle,
      'void *',
      'unsigned long',
      'void *',
      'void *',
      'void *',
      'void *',
    ]),
    tjDecompress2: lib.func('tjDecompress2', 'int', [
      handle,
      'void *',
      'unsigned long',
      'void *',
      'int',
      'int',
      'int',
      'int',
      'int',
    ]),
    tjDestroy: lib.func('tjDestroy', 'int', [handle]),
    tjGetErrorStr2: lib.func('tjGetErrorStr2', 'const char *', [handle]),
    tjGetErrorCode: lib.func('tjGetErrorCode', 'int', [handle]),
    tjFree: lib.func('tjFree', 'void', ['void *']),
    tjBufSize: lib.func('tjBufSize', 'unsigned long', ['int', 'int', 'int']),
  };
  return cached;
}
