import { describe, expect, it } from 'vitest';
import { parseExcludeList } from './exclude';

describe('exclusion lists', () => {
  it('reads a file (one id per line, comments) or else a comma-separated list', () => {
    const files: Record<string, string> = {
      'retracted.txt': '# retracted by the organisers\nabc_a:x1-2:y3-4\n\n xyz_b:x5-6:y7-8  # typo fixed\n',
    };
    const read = (p: string) => files[p] ?? null;
    expect([...parseExcludeList('retracted.txt', read).ids]).toEqual(['abc_a:x1-2:y3-4', 'xyz_b:x5-6:y7-8']);
    expect([...parseExcludeList('a:x1-2:y3-4, b:x5-6:y7-8', read).ids]).toEqual(['a:x1-2:y3-4', 'b:x5-6:y7-8']);
  });
});
