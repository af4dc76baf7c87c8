// What wsi-view shows besides the slide: patch scores, predicted boxes, true boxes and the
// per-slide F2, read once at start-up with the shared readers, and the `--run DIR` layout.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { loadTruth, type Box } from '@slidepipe/geometry';
import { readPredictedBoxes, readRecords } from '@slidepipe/io';
import type { EvalRecord } from '@slidepipe/schema';
import { SlidepipeError } from '@slidepipe/cli';

/** Patch scores of one slide, column-wise, in the layout sent to the page (see patchesBinary). */
export interface SlidePatches {
  n: number;
  folds: number;
  x0: number[];
  y0: number[];
  w0: number[];
  h0: number[];
  score: number[];
  fold: number[];
  /** -1 when unlabelled. */
  label: number[];
}

export interface PredictedBox extends Box {
  rank: number;
  score: number;
}

/** A slide's row of eval.parquet, as wsi-eval writes it. */
export type EvalRow = Omit<EvalRecord, 'scope' | 'slide_id'>;

export interface Overlays {
  patches: Map<string, SlidePatches>;
  boxes: Map<string, PredictedBox[]>;
  truth: Map<string, Box[]>;
  evals: Map<string, EvalRow>;
}

const RECORD_EXT = new Set(['.parquet', '.arrows', '.arrow']);

/** A folder stands for its record files (sorted); a file for itself. */
export function recordFiles(path: string): string[] {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new SlidepipeError('no-input', path, 'no such file or folder');
  }
  if (!st.isDirectory()) return [path];
  const files = readdirSync(path)
    .filter((f) => RECORD_EXT.has(extname(f)))
    .sort()
    .map((f) => join(path, f));
  if (!files.length) throw new SlidepipeError('no-input', path, 'no .parquet or .arrows files in this folder');
  return files;
}

export async function readScores(paths: string[]): Promise<Map<string, SlidePatches>> {
  const out = new Map<string, SlidePatches>();
  for await (const s of readRecords(paths, { expect: ['patch-score'] })) {
    for await (const b of s.batches) {
      const ids = b.getChild('slide_id')!;
      const [x0, y0, w0, h0, score] = ['x0', 'y0', 'w0', 'h0', 'score'].map(
        (c) => b.getChild(c)!.toArray() as ArrayLike<number>,
      );
      const label = b.getChild('label')!;
      const folds = b.getChild('fold_scores')!;
      for (let i = 0; i < b.numRows; i++) {
        const id = ids.get(i) as string;
        let p = out.get(id);
        const f = folds.get(i) as { toArray(): Float32Array } | null;
        const fa = f ? f.toArray() : new Float32Array(0);
        if (!p)
          out.set(id, (p = { n: 0, folds: fa.length, x0: [], y0: [], w0: [], h0: [], score: [], fold: [], label: [] }));
        p.n++;
        p.x0.push(Number(x0[i]));
        p.y0.push(Number(y0[i]));
        p.w0.push(Number(w0[i]));
        p.h0.push(Number(h0[i]));
        p.score.push(score[i]);
        for (let k = 0; k < p.folds; k++) p.fold.push(fa[k] ?? NaN);
        const l = label.get(i) as number | null;
        p.label.push(l === null ? -1 : l);
      }
    }
  }
  return out;
}

export async function readEval(path: string): Promise<Map<string, EvalRow>> {
  const out = new Map<string, EvalRow>();
  for await (const s of readRecords([path], { expect: ['eval'] })) {
    for await (const b of s.batches) {
      const rows = b.toArray() as unknown as Array<EvalRow & { scope: string; slide_id: string }>;
      for (const r of rows) {
        if (r.scope !== 'slide') continue;
        const { n_truth, n_pred, tp, fp, fn, precision, recall, fbeta } = r;
        // Version 1 files have no IoU columns.
        const mean_iou = r.mean_iou ?? null;
        const mean_giou = r.mean_giou ?? null;
        out.set(r.slide_id, { n_truth, n_pred, tp, fp, fn, precision, recall, fbeta, mean_iou, mean_giou });
      }
    }
  }
  return out;
}

export interface Inputs {
  slides: string[];
  scores: string[];
  boxes: string[];
  truth: string[];
  eval: string[];
}

const SLIDE_EXT = new Set(['.tif', '.tiff', '.svs', '.ndpi', '.mrxs', '.scn', '.vms', '.vmu', '.bif', '.svslide']);

/** The layout `npm run demo` writes (tools/demo.sh): cohort/*.tif, scores/, boxes, truth, eval. */
export function runLayout(dir: string): Inputs {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new SlidepipeError('no-input', dir, 'no such folder');
  const cohort = join(dir, 'cohort');
  if (!existsSync(cohort))
    throw new SlidepipeError('no-input', dir, 'not a demo/pipeline output folder: it has no cohort/ with the slides');
  const slides = readdirSync(cohort)
    .filter((f) => SLIDE_EXT.has(extname(f).toLowerCase()))
    .sort()
    .map((f) => join(cohort, f));
  if (!slides.length) throw new SlidepipeError('no-input', cohort, 'no slide files in this folder');
  const has = (p: string) => existsSync(join(dir, p));
  const scored = has('scores')
    ? new Set(readdirSync(join(dir, 'scores')).map((f) => basename(f, extname(f))))
    : new Set<string>();
  // Scored slides first: they are what the run was about.
  slides.sort((a, b) => Number(scored.has(slideIdOf(b))) - Number(scored.has(slideIdOf(a))));
  return {
    slides,
    scores: scored.size ? [join(dir, 'scores')] : [],
    boxes: has('boxes.parquet') ? [join(dir, 'boxes.parquet')] : [],
    truth: has('truth.csv') ? [join(dir, 'truth.csv')] : has('cohort/train.csv') ? [join(dir, 'cohort/train.csv')] : [],
    eval: has('eval.parquet') ? [join(dir, 'eval.parquet')] : [],
  };
}

/** Slide id of a slide file: its name without the extension, as the pipeline names them. */
export const slideIdOf = (path: string) => basename(path, extname(path));

export async function loadOverlays(inputs: Inputs): Promise<Overlays> {
  const patches = inputs.scores.length ? await readScores(inputs.scores.flatMap(recordFiles)) : new Map();
  const boxes = inputs.boxes.length ? await readPredictedBoxes(inputs.boxes) : new Map();
  const truth = inputs.truth.length ? loadTruth(inputs.truth, { badBoxes: 'drop' }).bySlide : new Map();
  const evals = inputs.eval.length ? await readEval(inputs.eval[0]) : new Map();
  return { patches, boxes, truth, evals };
}

/** Patches as one little-endian buffer: Int32 x0, y0, w0, h0; Float32 score, folds (n x k); Int8 label. */
export function patchesBinary(p: SlidePatches): Buffer {
  const n = p.n;
  const buf = Buffer.alloc(n * (16 + 4 + 4 * p.folds + 1));
  const i32 = new Int32Array(buf.buffer, buf.byteOffset, 4 * n);
  for (let i = 0; i < n; i++) {
    i32[i] = p.x0[i];
    i32[n + i] = p.y0[i];
    i32[2 * n + i] = p.w0[i];
    i32[3 * n + i] = p.h0[i];
  }
  new Float32Array(buf.buffer, buf.byteOffset + 16 * n, n).set(p.score);
  new Float32Array(buf.buffer, buf.byteOffset + 20 * n, n * p.folds).set(p.fold);
  new Int8Array(buf.buffer, buf.byteOffset + (20 + 4 * p.folds) * n, n).set(p.label);
  return buf;
}
