// Recipes: a named method with typed, bounded parameters, written `name` or `name:key=value,key=value`
// on a command line and recorded complete (defaults filled in) in provenance. Tissue detectors, box
// methods and the rest read them here, so the syntax and the checks exist once; how an error is worded
// stays each library's (its tests pin it), through a RecipeWording.
import { type SlidepipeError, usageError } from './errors';

/** How one parameter is typed, bounded and defaulted; its description documents it in --help. */
export type ParamSpec =
  | { type: 'integer'; default: number; min: number; max: number; odd?: boolean; description: string }
  | {
      type: 'number';
      default: number;
      min: number;
      max: number;
      /** Bounds are inclusive unless marked exclusive. */
      minExclusive?: boolean;
      maxExclusive?: boolean;
      description: string;
    }
  | { type: 'boolean'; default: boolean; description: string }
  | { type: 'string'; default: string; oneOf: readonly string[]; description: string }
  /** A file name; the empty default means none was given (the method says whether it needs one). */
  | { type: 'path'; default: string; description: string };

export type NumberParamSpec = Extract<ParamSpec, { type: 'number' }>;
export type ParamSpecs = Record<string, ParamSpec>;
export type ParamValue = number | string | boolean;
export type Params = Record<string, ParamValue>;

/** What is wrong with a recipe or its parameters; `name` is the method's. A RecipeWording phrases it. */
export type RecipeProblem =
  | { kind: 'unknown-name'; name: unknown; known: readonly string[] }
  | { kind: 'not-key-value'; name: string; part: string }
  | { kind: 'not-an-object'; name: string; given: unknown }
  | { kind: 'unknown-param'; name: string; key: string; known: readonly string[] }
  /** `value` is the typed value (the text when it has no such type), `text` what the recipe said. */
  | { kind: 'bad-value'; name: string; key: string; expected: string; value: unknown; text?: string };

/** How a family of recipes words its errors; `what` says where names come from (`--method`). */
export interface RecipeWording {
  /** Whether string choices read `one of "a", "b"` rather than `one of a, b`. */
  readonly quoteChoices: boolean;
  error(what: string, problem: RecipeProblem): SlidepipeError;
}

/** The house wording, "<what> <name>: <key>: expected X, got Y", as usageError and expectParam write. */
export const USAGE_WORDING: RecipeWording = {
  quoteChoices: false,
  error(what, p) {
    switch (p.kind) {
      case 'unknown-name':
        return usageError(what, `expected one of ${p.known.join(', ')}, got ${JSON.stringify(p.name)}`);
      case 'not-key-value':
        return usageError(what, `expected key=value after "${p.name}:", got ${JSON.stringify(p.part)}`);
      case 'not-an-object':
        return usageError(`${what} ${p.name}`, `expected an object of parameters, got ${JSON.stringify(p.given)}`);
      case 'unknown-param':
        return usageError(`${what} ${p.name}`, `unknown parameter "${p.key}" (known: ${p.known.join(', ') || 'none'})`);
      case 'bad-value': {
        const got = JSON.stringify(p.text ?? p.value); // the text as written, when it came from a recipe
        return usageError(`${what} ${p.name}: ${p.key}`, `expected ${p.expected}, got ${got}`);
      }
    }
  },
};

/** Where a method's parameters are checked: for errors only. */
export interface ParamContext {
  what: string;
  name: string;
  wording: RecipeWording;
}

const BOOLEAN_TEXTS = 'true, false, 1 or 0';

/** `[min, max]`, with `(` or `)` on an exclusive side. */
type Bounds = { min: number; max: number; minExclusive?: boolean; maxExclusive?: boolean };

export function rangeText(spec: Bounds): string {
  return `${spec.minExclusive ? '(' : '['}${spec.min}, ${spec.max}${spec.maxExclusive ? ')' : ']'}`;
}

export function expectedText(spec: ParamSpec, quoteChoices = false): string {
  switch (spec.type) {
    case 'integer':
      return `${spec.odd ? 'an odd integer' : 'an integer'} in ${rangeText(spec)}`;
    case 'number':
      return `a number in ${rangeText(spec)}`;
    case 'boolean':
      return 'a boolean';
    case 'string':
      return `one of ${spec.oneOf.map((s) => (quoteChoices ? JSON.stringify(s) : s)).join(', ')}`;
    case 'path':
      return 'a file path';
  }
}

