/**
 * Errors of this library. `code` and `exitCode` use the vocabulary of libs/cli's SlidepipeError
 * (usage = EX_USAGE 64, bad-input = EX_DATAERR 65) so a tool maps them without knowing this
 * library, which stays independent of the command-line layer. `reason` is the finer, stable kind.
 */
export type GeometryErrorReason =
  | 'INVALID_BOX'
  | 'INVALID_POLYGON'
  | 'INVALID_GEOJSON'
  | 'INVALID_ANNOTATIONS'
  | 'INVALID_RULE'
  | 'CLIPPING_FAILED';

export class GeometryError extends Error {
  readonly reason: GeometryErrorReason;
  /** A labelling rule given on the command line is a usage error; everything else is bad input data. */
  readonly code: 'usage' | 'bad-input';
  readonly exitCode: 64 | 65;

  constructor(reason: GeometryErrorReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GeometryError';
    this.reason = reason;
    this.code = reason === 'INVALID_RULE' ? 'usage' : 'bad-input';
    this.exitCode = this.code === 'usage' ? 64 : 65;
  }
}
