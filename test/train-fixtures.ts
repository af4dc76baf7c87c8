// Shared by the embed, train and predict end-to-end tests: a small synthetic cohort (labelled JPEG
// patches whose labels are learnable from texture, and a split table) and an asynchronous shell (the
// tests' HTTP server must keep answering while a tool runs). The event-file reader and the fake
// MLflow server are in libs/testing.
import { spawn } from 'node:child_process';
import { writeSyntheticCohort, type CohortFiles } from '@slidepipe/testing';
import { shellPrelude, type ShellResult } from './helpers';

export const TOOLS = ['cat', 'embed', 'train', 'predict'];

/**
 * 4 patients x 2 slides x `patches` patches of 48 px, about a third positive, folds 0..3 by
 * patient; lesions are faint (strength 0.15), so a head has something to learn.
 */
export function writeCohort(dir: string, patches = 40, strength = 0.15): Promise<CohortFiles> {
  return writeSyntheticCohort(dir, {
    patients: 4,
    patchesPerSlide: patches,
    px: 48,
    positiveShare: 0.3,
    seed: 11,
    folds: 4,
    strength,
  });
}

/** Like helpers.sh, but without blocking the event loop. */
export function shAsync(
  script: string,
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Promise<ShellResult> {
  return new Promise((resolve, reject) => {
    const p = spawn('bash', ['-o', 'pipefail', '-c', `${shellPrelude(TOOLS)}\n${script}`], {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout.on('data', (d: Buffer) => out.push(d));
    p.stderr.on('data', (d: Buffer) => err.push(d));
    p.on('error', reject);
    p.on('close', (code) =>
      resolve({ status: code ?? 128, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() }),
    );
  });
}
