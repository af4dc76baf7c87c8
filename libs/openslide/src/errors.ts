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

// Exit statuses from libs/cli's vocabulary (sysexits: 64 usage, 65 bad input, 66 no input, 70 software),
// kept here so this library does not depend on the command-line layer.
const EXIT_CODES: Record<OpenSlideErrorCode, number> = {
  LIBRARY_MISSING: 70, // EX_SOFTWARE: the install is broken
  FILE_NOT_FOUND: 66, // EX_NOINPUT
  FILE_NOT_READABLE: 66,
  UNSUPPORTED_FORMAT: 65, // EX_DATAERR
  OPENSLIDE_ERROR: 65,
  SLIDE_CLOSED: 70, // EX_SOFTWARE: a caller bug
  INVALID_ARGUMENT: 64, // EX_USAGE
  NO_MPP: 65,
};

/** Every failure of @slidepipe/openslide. Messages read `<what>: <cause> (slide <path>)`. */
export class OpenSlideError extends Error {
  override readonly name = 'OpenSlideError';
  readonly code: OpenSlideErrorCode;
  readonly exitCode: number;
  /** The slide file concerned, when there is one. */
  readonly path: string | undefined;
  /** OpenSlide's own error string (openslide_get_error), when the failure came from the library. */
  readonly openslideMessage: string | undefined;

  constructor(code: OpenSlideErrorCode, what: string, path?: string, openslideMessage?: string) {
    super(path === undefined ? what : `${what} (slide ${path})`);
    this.code = code;
    this.exitCode = EXIT_CODES[code];
    this.path = path;
    this.openslideMessage = openslideMessage;
  }
}
