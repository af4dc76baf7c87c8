// A record stream's rows grouped by slide: a stream may hold one slide or a table of many.
import { readRecords, type RecordStream } from './input';

/**
 * The rows of one stream grouped by slide_id, in first-seen order. The stream's own slide comes
 * first, even with no rows. `add` gets the numeric columns asked for and the row index.
 */
export async function groupBySlide<G>(
  s: RecordStream,
  columns: readonly string[],
  make: () => G,
  add: (group: G, cols: ArrayLike<number>[], i: number) => void,
): Promise<Map<string, G>> {
  const bySlide = new Map<string, G>();
  if (s.meta.slide) bySlide.set(s.meta.slide.slide_id, make());
  for await (const b of s.batches) {
    const ids = b.getChild('slide_id')!;
    const cols = columns.map((c) => b.getChild(c)!.toArray() as ArrayLike<number>);
    // Rows of a slide come together: look the group up only when the id changes.
    let last = '';
    let cur: G | undefined;
    for (let i = 0; i < b.numRows; i++) {
      const id = ids.get(i) as string;
      if (id !== last || cur === undefined) {
        last = id;
        cur = bySlide.get(id);
        if (cur === undefined) bySlide.set(id, (cur = make()));
      }
      add(cur, cols, i);
    }
  }
  return bySlide;
}

/** A predicted box of a box stream, in level-0 px, with its rank and score. */
export interface RankedBox {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  rank: number;
  score: number;
}

/** The predicted boxes of box streams by slide, by rank; neutral (padded) boxes mark nothing. */
export async function readPredictedBoxes(paths: string[]): Promise<Map<string, RankedBox[]>> {
  const out = new Map<string, RankedBox[]>();
  for await (const s of readRecords(paths, { expect: ['box'] })) {
    for await (const b of s.batches) {
      const col = (c: string) => b.getChild(c)!;
      for (let i = 0; i < b.numRows; i++) {
        if (col('padded').get(i)) continue;
        const id = col('slide_id').get(i) as string;
        const box: RankedBox = {
          x1: col('x1').get(i),
          y1: col('y1').get(i),
          x2: col('x2').get(i),
          y2: col('y2').get(i),
          rank: col('rank').get(i),
          score: col('score').get(i),
        };
        const list = out.get(id);
        if (list) list.push(box);
        else out.set(id, [box]);
      }
    }
  }
  for (const list of out.values()) list.sort((a, b) => a.rank - b.rank);
  return out;
}
