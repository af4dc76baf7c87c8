import { type ErrorCode, SlidepipeError } from '@slidepipe/core';

const EXIT_CLASS: Record<ModelErrorCode, ErrorCode> = {
  INVALID_GRAPH: 'runtime',
  INVALID_PARAMETER: 'usage',
  INVALID_DATA: 'bad-input',
  INVALID_STATE: 'bad-input',
  DIVERGED: 'runtime',
};

/**
 * Error raised by @slidepipe/models. `reason` is stable so callers branch on it without parsing
 * the message; messages say what was expected and what was received.
 */
export class ModelError extends SlidepipeError {
  override name = 'ModelError';
  declare readonly reason: ModelErrorCode;
  constructor(reason: ModelErrorCode, message: string, options?: { cause?: unknown }) {
    super(EXIT_CLASS[reason], message, undefined, { reason, cause: options?.cause });
  }
}

export type ModelErrorCode =
  /** A graph under construction is malformed (a programming error in the caller). */
  | 'INVALID_GRAPH'
  /** An option or hyper-parameter is out of range. */
  | 'INVALID_PARAMETER'
  /** Training or prediction data has the wrong size or values. */
  | 'INVALID_DATA'
  /** A saved trainer state is unreadable or from another format version. */
  | 'INVALID_STATE'
  /** The loss became NaN or infinite. */
  | 'DIVERGED';
