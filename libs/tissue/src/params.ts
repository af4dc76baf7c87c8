import { TissueParamError } from './errors';
import type { ParamValue, Params } from './types';

/** How one detector parameter is typed, bounded and defaulted; also its documentation. */
export type ParamSpec =
  | { type: 'integer'; default: number; min: number; max: number; odd?: boolean; description: string }
  | { type: 'number'; default: number; min: number; max: number; description: string }
  | { type: 'boolean'; default: boolean; description: string }
  | { type: 'string'; default: string; oneOf: readonly string[]; description: string };

export type ParamSpecs = Record<string, ParamSpec>;

export function expectedText(spec: ParamSpec): string {
  switch (spec.type) {
    case 'integer':
      return `${spec.odd ? 'an odd integer' : 'an integer'} in [${spec.min}, ${spec.max}]`;
    case 'number':
      return `a number in [${spec.min}, ${spec.max}]`;
    case 'boolean':
      return 'a boolean';
    case 'string':
      return `one of ${spec.oneOf.map((s) => JSON.stringify(s)).join(', ')}`;
  }
}

function isValid(spec: ParamSpec, value: unknown): value is ParamValue {
  switch (spec.type) {
    case 'integer':
      return (
        typeof value === 'number' &&
        Number.isInteger(value) &&
        value >= spec.min &&
        value <= spec.max &&
        (!spec.odd || value % 2 === 1)
      );
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) && value >= spec.min && value <= spec.max;
    case 'boolean':
      return typeof value === 'boolean';
    case 'string':
      return typeof value === 'string' && spec.oneOf.includes(value);
  }
}

/**
 * Checks `given` against `specs` and fills in defaults. The result lists every parameter, in the
 * order of `specs`, so the recorded recipe is complete even when the caller gave nothing.
 */
export function resolveParams(context: string, specs: ParamSpecs, given: unknown): Params {
  if (given === undefined) given = {};
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw new TissueParamError({ context, parameter: 'params', expected: 'an object of named parameters', received: given });
  }
  const known = Object.keys(specs);
  for (const key of Object.keys(given)) {
    if (!Object.hasOwn(specs, key)) {
      throw new TissueParamError({
        context,
        parameter: key,
        unknownName: true,
        expected: known.length ? `a parameter among ${known.join(', ')}` : 'no parameters',
      });
    }
  }
  const out: Params = {};
  const record = given as Record<string, unknown>;
  for (const key of known) {
    const spec = specs[key];
    const value = Object.hasOwn(record, key) && record[key] !== undefined ? record[key] : spec.default;
    if (!isValid(spec, value)) {
      throw new TissueParamError({ context, parameter: key, expected: expectedText(spec), received: value });
    }
    out[key] = value;
  }
  return out;
}

/** Turns the text of a command-line value into the parameter's type, before `resolveParams` checks it. */
export function coerceParamText(context: string, key: string, spec: ParamSpec | undefined, text: string): ParamValue {
  if (!spec) return text; // resolveParams reports the unknown name with the list of known ones
  switch (spec.type) {
    case 'integer':
    case 'number': {
      const n = text.trim() === '' ? Number.NaN : Number(text);
      if (!Number.isFinite(n)) {
        throw new TissueParamError({ context, parameter: key, expected: expectedText(spec), received: text });
      }
      return n;
    }
    case 'boolean':
      if (text === 'true' || text === '1') return true;
      if (text === 'false' || text === '0') return false;
      throw new TissueParamError({ context, parameter: key, expected: 'true, false, 1 or 0', received: text });
    case 'string':
      return text;
  }
}
