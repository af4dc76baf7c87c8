// A record stream's rows grouped by slide: a stream may hold one slide or a table of many.
import type { RecordStream } from './input';

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
