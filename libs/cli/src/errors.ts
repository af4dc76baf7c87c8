// Errors live in the ground floor (libs/core); tools import them from here or from there.
import { SlidepipeError, type ErrorCode } from '@slidepipe/core';

export * from '@slidepipe/core';

/**
 * An error of one library kind given the name of what it concerns ("--boxes: ..."), keeping its
 * exit class unless `code` is given; any other error passes unchanged (it already names its input).
 */
export function namedAs(
  e: unknown,
  kind: abstract new (...args: never[]) => SlidepipeError,
  what: string,
  code?: ErrorCode,
): unknown {
  return e instanceof kind ? new SlidepipeError(code ?? e.code, what, e.message) : e;
}
