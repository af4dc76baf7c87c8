// wsi-synth as a command: help, version, usage errors, and refusal to overwrite.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sh, tmp } from './helpers';

describe('wsi-synth', () => {
  it('prints its usage with examples, and its version', () => {
    const r = sh('wsi-synth --help');
    expect(r.status).toBe(0);
    expect(r.stdout.toString()).toMatch(/Examples:\n {2}wsi-synth -o cohort\//);
    expect(sh('wsi-synth --version').stdout.toString().trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('rejects bad flags and values with a one-line usage error', () => {
    const d = tmp();
    for (const args of [
      '--nope',
      `-o ${d}/a --size huge`,
      `-o ${d}/a --patients three`,
      `-o ${d}/a --patients 0`,
      '--seed 1',
    ]) {
      const r = sh(`wsi-synth ${args}`);
      expect(r.status, args).toBe(64);
      expect(r.stderr, args).toMatch(/^wsi-synth: /);
    }
    expect(sh(`wsi-synth -o ${d}/a --size huge`).stderr).toMatch(/Allowed choices are tiny, small, medium, digilut/);
  });

  it('writes a cohort, then refuses to overwrite it without --force', () => {
    const out = join(tmp(), 'one');
    const first = sh(`wsi-synth -o ${out} --patients 1 --seed 3 --quiet`);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(readdirSync(out).filter((f) => f.endsWith('.tif'))).toHaveLength(2);
    const again = sh(`wsi-synth -o ${out} --patients 1 --seed 3 --quiet`);
    expect(again.status).toBe(73);
    expect(again.stderr).toContain('output exists');
    expect(existsSync(join(out, 'manifest.json'))).toBe(true);
  });
});
