import { describe, expect, it } from 'vitest';
import { integerIn, nonNegativeInteger, numberFlag, numberIn, positiveNumber, seedFlag } from './flags';

const refusal = (f: (v: string) => number, v: string) => {
  try {
    f(v);
    return null;
  } catch (e) {
    return [(e as Error).message, (e as { exitCode: number }).exitCode];
  }
};

describe('number flags', () => {
  it('reads the interval as the message states it', () => {
    expect(numberIn('--dropout', '[0, 1)')('0')).toBe(0);
    expect(refusal(numberIn('--dropout', '[0, 1)'), '1')).toEqual([
      '--dropout: expected a number in [0, 1), got "1"',
      64,
    ]);
    expect(numberIn('--refine-level', '(0, 1]')('1')).toBe(1);
    expect(refusal(numberIn('--refine-level', '(0, 1]'), '0')).not.toBeNull();
    expect(numberIn('--giou', '[-1, 1)')('-1')).toBe(-1);
    expect(integerIn('--tile-px', '8..8192')('8192')).toBe(8192);
    expect(refusal(integerIn('--tile-px', '8..8192'), '8.5')).toEqual([
      '--tile-px: expected an integer in 8..8192, got "8.5"',
      64,
    ]);
    expect(refusal(seedFlag(), '4294967296')).toEqual([
      '--seed: expected an integer in [0, 4294967295], got "4294967296"',
      64,
    ]);
  });

  it('refuses blanks and what the check refuses', () => {
    expect(refusal(nonNegativeInteger('--head'), ' ')).toEqual([
      '--head: expected a non-negative integer, got " "',
      64,
    ]);
    expect(refusal(positiveNumber('--mpp'), 'Infinity')).not.toBeNull();
    expect(numberFlag('--lr', 'a positive number', (n) => n > 0)('Infinity')).toBe(Infinity);
    expect(refusal(numberFlag('--patients', 'a number'), 'six')).toEqual([
      '--patients: expected a number, got "six"',
      64,
    ]);
  });
});
