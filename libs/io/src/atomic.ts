// Files are written under a temporary name beside the target and renamed on success, so a killed
// run never leaves a file that looks complete. Temporary files are removed when the process exits.
import { closeSync, existsSync, openSync, renameSync, unlinkSync, fsyncSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { SlidepipeError } from '@slidepipe/cli';

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

export class AtomicFile {
  readonly path: string;
  readonly tempPath: string;
  fd: number;
  private done = false;

  constructor(path: string, force: boolean) {
    checkOutput(path, force);
    this.path = path;
    this.tempPath = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
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
