// Cross-validation folds from the split table: fold k trains on the train-set slides of every
// other fold and validates on fold k. Test-set slides are never seen.
import { inputError } from '@slidepipe/cli';
import type { EmbeddingTable, SplitRow } from './data';

export interface FoldPlan {
  fold: number;
  train: Uint32Array;
  val: Uint32Array;
  trainPositives: number;
  valPositives: number;
}

export interface CvPlan {
  folds: FoldPlan[];
  /** Rows of test-set slides, left out. */
  testRows: number;
}

const list = (names: string[]) =>
  `${names.slice(0, 5).join(', ')}${names.length > 5 ? `, ... (${names.length} in all)` : ''}`;

export function planFolds(t: EmbeddingTable, splits: Map<string, SplitRow>, splitsName: string): CvPlan {
  const missing = t.slides.filter((s) => !splits.has(s));
  if (missing.length) {
    throw inputError(
      splitsName,
      `the split table misses ${missing.length} slide${missing.length > 1 ? 's' : ''} of the embeddings: ${list(missing)}`,
    );
  }
  const foldOf = t.slides.map((s) => {
    const r = splits.get(s)!;
    if (r.set === 'test') return -1;
    if (r.set !== 'train' || !Number.isInteger(r.fold) || r.fold < 0) {
      throw inputError(
        splitsName,
        `slide ${s}: set "${r.set}" fold ${r.fold}; expected set "train" with a fold >= 0, or set "test"`,
      );
    }
    return r.fold;
  });
  const ids = [...new Set(foldOf.filter((f) => f >= 0))].sort((a, b) => a - b);
  if (ids.length < 2)
    throw inputError(
      splitsName,
      `the embeddings' train slides fall in ${ids.length} fold${ids.length === 1 ? '' : 's'}; cross-validation needs at least 2`,
    );
  const rowFold = Int32Array.from(t.slideOf, (s) => foldOf[s]);
  let testRows = 0;
  for (const f of rowFold) if (f < 0) testRows++;
  const folds = ids.map((k) => {
    const train: number[] = [];
    const val: number[] = [];
    let tp = 0;
    let vp = 0;
    for (let i = 0; i < t.rows; i++) {
      const f = rowFold[i];
      if (f < 0) continue;
      if (f === k) {
        val.push(i);
        vp += t.y[i];
      } else {
        train.push(i);
        tp += t.y[i];
      }
    }
    if (vp === 0 || vp === val.length) {
      throw inputError(
        splitsName,
        `fold ${k} validates on ${val.length} patches of which ${vp} positive; AUC and AP need both classes (re-split so every fold has lesions)`,
      );
    }
    if (tp === 0 || tp === train.length) {
      throw inputError(
        splitsName,
        `fold ${k} trains on ${train.length} patches of which ${tp} positive; training needs both classes`,
      );
    }
    return {
      fold: k,
      train: Uint32Array.from(train),
      val: Uint32Array.from(val),
      trainPositives: tp,
      valPositives: vp,
    };
  });
  return { folds, testRows };
}
