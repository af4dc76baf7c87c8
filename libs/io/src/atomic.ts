// Files are written under a temporary name beside the target and renamed on success, so a killed
// run never leaves a file that looks complete. Temporary files are removed when the process exits.
import {
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  fsyncSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { SlidepipeError } from '@slidepipe/core';

const pending = new Set<string>();
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const p of pending) {
      try {
        unlinkSync(p);
      } catch {
        // already gone
      }
    }
  });
}

/** Fails early (before any work) when the output exists and --force was not given. */
export function checkOutput(path: string, force: boolean): void {
  if (!force && existsSync(path)) {
    throw new SlidepipeError('output-exists', path, 'output exists (use --force to replace it)');
  }
}

// The host is part of the name: on a shared file system only this host can tell a dead pid.
const HOST = hostname().replace(/[^A-Za-z0-9_.-]/g, '_');
const tempPrefix = (path: string) => `.${basename(path)}.tmp-${HOST}-`;

/**
 * Whether the run that made a temporary file (at `madeMs`) is still running as `pid`. A zombie (a
 * killed process nobody reaped, as under a container's init) is not; nor is a process that started
 * after the file was made (its pid was reused). Linux tells both in /proc; elsewhere a signal-0
 * probe is all there is.
 */
function alive(pid: number, madeMs: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return true;
  }
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[0] === 'X') return false;
  const boot = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
  if (!boot) return true;
  // Start time in clock ticks since boot (field 22; USER_HZ is 100 on Linux).
  const startedMs = Number(boot[1]) * 1000 + (Number(fields[19]) / 100) * 1000;
  return startedMs <= madeMs + 2000;
}

/**
 * Removes the temporary files of `path` left by runs on this host that were killed (SIGKILL,
 * pre-emption) before they could clean up. Returns their names.
 */
export function removeStaleTemps(path: string): string[] {
  const dir = dirname(path);
  const prefix = tempPrefix(path);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) continue;
    let madeMs: number;
    try {
      madeMs = statSync(join(dir, name)).mtimeMs;
    } catch {
      continue;
    }
    if (alive(pid, madeMs)) continue;
    try {
      unlinkSync(join(dir, name));
      removed.push(name);
    } catch {
      // another run removed it first
    }
  }
  return removed;
}

export class AtomicFile {
  readonly path: string;
  readonly tempPath: string;
  fd: number;
  private done = false;

  constructor(path: string, force: boolean) {
    checkOutput(path, force);
    this.path = path;
    removeStaleTemps(path);
    this.tempPath = join(dirname(path), `${tempPrefix(path)}${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
    hookExit();
    try {
      this.fd = openSync(this.tempPath, 'wx');
    } catch (e) {
      throw new SlidepipeError('output-exists', path, `cannot create: ${(e as Error).message}`);
    }
    pending.add(this.tempPath);
  }

  /** Flushes, closes and renames the file into place. */
  commit(): void {
    if (this.done) return;
    this.done = true;
    fsyncSync(this.fd);
    closeSync(this.fd);
    renameSync(this.tempPath, this.path);
    pending.delete(this.tempPath);
  }

  /** Removes the temporary file now; the descriptor stays open until abort(). */
  unlink(): void {
    try {
      unlinkSync(this.tempPath);
    } catch {
      // ignore
    }
    pending.delete(this.tempPath);
  }

  abort(): void {
    if (this.done) return;
    this.done = true;
    try {
      closeSync(this.fd);
    } catch {
      // ignore
    }
    try {
      unlinkSync(this.tempPath);
    } catch {
      // ignore
    }
    pending.delete(this.tempPath);
  }
}

/** Writes a whole file (PNG, GeoJSON, CSV, JSON ...) atomically: it appears complete or not at all. */
export function writeFileAtomic(path: string, data: Uint8Array | string, force: boolean): void {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const file = new AtomicFile(path, force);
  try {
    for (let at = 0; at < bytes.byteLength;) at += writeSync(file.fd, bytes, at);
    file.commit();
  } catch (e) {
    file.abort();
    throw e;
  }
}

/** Registers a temporary path to delete at exit (spool files and the like). */
export function deleteAtExit(path: string): () => void {
  hookExit();
  pending.add(path);
  return () => {
    pending.delete(path);
    try {
      unlinkSync(path);
    } catch {
      // ignore
    }
  };
}
