// Class imbalance (DigiLut: about one positive patch in a thousand), chosen by name:
//   none        rows as they are
//   weight      sample weights n / (2 n_class): both classes weigh the same in the loss
//   oversample  each positive row repeated round(n_neg / n_pos) times (at most 1000), so a batch
//               sees positives about as often as negatives
export const BALANCE_MODES = ['none', 'weight', 'oversample'] as const;
export type BalanceMode = (typeof BALANCE_MODES)[number];

export interface Balanced {
  rows: Uint32Array;
  weights?: Float32Array;
  /** The oversampling factor applied to positives (1 when none). */
  repeat: number;
}

const MAX_REPEAT = 1000;

export function balanceRows(rows: Uint32Array, y: ArrayLike<number>, mode: BalanceMode): Balanced {
  let pos = 0;
  for (const r of rows) pos += y[r];
  const neg = rows.length - pos;
  if (mode === 'none' || pos === 0 || neg === 0) return { rows, repeat: 1 };
  if (mode === 'weight') {
    const wp = rows.length / (2 * pos);
    const wn = rows.length / (2 * neg);
    return { rows, weights: Float32Array.from(rows, (r) => (y[r] ? wp : wn)), repeat: 1 };
  }
  const repeat = Math.min(MAX_REPEAT, Math.max(1, Math.round(neg / pos)));
  const out = new Uint32Array(neg + pos * repeat);
  let k = 0;
  for (const r of rows) {
    const times = y[r] ? repeat : 1;
    for (let t = 0; t < times; t++) out[k++] = r;
  }
  return { rows: out, repeat };
}
