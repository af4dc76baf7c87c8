// Logs and progress go to stderr only: stdout carries records.
import { createRequire } from 'node:module';
import type { SingleBar } from 'cli-progress';

export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  progress(label: string, total?: number): Progress;
}

export interface Progress {
  tick(n?: number): void;
  setTotal(total: number): void;
  done(): void;
}

const noProgress: Progress = { tick: () => undefined, setTotal: () => undefined, done: () => undefined };

export function makeLogger(tool: string, quiet: boolean): Logger {
  const write = (msg: string) => process.stderr.write(`${tool}: ${msg}\n`);
  return {
    info: (msg) => {
      if (!quiet) write(msg);
    },
    warn: (msg) => write(`warning: ${msg}`),
    progress(label, total) {
      // A bar only on a terminal: redirected stderr gets no control characters.
      if (quiet || !process.stderr.isTTY) return noProgress;
      let bar: SingleBar | undefined;
      let count = 0;
      let tot = total ?? 0;
      const start = () => {
        if (bar) return;
        // cli-progress is loaded lazily so --help stays fast.
        const { SingleBar: Bar, Presets } = createRequire(import.meta.url)(
          'cli-progress',
        ) as typeof import('cli-progress');
        bar = new Bar(
          {
            stream: process.stderr,
            format: `${tool}: ${label} [{bar}] {value}/{total} {duration_formatted}`,
            hideCursor: true,
          },
          Presets.shades_classic,
        );
        bar.start(tot, count);
      };
      return {
        tick(n = 1) {
          count += n;
          start();
          bar?.update(count);
        },
        setTotal(t) {
          tot = t;
          bar?.setTotal(t);
        },
        done() {
          bar?.stop();
        },
      };
    },
  };
}

/** Writes text to stdout, resolving once it is accepted (waits for drain: backpressure). */
export function writeStdout(s: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (process.stdout.write(s)) resolve();
    else {
      process.stdout.once('drain', resolve);
      process.stdout.once('error', reject);
    }
  });
}
