import { describe, expect, it } from 'vitest';
import { SlidepipeError } from './errors';
import {
  describeParams,
  expectedText,
  isValidParam,
  rangeText,
  readRecipeParams,
  resolveParams,
  splitRecipe,
  USAGE_WORDING,
  type ParamContext,
  type ParamSpecs,
} from './recipe';

const SPECS: ParamSpecs = {
  size: { type: 'integer', default: 3, min: 1, max: 9, odd: true, description: 'kernel size' },
  rate: { type: 'number', default: 0.5, min: 0, max: 1, minExclusive: true, description: 'a rate' },
  fill: { type: 'boolean', default: false, description: 'fill holes' },
  shape: { type: 'string', default: 'disc', oneOf: ['disc', 'square'], description: 'element shape' },
};
const CTX: ParamContext = { what: '--method', name: 'm', wording: USAGE_WORDING };

function thrown(f: () => unknown): SlidepipeError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(SlidepipeError);
    return e as SlidepipeError;
  }
  throw new Error('expected an error');
}

describe('recipes', () => {
  it('splits the name from the parameters', () => {
    expect(splitRecipe(' merge ')).toEqual({ name: 'merge', body: undefined });
    expect(splitRecipe('merge: gap0=2,')).toEqual({ name: 'merge', body: ' gap0=2,' });
  });

  it('types given values by their spec, without defaults', () => {
    expect(readRecipeParams(CTX, SPECS, ' size = 5 ,fill=1,,shape=square')).toEqual({
      size: 5,
      fill: true,
      shape: 'square',
    });
    expect(readRecipeParams(CTX, SPECS, undefined)).toEqual({});
    expect(readRecipeParams(CTX, SPECS, 'rate=0.2,rate=0.3')).toEqual({ rate: 0.3 });
  });

  it('resolves every parameter in spec order, defaults filled in', () => {
    const params = resolveParams(CTX, SPECS, { shape: 'square', rate: undefined });
    expect(params).toEqual({ size: 3, rate: 0.5, fill: false, shape: 'square' });
    expect(Object.keys(params)).toEqual(['size', 'rate', 'fill', 'shape']);
    expect(resolveParams(CTX, SPECS)).toEqual({ size: 3, rate: 0.5, fill: false, shape: 'disc' });
  });

  it('says what was expected and what came, as usage errors', () => {
    const cases: [() => unknown, string][] = [
      [() => readRecipeParams(CTX, SPECS, 'size'), '--method: expected key=value after "m:", got "size"'],
      [
        () => readRecipeParams(CTX, SPECS, 'shape=star,bogus=1'),
        '--method m: unknown parameter "bogus" (known: size, rate, fill, shape)',
      ],
      [() => readRecipeParams(CTX, {}, 'x=1'), '--method m: unknown parameter "x" (known: none)'],
      [() => readRecipeParams(CTX, SPECS, 'size=4'), '--method m: size: expected an odd integer in [1, 9], got "4"'],
      [() => readRecipeParams(CTX, SPECS, 'rate=0'), '--method m: rate: expected a number in (0, 1], got "0"'],
      [() => readRecipeParams(CTX, SPECS, 'rate='), '--method m: rate: expected a number in (0, 1], got ""'],
      [() => readRecipeParams(CTX, SPECS, 'fill=yes'), '--method m: fill: expected true, false, 1 or 0, got "yes"'],
      [() => readRecipeParams(CTX, SPECS, 'shape=star'), '--method m: shape: expected one of disc, square, got "star"'],
      [() => resolveParams(CTX, SPECS, { size: '5' }), '--method m: size: expected an odd integer in [1, 9], got "5"'],
      [() => resolveParams(CTX, SPECS, [1]), '--method m: expected an object of parameters, got [1]'],
    ];
    for (const [f, message] of cases) {
      const e = thrown(f);
      expect(e.message).toBe(message);
      expect(e.code).toBe('usage');
    }
  });

  it('checks values and writes what a spec accepts', () => {
    expect(isValidParam(SPECS.size, 7)).toBe(true);
    expect(isValidParam(SPECS.size, 7.5)).toBe(false);
    expect(isValidParam(SPECS.rate, Number.NaN)).toBe(false);
    expect(isValidParam(SPECS.rate, 1)).toBe(true);
    expect(rangeText({ min: 0, max: 1, maxExclusive: true })).toBe('[0, 1)');
    expect(expectedText(SPECS.shape, true)).toBe('one of "disc", "square"');
    expect(expectedText(SPECS.fill)).toBe('a boolean');
  });

  it('documents parameters from their specs', () => {
    expect(describeParams({ size: SPECS.size })).toBe(
      `    ${'size=3'.padEnd(22)} kernel size (an odd integer in [1, 9])`,
    );
    expect(describeParams({})).toBe('');
  });
});
