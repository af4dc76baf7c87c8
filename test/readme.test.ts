// The README's tool sections are each tool's --help, and its first two commands are the set-up.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers';

describe('README', () => {
  it('opens with the two commands: the demo and the tests', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const firstBlock = readme.split('```sh\n')[1].split('```')[0].trim().split('\n');
    expect(firstBlock.map((l) => l.split('#')[0].trim())).toEqual(['npm run demo', 'npm test']);
  });

  it("has each tool section equal to the tool's --help", () => {
    const r = (() => {
      try {
        execFileSync('node', [join(ROOT, 'tools/readme-help.mjs'), '--check'], { stdio: 'pipe' });
        return '';
      } catch (e) {
        return (e as { stderr: Buffer }).stderr.toString();
      }
    })();
    expect(r).toBe('');
  });
});
