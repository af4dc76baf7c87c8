// Overlap between stages: `ahead` keeps up to `depth` items of an async iterable being worked on
// (say, JPEG batches decoding on libjpeg-turbo's worker threads) while the consumer handles the
// previous result (say, the backbone running). Results come out in input order.

/**
 * Maps `source` through `fn`, starting the work for up to `depth` items before their results are
 * asked for. An error from `fn` surfaces when its item's turn comes; later work is then dropped.
 */
export async function* ahead<T, R>(
  source: AsyncIterable<T>,
  depth: number,
  fn: (item: T) => Promise<R>,
): AsyncGenerator<R> {
  if (!Number.isInteger(depth) || depth < 1) throw new Error(`depth: expected an integer >= 1, got ${depth}`);
  const it = source[Symbol.asyncIterator]();
  const queue: Promise<R>[] = [];
  let done = false;
  const fill = async () => {
    while (!done && queue.length < depth) {
      const r = await it.next();
      if (r.done) {
        done = true;
        break;
      }
      const p = fn(r.value);
      // Rejections are handled when the item's turn comes; until then keep Node from reporting them.
      p.catch(() => undefined);
      queue.push(p);
    }
  };
  try {
    await fill();
    while (queue.length) {
      const result = await (queue.shift() as Promise<R>);
      // Refill before handing the result over, so the next items work while the consumer does.
      await fill();
      yield result;
    }
  } finally {
    if (!done) await it.return?.();
  }
}
