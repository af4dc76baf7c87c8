import { posix } from 'node:path';
import { TrackingError } from './errors';

/** A parameter value as the trainer has it; MLflow stores every parameter as a string. */
export type ParamValue =
  string | number | boolean | bigint | null | undefined | readonly unknown[] | { readonly [k: string]: unknown };
export type Params = Readonly<Record<string, ParamValue>>;

// MLflow's own limits (mlflow/utils/validation.py); a server refuses anything larger.
export const MAX_KEY_LENGTH = 250;
export const MAX_PARAM_VALUE_LENGTH = 6000;
export const MAX_TAG_VALUE_LENGTH = 5000;

// MLflow's name rule: these characters only, and the name must stay the same path once
// normalised, since the file store uses it as a file path (so `../x` cannot escape the run).
const VALID_NAME = /^[/\w.\- ]*$/;

export function checkKey(kind: 'metric' | 'param' | 'tag', key: string): void {
  if (typeof key !== 'string' || key.length === 0) {
    throw new TrackingError(
      'TRACKING_INVALID',
      `mlflow: ${kind} name must be a non-empty string, got ${JSON.stringify(key)}`,
    );
  }
  if (!VALID_NAME.test(key)) {
    throw new TrackingError(
      'TRACKING_INVALID',
      `mlflow: invalid ${kind} name ${JSON.stringify(key)}: expected only letters, digits, _ - . space and /`,
    );
  }
  const norm = posix.normalize(key);
  if (norm !== key || norm === '.' || norm.startsWith('..') || norm.startsWith('/')) {
    throw new TrackingError(
      'TRACKING_INVALID',
      `mlflow: invalid ${kind} name ${JSON.stringify(key)}: it would resolve to the path ${JSON.stringify(norm)}`,
    );
  }
  if (key.length > MAX_KEY_LENGTH) {
    throw new TrackingError(
      'TRACKING_INVALID',
      `mlflow: ${kind} name is ${key.length} characters, the limit is ${MAX_KEY_LENGTH}`,
    );
  }
}

export function checkValueLength(kind: 'param' | 'tag', key: string, value: string): void {
  const limit = kind === 'param' ? MAX_PARAM_VALUE_LENGTH : MAX_TAG_VALUE_LENGTH;
  if (value.length > limit) {
    throw new TrackingError(
      'TRACKING_INVALID',
      `mlflow: ${kind} ${key} is ${value.length} characters long, the limit is ${limit}`,
    );
  }
}

export function checkStep(step: number): void {
  if (!Number.isSafeInteger(step)) {
    throw new TrackingError('TRACKING_INVALID', `mlflow: step must be an integer, got ${step}`);
  }
}

export function checkMetric(key: string, value: number, step: number): void {
  checkKey('metric', key);
  if (typeof value !== 'number') {
    throw new TrackingError('TRACKING_INVALID', `mlflow: metric ${key} must be a number, got ${typeof value}`);
  }
  checkStep(step);
}

/** Parameters as MLflow strings: undefined entries are left out; null, objects and arrays are written as JSON. */
export function stringifyParams(params: Params | undefined): [string, string][] {
  const out: [string, string][] = [];
  for (const [key, v] of Object.entries(params ?? {})) {
    if (v === undefined) continue;
    checkKey('param', key);
    const s = v === null ? 'null' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    checkValueLength('param', key, s);
    out.push([key, s]);
  }
  return out;
}
