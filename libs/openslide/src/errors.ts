import { type ErrorCode, SlidepipeError } from '@slidepipe/core';

export type OpenSlideErrorCode =
  /** libopenslide.so.0 could not be loaded. */
  | 'LIBRARY_MISSING'
  | 'FILE_NOT_FOUND'
  /** The path exists but is a directory or cannot be read. */
  | 'FILE_NOT_READABLE'
  /** openslide_open returned NULL: not a format OpenSlide recognises, or damaged beyond recognition. */
  | 'UNSUPPORTED_FORMAT'
  /** OpenSlide set its (sticky) error string; the handle is unusable from then on. */
  | 'OPENSLIDE_ERROR'
  | 'SLIDE_CLOSED'
  | 'INVALID_ARGUMENT'
  /** The slide has no resolution and none was given. */
  | 'NO_MPP';

const EXIT_CLASS: Record<OpenSlideErrorCode, ErrorCode> = {
  LIBRARY_MISSING: 'runtime', // the install is broken
  FILE_NOT_FOUND: 'no-input',
  FILE_NOT_READABLE: 'no-input',
  UNSUPPORTED_FORMAT: 'bad-input',
  OPENSLIDE_ERROR: 'bad-input',
  SLIDE_CLOSED: 'runtime', // a caller bug
  INVALID_ARGUMENT: 'usage',
  NO_MPP: 'bad-input',
};

/** Every failure of @slidepipe/openslide. Messages read `<what>: <cause> (slide <path>)`. */
export class OpenSlideError extends SlidepipeError {
  override readonly name = 'OpenSlideError';
  declare readonly reason: OpenSlideErrorCode;
  /** The slide file concerned, when there is one. */
  readonly path: string | undefined;
  /** OpenSlide's own error string (openslide_get_error), when the failure came from the library. */
  readonly openslideMessage: string | undefined;

  constructor(reason: OpenSlideErrorCode, what: string, path?: string, openslideMessage?: string) {
    super(EXIT_CLASS[reason], path === undefined ? what : `${what} (slide ${path})`, undefined, { reason });
    this.path = path;
    this.openslideMessage = openslideMessage;
  }
}
