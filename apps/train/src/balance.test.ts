import { describe, expect, it } from 'vitest';
import { balanceRows } from './balance';

describe('class balance', () => {
  const y = [1, 0, 0, 0, 0, 0, 0, 0, 1, 0];
  const rows = Uint32Array.from({ length: 10 }, (_, i) => i);
  it('weight: both classes weigh the same in total', () => {
    const b = balanceRows(rows, y, 'weight');
    let pos = 0;
    let neg = 0;
    b.rows.forEach((r, i) => (y[r] ? (pos += b.weights![i]) : (neg += b.weights![i])));
    expect(pos).toBeCloseTo(neg);
    expect(pos + neg).toBeCloseTo(10);
  });
  it('oversample: positives repeated about n_neg / n_pos times', () => {
    const b = balanceRows(rows, y, 'oversample');
    expect(b.repeat).toBe(4);
    expect(b.rows.length).toBe(8 + 2 * 4);
    expect(Array.from(b.rows).filter((r) => r === 8)).toHaveLength(4);
    expect(b.weights).toBeUndefined();
  });
  it('none: rows as they are', () => {
    expect(balanceRows(rows, y, 'none')).toEqual({ rows, repeat: 1 });
  });
});
