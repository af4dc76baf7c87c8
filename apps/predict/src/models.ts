// Opens a wsi-train model folder: ensemble.json, then every fold head it lists, each checked to be
// there and to be the file that was trained (sha256). A missing or changed fold is an error, not a
// smaller ensemble.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { z } from 'zod';
import { inputError, SlidepipeError } from '@slidepipe/cli';
import { createSession } from '@slidepipe/models';

export const ENSEMBLE_FILE = 'ensemble.json';

/** The part of wsi-train's ensemble.json that prediction relies on. */
const manifestSchema = z.object({
  format: z.literal('slidepipe-ensemble'),
  version: z.literal(1),
  backbone: z.object({ name: z.string(), sha256: z.string(), dim: z.number().int().positive() }).loose(),
  /** Absent in models trained without stain normalisation (and in those from before it existed). */
  stain: z.object({ method: z.string() }).loose().optional(),
  dim: z.number().int().positive(),
  aggregate: z.string(),
  threshold: z.number(),
  folds: z
    .array(
      z
        .object({
          fold: z.number().int().min(0),
          file: z.string(),
          sha256: z.string(),
          threshold: z.number(),
        })
        .loose(),
    )
    .min(1),
});

export type EnsembleManifest = z.output<typeof manifestSchema>;

export interface FoldHead {
  fold: number;
  threshold: number;
  session: Ort.InferenceSession;
}

export interface Ensemble {
  dir: string;
  manifest: EnsembleManifest;
  /** sha256 of ensemble.json: which model folder scored a stream. */
  sha256: string;
  heads: FoldHead[];
  close(): Promise<void>;
}

export function readManifest(dir: string): { manifest: EnsembleManifest; sha256: string } {
  if (!existsSync(dir)) throw new SlidepipeError('no-input', dir, 'no such model folder');
  if (!statSync(dir).isDirectory()) throw inputError(dir, 'is not a folder; --models takes the folder wsi-train wrote');
  const path = join(dir, ENSEMBLE_FILE);
  if (!existsSync(path))
    throw inputError(dir, `no ${ENSEMBLE_FILE}: not a wsi-train model folder (or training did not finish)`);
  const text = readFileSync(path);
  let raw: unknown;
  try {
    raw = JSON.parse(text.toString('utf8'));
  } catch (e) {
    throw inputError(path, `not valid JSON (${(e as Error).message})`);
  }
  const r = manifestSchema.safeParse(raw);
  if (!r.success) {
    throw inputError(
      path,
      `not a slidepipe ensemble manifest: ${r.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`).join('; ')}`,
    );
  }
  return { manifest: r.data, sha256: createHash('sha256').update(text).digest('hex') };
}

export async function openEnsemble(dir: string, threads: number): Promise<Ensemble> {
  const { manifest, sha256 } = readManifest(dir);
  const have = manifest.folds.filter((f) => existsSync(join(dir, f.file)));
  for (const f of manifest.folds) {
    const path = join(dir, f.file);
    if (!existsSync(path)) {
      throw inputError(
        dir,
        `fold ${f.fold} is missing (${f.file}): ensemble.json lists folds ${manifest.folds.map((x) => x.fold).join(', ')}, the folder has ${have.map((x) => x.fold).join(', ') || 'none'}`,
      );
    }
  }
  const heads: FoldHead[] = [];
  try {
    for (const f of manifest.folds) {
      const path = join(dir, f.file);
      const bytes = readFileSync(path);
      const got = createHash('sha256').update(bytes).digest('hex');
      if (got !== f.sha256)
        throw inputError(
          path,
          `sha256 ${got.slice(0, 12)}... differs from ensemble.json's ${f.sha256.slice(0, 12)}...: the head was changed after training`,
        );
      let session: Ort.InferenceSession;
      try {
        session = await createSession(bytes, { threads });
      } catch (e) {
        throw inputError(path, `onnxruntime cannot load the head: ${String((e as Error).message).split('\n')[0]}`);
      }
      heads.push({ fold: f.fold, threshold: f.threshold, session });
    }
  } catch (e) {
    await Promise.all(heads.map((h) => h.session.release()));
    throw e;
  }
  return {
    dir,
    manifest,
    sha256,
    heads,
    close: async () => void (await Promise.all(heads.map((h) => h.session.release()))),
  };
}