function inRange(spec: Bounds, v: number): boolean {
  return (spec.minExclusive ? v > spec.min : v >= spec.min) && (spec.maxExclusive ? v < spec.max : v <= spec.max);
}

/** Whether `value` has the parameter's type and lies within its bounds. */
export function isValidParam(spec: ParamSpec, value: unknown): value is ParamValue {
  switch (spec.type) {
    case 'integer':
      return (
        typeof value === 'number' && Number.isInteger(value) && inRange(spec, value) && (!spec.odd || value % 2 === 1)
      );
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) && inRange(spec, value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'string':
      return typeof value === 'string' && spec.oneOf.includes(value);
    case 'path':
      return typeof value === 'string';
  }
}

/** Command-line text as the parameter's type; undefined when it is none. */
function fromText(spec: ParamSpec, text: string): ParamValue | undefined {
  switch (spec.type) {
    case 'integer':
    case 'number': {
      const n = text.trim() === '' ? Number.NaN : Number(text);
      return Number.isFinite(n) ? n : undefined;
    }
    case 'boolean':
      return text === 'true' || text === '1' ? true : text === 'false' || text === '0' ? false : undefined;
    case 'string':
    case 'path':
      return text;
  }
}

function checkKnown(ctx: ParamContext, specs: ParamSpecs, keys: Iterable<string>): void {
  for (const key of keys) {
    if (!Object.hasOwn(specs, key)) {
      throw ctx.wording.error(ctx.what, { kind: 'unknown-param', name: ctx.name, key, known: Object.keys(specs) });
    }
  }
}

/** Splits a recipe into its method name and the text after the colon (undefined without one). */
export function splitRecipe(recipe: string): { name: string; body: string | undefined } {
  const colon = recipe.indexOf(':');
  if (colon < 0) return { name: recipe.trim(), body: undefined };
  return { name: recipe.slice(0, colon).trim(), body: recipe.slice(colon + 1) };
}

/**
 * The values a recipe body `key=value,key=value` gives, typed by `specs` and checked (unknown names
 * first, then each value in spec order); defaults are not filled in. Empty parts are skipped.
 */
export function readRecipeParams(ctx: ParamContext, specs: ParamSpecs, body: string | undefined): Params {
  const texts = new Map<string, string>();
  for (const part of body === undefined ? [] : body.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq < 0) throw ctx.wording.error(ctx.what, { kind: 'not-key-value', name: ctx.name, part });
    texts.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  checkKnown(ctx, specs, texts.keys());
  const out: Params = {};
  for (const [key, spec] of Object.entries(specs)) {
    const text = texts.get(key);
    if (text === undefined) continue;
    const value = fromText(spec, text);
    if (value === undefined || !isValidParam(spec, value)) {
      const expected =
        value === undefined && spec.type === 'boolean' ? BOOLEAN_TEXTS : expectedText(spec, ctx.wording.quoteChoices);
      const problem = { kind: 'bad-value', name: ctx.name, key, expected, value: value ?? text, text } as const;
      throw ctx.wording.error(ctx.what, problem);
    }
    out[key] = value;
  }
  return out;
}

/**
 * Checks typed values (`undefined` ones count as not given) against `specs` and fills in the defaults.
 * The result lists every parameter in spec order, so the recorded recipe is complete.
 */
export function resolveParams(ctx: ParamContext, specs: ParamSpecs, given: unknown = {}): Params {
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw ctx.wording.error(ctx.what, { kind: 'not-an-object', name: ctx.name, given });
  }
  checkKnown(ctx, specs, Object.keys(given));
  const record = given as Record<string, unknown>;
  const out: Params = {};
  for (const [key, spec] of Object.entries(specs)) {
    const value = Object.hasOwn(record, key) && record[key] !== undefined ? record[key] : spec.default;
    if (!isValidParam(spec, value)) {
      const expected = expectedText(spec, ctx.wording.quoteChoices);
      throw ctx.wording.error(ctx.what, { kind: 'bad-value', name: ctx.name, key, expected, value });
    }
    out[key] = value;
  }
  return out;
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
export function describeParams(specs: ParamSpecs, indent = '    ', quoteChoices = false): string {
  return Object.entries(specs)
    .map(([k, s]) => {
      const head = `${indent}${`${k}=${s.default}`.padEnd(22)} `;
      return wrap(`${s.description} (${expectedText(s, quoteChoices)})`, head, `${indent}${' '.repeat(23)}`);
    })
    .join('\n');
}
