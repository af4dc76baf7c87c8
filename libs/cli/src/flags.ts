// Value parsers for number flags, as commander argParsers (or called on a string default in run):
// a refused value is a usage error "<flag>: expected <what>, got "<value>"".
import { expectParam } from '@slidepipe/core';

/** A number for which `ok` holds; blank text is refused, not read as 0. */
export const numberFlag =
  (flag: string, expected: string, ok: (n: number) => boolean = Number.isFinite) =>
  (v: string): number => {
    const n = Number(v);
    expectParam(v.trim() !== '' && ok(n), flag, expected, v);
    return n;
  };

const INTERVAL = /^(?:([[(])(-?[\d.e+]+), (-?[\d.e+]+)([\])])|(-?[\d.e+]+)\.\.(-?[\d.e+]+))$/;

/**
 * A number (or an integer) in an interval written as the message shows it: "[0, 1)", "(0, 1]",
 * or "8..8192" (both ends in).
 */
export function numberIn(flag: string, interval: string, integer = false): (v: string) => number {
  const m = INTERVAL.exec(interval);
  if (!m) throw new Error(`numberIn: not an interval: ${interval}`);
  const [lo, hi] = m[1] ? [Number(m[2]), Number(m[3])] : [Number(m[5]), Number(m[6])];
  const loOpen = m[1] === '(';
  const hiOpen = m[4] === ')';
  const inside = (n: number) => (loOpen ? n > lo : n >= lo) && (hiOpen ? n < hi : n <= hi);
  return numberFlag(
    flag,
    `${integer ? 'an integer' : 'a number'} in ${interval}`,
    (n) => (!integer || Number.isInteger(n)) && inside(n),
  );
}

export const integerIn = (flag: string, interval: string) => numberIn(flag, interval, true);
export const positiveNumber = (flag: string) =>
  numberFlag(flag, 'a positive number', (n) => Number.isFinite(n) && n > 0);
export const positiveInteger = (flag: string) =>
  numberFlag(flag, 'a positive integer', (n) => Number.isInteger(n) && n >= 1);
export const nonNegativeInteger = (flag: string) =>
  numberFlag(flag, 'a non-negative integer', (n) => Number.isInteger(n) && n >= 0);
export const integerAtLeast = (flag: string, min: number) =>
  numberFlag(flag, `an integer >= ${min}`, (n) => Number.isInteger(n) && n >= min);

/** A 32-bit seed, as the tools that take --seed state it. */
export const seedFlag = (flag = '--seed') => integerIn(flag, '[0, 4294967295]');

/** A repeatable flag: each use adds its value. */
export const collect = (v: string, prev: string[] = []): string[] => [...prev, v];
