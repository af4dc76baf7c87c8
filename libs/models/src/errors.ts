/**
 * Error raised by @slidepipe/models. `code` is stable so the tools' error mapping (libs/cli) can
 * branch on it without parsing the message; messages say what was expected and what was received.
 */
export class ModelError extends Error {
  readonly code: ModelErrorCode;

  constructor(code: ModelErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ModelError';
    this.code = code;
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
