// Set-up shared by embed.bench.mjs and train.bench.mjs: the built tools, the fixture generator
// (embed-fixtures.ts bundled once with esbuild), and python3-torch for the baselines (Debian's
// package, installed with apt-get when missing and running as root).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './lib.mjs';

export const PYTHON = '/usr/bin/python3';

/** Builds the tools (Nx replays its cache when nothing changed). */
export function ensureTools(...names) {
  const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };
  execFileSync(
    'npx',
    ['nx', 'run-many', '-t', 'build', '-p', ...names.map((n) => `wsi-${n}`), '--output-style=static'],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'], env },
  );
}

/** Runs embed-fixtures.ts (bundled into dist/bench when the source is newer) with `args`. */
export async function fixtures(...args) {
  const src = join(ROOT, 'tools/bench/embed-fixtures.ts');
  const out = join(ROOT, 'dist/bench/embed-fixtures.mjs');
  if (!existsSync(out) || statSync(out).mtimeMs < statSync(src).mtimeMs) {
    const { build } = await import('esbuild');
    mkdirSync(join(ROOT, 'dist/bench'), { recursive: true });
    await build({
      entryPoints: [src],
      outfile: out,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      external: ['koffi', 'onnxruntime-node', 'sharp', '@node-rs/crc32'],
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
      logLevel: 'warning',
    });
  }
  return execFileSync('node', [out, ...args.map(String)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  }).toString();
}

// libtorch1.13 recommends an optimised BLAS; without one it runs on the reference BLAS, about
// 40x slower for the head's matrix products: an unfair baseline.
const BASELINE_DEBS = ['python3-torch', 'python3-pil', 'libopenblas0'];

const installed = (p) =>
  spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' }).stdout?.includes('install ok installed');

/** The python3 with torch importable (and OpenBLAS installed), or a reason why there is none. */
export function torchPython() {
  const ok = () => spawnSync(PYTHON, ['-c', 'import torch, numpy, PIL'], { stdio: 'ignore' }).status === 0;
  const missing = BASELINE_DEBS.filter((p) => !installed(p));
  if (!missing.length && ok()) return { python: PYTHON };
  if (process.getuid?.() !== 0) {
    return ok()
      ? { python: PYTHON, note: `missing ${missing.join(' ')}` }
      : { reason: `${missing.join(' ')} not installed (apt-get install ${BASELINE_DEBS.join(' ')} as root)` };
  }
  process.stderr.write(`bench: apt-get install ${missing.join(' ')} (the baseline)\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  if (r.status !== 0 || !ok())
    return {
      reason: `python3-torch could not be installed: ${r.stderr?.toString().trim().split('\n').pop() ?? 'apt-get failed'}`,
    };
  return { python: PYTHON };
}
