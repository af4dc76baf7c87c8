import { SlidepipeError } from '@slidepipe/core';

/** Errors of this library: a parameter or detector name is a usage error, a picture bad input. */
export type TissueErrorCode = 'usage' | 'bad-input';

export class TissueError extends SlidepipeError {
  override name = 'TissueError';
  declare readonly code: TissueErrorCode;
  constructor(code: TissueErrorCode, message: string) {
    super(code, message);
  }
}

export interface TissueParamErrorInfo {
  /** Where the parameter belongs, e.g. `tissue detector "rgb-distance"`. */
  context: string;
  parameter: string;
  expected: string;
  /** The value given; omitted when the parameter name itself is what is wrong. */
  received?: unknown;
  unknownName?: boolean;
}

/** A parameter (or detector name) that is unknown, of the wrong type, or out of range. */
export class TissueParamError extends TissueError {
  readonly parameter: string;
  readonly expected: string;
  readonly received: string;
  constructor(info: TissueParamErrorInfo) {
    const received = info.unknownName ? JSON.stringify(info.parameter) : describeValue(info.received);
    const message = info.unknownName
      ? `${info.context}: unknown ${JSON.stringify(info.parameter)}: expected ${info.expected}`
      : `${info.context}: parameter ${JSON.stringify(info.parameter)}: expected ${info.expected}, received ${received}`;
    super('usage', message);
    this.name = 'TissueParamError';
    this.parameter = info.parameter;
    this.expected = info.expected;
    this.received = received;
  }
}

/** An image, mask or rectangle whose numbers do not fit together. */
export class TissueInputError extends TissueError {
  constructor(message: string) {
    super('bad-input', message);
    this.name = 'TissueInputError';
  }
}

export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `${JSON.stringify(value)} (string)`;
  if (value === undefined) return 'nothing (undefined)';
  if (value === null) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean') return `${String(value)} (${typeof value})`;
  return `a value of type ${Array.isArray(value) ? 'array' : typeof value}`;
}
