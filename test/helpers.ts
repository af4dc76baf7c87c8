// Shared helpers for the end-to-end tests: run the built tools through real shell pipes.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..');

/** The shell command that runs a built tool (bundles in dist/, as `npm run build` makes them). */
export function tool(name: string): string {
  const main = join(ROOT, 'dist/apps', name, 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is not built: run npm run build`);
  return `node ${main}`;
}

/** A shell with every wsi-* tool defined as a function, so tests read like the README's pipes. */
export function shellPrelude(names: string[]): string {
  return names.map((n) => `wsi-${n}() { ${tool(n)} "$@"; }`).join('\n');
}

export interface ShellResult {
  status: number;
  stdout: Buffer;
  stderr: string;
}

export function sh(
  script: string,
  opts: { cwd?: string; input?: Buffer | string; env?: Record<string, string> } = {},
): ShellResult {
  const tools = [
    'cat',
    'info',
    'tile',
    'label',
    'split',
    'sample',
    'embed',
    'train',
    'predict',
    'boxes',
    'eval',
    'heatmap',
    'synth',
    'stain',
  ].filter((t) => existsSync(join(ROOT, 'dist/apps', t, 'main.js')));
  const r = spawnSync('bash', ['-o', 'pipefail', '-c', `${shellPrelude(tools)}\n${script}`], {
    cwd: opts.cwd,
    input: opts.input,
    // sharp's loader sets VIPSHOME in this process; Debian's vips would then skip OpenSlide.
    env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'VIPSHOME')), ...opts.env },
    maxBuffer: 1 << 30,
  });
  return { status: r.status ?? 128, stdout: r.stdout, stderr: r.stderr.toString() };
}

export function tmp(prefix = 'slidepipe-e2e-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export const makePatches = (rows: number, payload: number, slides = 1) =>
  `node ${join(ROOT, 'tools/make-patches.mjs')} ${rows} ${payload} ${slides}`;

export function json(cmd: string, cwd?: string): unknown {
  return JSON.parse(execFileSync('bash', ['-c', `${shellPrelude(['cat'])}\n${cmd}`], { cwd }).toString());
}
