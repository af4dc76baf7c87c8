import { describe, expect, it } from 'vitest';
import { ahead } from './pipeline';

async function* numbers(n: number, log: string[]) {
  try {
    for (let i = 0; i < n; i++) {
      log.push(`read ${i}`);
      yield i;
    }
  } finally {
    log.push('source closed');
  }
}

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('ahead', () => {
  it('keeps input order and starts the next items before the consumer takes the current one', async () => {
    const log: string[] = [];
    let running = 0;
    let most = 0;
    const out: number[] = [];
    for await (const v of ahead(numbers(6, log), 2, async (i) => {
      running++;
      most = Math.max(most, running);
      log.push(`start ${i}`);
      // Later items finish first: order must still hold.
      await new Promise((r) => setTimeout(r, (6 - i) * 2));
      running--;
      return i * 10;
    })) {
      log.push(`use ${v}`);
      out.push(v);
      await tick();
    }
    expect(out).toEqual([0, 10, 20, 30, 40, 50]);
    expect(most).toBe(2);
    // Item 2 started before item 0 was used.
    expect(log.indexOf('start 2')).toBeLessThan(log.indexOf('use 0'));
  });

  it('surfaces an error at its item and closes the source', async () => {
    const log: string[] = [];
    const seen: number[] = [];
    const run = async () => {
      for await (const v of ahead(numbers(10, log), 3, async (i) => {
        if (i === 2) throw new Error('bad item 2');
        return i;
      })) {
        seen.push(v);
      }
    };
    await expect(run()).rejects.toThrow('bad item 2');
    expect(seen).toEqual([0, 1]);
    expect(log).toContain('source closed');
    expect(log).not.toContain('read 9');
  });

  it('closes the source when the consumer stops early', async () => {
    const log: string[] = [];
    for await (const v of ahead(numbers(100, log), 2, async (i) => i)) if (v === 3) break;
    expect(log.at(-1)).toBe('source closed');
    expect(log.filter((l) => l.startsWith('read')).length).toBeLessThan(8);
  });
});
