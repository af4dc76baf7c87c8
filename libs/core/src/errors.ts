// The one error base of slidepipe: every library error extends SlidepipeError, so a tool's runner
// turns any of them into "<tool>: <what>: <cause>" on one line and its exit status, with no mapping.

/** Exit statuses (sysexits.h where one fits); the README's table lists the same. */
export const EXIT = {
  ok: 0,
  runtime: 70, // EX_SOFTWARE
  usage: 64, // EX_USAGE
  'bad-input': 65, // EX_DATAERR
  'no-input': 66, // EX_NOINPUT
  'output-exists': 73, // EX_CANTCREAT
  'truncated-input': 74, // EX_IOERR
  interrupted: 130, // 128 + SIGINT
} as const;

export type ErrorCode = Exclude<keyof typeof EXIT, 'ok'>;

export class SlidepipeError extends Error {
  override name = 'SlidepipeError';
  /** The class of failure, which fixes the exit status. */
  readonly code: ErrorCode;
  readonly exitCode: number;
  /** A library's finer, stable kind (e.g. `NO_MPP`, `INVALID_BOX`), when it has one. */
  readonly reason: string | undefined;
  constructor(code: ErrorCode, what: string, cause?: string, options?: { reason?: string; cause?: unknown }) {
    super(
      oneLine(cause === undefined ? what : `${what}: ${cause}`),
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.code = code;
    this.exitCode = EXIT[code];
    this.reason = options?.reason;
  }
}

/**
 * A message as one line: causes often quote text from a damaged file, so control characters are
 * escaped and very long messages cut.
 */
export function oneLine(message: string, max = 600): string {
  const flat = message
    .replace(/\r?\n\s*/g, ' ')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}

export const usageError = (what: string, cause?: string) => new SlidepipeError('usage', what, cause);
export const inputError = (what: string, cause?: string) => new SlidepipeError('bad-input', what, cause);
export const truncatedError = (what: string, cause?: string) => new SlidepipeError('truncated-input', what, cause);

/** Parameter check failures read "expected X, got Y". */
export function expectParam(ok: boolean, flag: string, expected: string, got: unknown): void {
  if (!ok) throw usageError(flag, `expected ${expected}, got ${JSON.stringify(got)}`);
}

/** Whether an error came from writing to a closed pipe (downstream exited early, e.g. `| head`). */
export function isBrokenPipe(e: unknown): boolean {
  return (
    (e as NodeJS.ErrnoException | undefined)?.code === 'EPIPE' ||
    (e as { code?: string })?.code === 'ERR_STREAM_DESTROYED'
  );
}
