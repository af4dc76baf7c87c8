import { describe, expect, it } from 'vitest';
import { SlidepipeError, usageError } from './errors';
import { USAGE_WORDING, type RecipeWording } from './recipe';
import { Registry, type Definition } from './registry';

const A: Definition = {
  name: 'alpha',
  description: 'the first method',
  params: { k: { type: 'integer', default: 2, min: 1, max: 5, description: 'how many' } },
};
const B: Definition = { name: 'beta', description: 'the second, with no parameters' };

describe('Registry', () => {
  const registry = new Registry([A, B], { what: '--method' });

  it('looks methods up by name', () => {
    expect(registry.names).toEqual(['alpha', 'beta']);
    expect(registry.get('beta')).toBe(B);
    expect(registry.find('gamma')).toBeUndefined();
    expect(() => registry.get('gamma')).toThrow('--method: expected one of alpha, beta, got "gamma"');
    expect(() => registry.get('gamma', '--other')).toThrow('--other: expected one of alpha, beta, got "gamma"');
    expect(() => new Registry([A, A], { what: 'x' })).toThrow(/"alpha" is registered twice/);
  });

  it('reads recipes: given values alone, or resolved with defaults', () => {
    expect(registry.parse('alpha:k=3')).toEqual({ def: A, given: { k: 3 } });
    expect(registry.resolve('alpha')).toEqual({ def: A, params: { k: 2 } });
    expect(registry.resolve('beta')).toEqual({ def: B, params: {} });
    expect(registry.params(A, { k: 4 })).toEqual({ k: 4 });
    // The name is checked before the parameters.
    expect(() => registry.parse('gamma:k')).toThrow('expected one of alpha, beta, got "gamma"');
    expect(() => registry.resolve('alpha:k=9', '--m')).toThrow('--m alpha: k: expected an integer in [1, 5], got "9"');
  });

  it('words errors as the registry says', () => {
    const wording: RecipeWording = {
      quoteChoices: true,
      error: (what, p) =>
        p.kind === 'unknown-name' ? usageError(what, `no ${String(p.name)}`) : USAGE_WORDING.error(what, p),
    };
    const own = new Registry([A], { what: 'thing', wording });
    const e = (() => {
      try {
        own.get('zeta');
      } catch (err) {
        return err as SlidepipeError;
      }
    })();
    expect(e).toBeInstanceOf(SlidepipeError);
    expect(e?.message).toBe('thing: no zeta');
  });

  it('lists methods and their parameters for --help', () => {
    expect(registry.help()).toBe(
      [
        '  alpha: the first method',
        `    ${'k=2'.padEnd(22)} how many (an integer in [1, 5])`,
        '  beta: the second, with no parameters',
      ].join('\n'),
    );
  });
});
