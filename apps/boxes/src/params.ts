// Named, typed, bounded parameters of a box method, parsed from a command-line recipe
// `name:key=value,key=value` and recorded complete (defaults filled in) in provenance.
import { usageError } from '@slidepipe/cli';

export type ParamSpec =
  | { type: 'integer'; default: number; min: number; max: number; description: string }
  | { type: 'number'; default: number; min: number; max: number; description: string }
  | { type: 'string'; default: string; oneOf: readonly string[]; description: string };

export type ParamSpecs = Record<string, ParamSpec>;
export type Params = Record<string, number | string>;

export function expectedText(spec: ParamSpec): string {
  if (spec.type === 'string') return `one of ${spec.oneOf.join(', ')}`;
  return `${spec.type === 'integer' ? 'an integer' : 'a number'} in [${spec.min}, ${spec.max}]`;
}

function coerce(spec: ParamSpec, text: string): number | string {
  return spec.type === 'string' ? text : text.trim() === '' ? Number.NaN : Number(text);
}

function valid(spec: ParamSpec, v: number | string): boolean {
  if (spec.type === 'string') return typeof v === 'string' && spec.oneOf.includes(v);
  if (typeof v !== 'number' || !Number.isFinite(v) || v < spec.min || v > spec.max) return false;
  return spec.type === 'number' || Number.isInteger(v);
}

/**
 * Checks `given` (already typed values, or the text of a recipe) against `specs` and fills in the
 * defaults, in spec order, so the recorded recipe is complete.
 */
export function resolveParams(context: string, specs: ParamSpecs, given: Record<string, number | string> = {}): Params {
  for (const key of Object.keys(given)) {
    if (!Object.hasOwn(specs, key)) {
      throw usageError(context, `unknown parameter "${key}" (known: ${Object.keys(specs).join(', ') || 'none'})`);
    }
  }
  const out: Params = {};
  for (const [key, spec] of Object.entries(specs)) {
    const raw = Object.hasOwn(given, key) ? given[key] : spec.default;
    const v = typeof raw === 'string' && spec.type !== 'string' ? coerce(spec, raw) : raw;
    if (!valid(spec, v)) throw usageError(`${context}: ${key}`, `expected ${expectedText(spec)}, got ${JSON.stringify(raw)}`);
    out[key] = v;
  }
  return out;
}

/** Splits `name:key=value,key=value` into the name and the raw values. */
export function parseRecipe(flag: string, recipe: string): { name: string; given: Record<string, string> } {
  const colon = recipe.indexOf(':');
  const name = (colon < 0 ? recipe : recipe.slice(0, colon)).trim();
  const given: Record<string, string> = {};
  if (colon >= 0) {
    for (const part of recipe.slice(colon + 1).split(',')) {
      if (part.trim() === '') continue;
      const eq = part.indexOf('=');
      if (eq < 0) throw usageError(flag, `expected key=value after "${name}:", got ${JSON.stringify(part)}`);
      given[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
    }
  }
  return { name, given };
}

/** Words of `text` in lines of at most `width` characters, the first after `first`, the rest after `indent`. */
export function wrap(text: string, first: string, indent: string, width = 100): string {
  const lines: string[] = [];
  let cur = first;
  for (const word of text.split(/\s+/)) {
    if (cur.length + word.length + 1 > width && cur.trim() !== first.trim()) {
      lines.push(cur.trimEnd());
      cur = indent;
    }
    cur += (cur === indent || cur === first ? '' : ' ') + word;
  }
  lines.push(cur.trimEnd());
  return lines.join('\n');
}

/** One entry per parameter, for --help: name=default, meaning, accepted values. */
export function describeParams(specs: ParamSpecs, indent = '    '): string {
  return Object.entries(specs)
    .map(([k, s]) => wrap(`${s.description} (${expectedText(s)})`, `${indent}${`${k}=${s.default}`.padEnd(22)} `, `${indent}${' '.repeat(23)}`))
    .join('\n');
}
