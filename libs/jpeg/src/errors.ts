import { type ErrorCode, SlidepipeError } from '@slidepipe/core';

export type JpegErrorCode =
  'JPEG_LIBRARY_MISSING' | 'JPEG_INVALID_ARGUMENT' | 'JPEG_ENCODE_FAILED' | 'JPEG_DECODE_FAILED' | 'JPEG_INIT_FAILED';

const EXIT_CLASS: Record<JpegErrorCode, ErrorCode> = {
  JPEG_LIBRARY_MISSING: 'runtime', // the install is broken
  JPEG_INVALID_ARGUMENT: 'usage', // a caller bug, not bad data
  JPEG_ENCODE_FAILED: 'runtime',
  JPEG_DECODE_FAILED: 'bad-input',
  JPEG_INIT_FAILED: 'runtime',
};

/** Every failure of @slidepipe/jpeg: a stable `reason`, TurboJPEG's own message when it has one. */
export class JpegError extends SlidepipeError {
  override readonly name = 'JpegError';
  declare readonly reason: JpegErrorCode;
  /** TurboJPEG's message (tjGetErrorStr2), when the failure came from the library. */
  readonly tjMessage: string | undefined;
  /** True when TurboJPEG flagged only a warning (e.g. truncated data it could still decode). */
  readonly warning: boolean;

  constructor(reason: JpegErrorCode, message: string, tjMessage?: string, warning = false) {
    super(EXIT_CLASS[reason], message, undefined, { reason });
    this.tjMessage = tjMessage;
    this.warning = warning;
  }
}
