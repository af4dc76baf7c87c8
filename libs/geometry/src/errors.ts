import { SlidepipeError } from '@slidepipe/core';

/** Errors of this library: a labelling rule given on the command line is a usage error, everything else bad input. */
export type GeometryErrorReason =
  'INVALID_BOX' | 'INVALID_POLYGON' | 'INVALID_GEOJSON' | 'INVALID_ANNOTATIONS' | 'INVALID_RULE' | 'CLIPPING_FAILED';

export class GeometryError extends SlidepipeError {
  override name = 'GeometryError';
  declare readonly reason: GeometryErrorReason;
  constructor(reason: GeometryErrorReason, message: string, options?: { cause?: unknown }) {
    super(reason === 'INVALID_RULE' ? 'usage' : 'bad-input', message, undefined, { reason, cause: options?.cause });
  }
}
