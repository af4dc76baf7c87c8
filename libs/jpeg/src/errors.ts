export type JpegErrorCode =
  | 'JPEG_LIBRARY_MISSING'
  | 'JPEG_INVALID_ARGUMENT'
  | 'JPEG_ENCODE_FAILED'
  | 'JPEG_DECODE_FAILED'
  | 'JPEG_INIT_FAILED';

// Exit statuses from libs/cli's vocabulary (sysexits: 64 usage, 65 bad input, 66 no input, 70 software),
// kept here so this library does not depend on the command-line layer.
const EXIT_CODES: Record<JpegErrorCode, number> = {
  JPEG_LIBRARY_MISSING: 70, // EX_SOFTWARE: the install is broken
  JPEG_INVALID_ARGUMENT: 64, // EX_USAGE: a caller bug, not bad data
  JPEG_ENCODE_FAILED: 70, // EX_SOFTWARE
  JPEG_DECODE_FAILED: 65, // EX_DATAERR
  JPEG_INIT_FAILED: 70,
};

/** Every failure of @slidepipe/jpeg: a stable `code`, TurboJPEG's own message when it has one. */
export class JpegError extends Error {
  override readonly name = 'JpegError';
  readonly code: JpegErrorCode;
  readonly exitCode: number;
  /** TurboJPEG's message (tjGetErrorStr2), when the failure came from the library. */
  readonly tjMessage: string | undefined;
  /** True when TurboJPEG flagged only a warning (e.g. truncated data it could still decode). */
  readonly warning: boolean;

  constructor(code: JpegErrorCode, message: string, tjMessage?: string, warning = false) {
    super(message);
    this.code = code;
    this.exitCode = EXIT_CODES[code];
    this.tjMessage = tjMessage;
    this.warning = warning;
  }
}
