// The split table wsi-split writes (slide_id, patient_id, set, fold), read into a map by slide:
// wsi-sample keeps the slides of one set, wsi-predict --out-of-fold finds each slide's fold.
import { inputError } from '@slidepipe/core';
import { readRecords } from './input';

export interface SplitEntry {
  patient_id: string;
  set: string;
  /** Cross-validation fold of a train-set slide; -1 (or null in the file) for other sets. */
  fold: number;
}

/** slide_id -> its split row; a slide listed twice is an error naming the file. */
export async function readSplitTable(path: string): Promise<Map<string, SplitEntry>> {
  const out = new Map<string, SplitEntry>();
  for await (const s of readRecords([path], { expect: ['split'] })) {
    for await (const b of s.batches) {
      const [id, patient, set, fold] = ['slide_id', 'patient_id', 'set', 'fold'].map((c) => b.getChild(c)!);
      for (let i = 0; i < b.numRows; i++) {
        const slide = id.get(i) as string;
        if (out.has(slide)) throw inputError(path, `slide ${slide} appears twice in the split table`);
        const k = fold.get(i) as number | null;
        out.set(slide, { patient_id: patient.get(i) as string, set: set.get(i) as string, fold: k ?? -1 });
      }
    }
  }
  return out;
}
