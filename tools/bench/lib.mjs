// Shared benchmark helpers: run shell commands with per-process time and peak memory
// (/usr/bin/time), a scratch folder, and result reporting.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statfsSync, appendFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadavg } from 'node:os';

export const ROOT = resolve(new URL('../..', import.meta.url).pathname);
export const tool = (name) => `node ${join(ROOT, 'dist/apps', name, 'main.js')}`;

/** Scratch space: tmpfs when it has room, so the disk does not dominate, else bench-out/. */
export function scratch(name, needBytes = 4e9) {
  let base = process.env.SLIDEPIPE_BENCH_DIR;
  if (!base) {
    try {
      const s = statfsSync('/dev/shm');
      base = s.bavail * s.bsize > needBytes * 1.2 ? '/dev/shm/slidepipe-bench' : join(ROOT, 'bench-out');
    } catch {
      base = join(ROOT, 'bench-out');
    }
  }
  const dir = join(base, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

let timerId = 0;
/**
 * Runs a bash pipeline in which each measured process is written as `T cmd args`; returns wall
 * seconds and, per measured process, user+sys CPU seconds and peak RSS in MB.
 */
export function measure(script, cwd) {
  const files = [];
  const expanded = script.replace(/\bT\s/g, () => {
    const f = join(cwd, `.time-${process.pid}-${timerId++}`);
    files.push(f);
    return `/usr/bin/time -o ${f} -f "%U %S %M" `;
  });
  const t0 = process.hrtime.bigint();
  const r = spawnSync('bash', ['-o', 'pipefail', '-c', expanded], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`benchmark command failed (${r.status}): ${script}\n${r.stderr}`);
  const procs = files.map((f) => {
    const [u, s, m] = readFileSync(f, 'utf8').trim().split('\n').pop().split(' ').map(Number);
    return { cpu: u + s, rssMB: m / 1024 };
  });
  spawnSync('rm', ['-f', ...files]);
  return {
    wall,
    cpu: procs.reduce((a, p) => a + p.cpu, 0),
    peakRssMB: Math.max(0, ...procs.map((p) => p.rssMB)),
    procs,
  };
}

export function load() {
  return loadavg()[0].toFixed(2);
}

const rows = [];
export function report(row) {
  rows.push(row);
  const out = join(ROOT, 'bench-out');
  mkdirSync(out, { recursive: true });
  appendFileSync(
    join(out, 'results.jsonl'),
    `${JSON.stringify({ time: new Date().toISOString(), load1: load(), ...row })}\n`,
  );
  process.stdout.write(`${JSON.stringify(row)}\n`);
}

export function ensureBuilt() {
  if (!existsSync(join(ROOT, 'dist/apps/cat/main.js')))
    execFileSync('npx', ['nx', 'run-many', '-t', 'build'], { cwd: ROOT, stdio: 'inherit' });
}
