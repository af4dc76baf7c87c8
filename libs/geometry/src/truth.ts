// Ground-truth boxes per slide for scoring and pictures (wsi-eval, wsi-heatmap), read by the same
// reader and bad-box policy as wsi-label and wsi-split (box-file.ts). GeoJSON polygons are scored
// by their bounding boxes, as DigiLut scores boxes.
import { readFileSync } from 'node:fs';
import { inputError, SlidepipeError } from '@slidepipe/core';
import type { Box } from './box';
import { readBoxFile, slideAnnotations, type BadBoxPolicy, type RejectedAnnotation } from './box-file';

export interface Truth {
  bySlide: Map<string, Box[]>;
  /** Annotations left out under --bad-boxes drop, each "where: problem", for a warning. */
  skipped: string[];
}

export interface TruthOptions {
  classNames?: string[];
  /** fail (default): any bad annotation stops the read, naming it; drop: it is left out and listed. */
  badBoxes?: BadBoxPolicy;
}

export const describeRejected = (r: RejectedAnnotation) => `${r.where}: ${r.problems.join('; ') || 'no usable box'}`;

/** Reads every truth file; a slide may get boxes from several files. */
export function loadTruth(paths: readonly string[], opts: TruthOptions = {}): Truth {
  const t: Truth = { bySlide: new Map(), skipped: [] };
  for (const path of paths) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (e) {
      throw new SlidepipeError(
        'no-input',
        path,
        (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message,
      );
    }
    let file;
    try {
      file = readBoxFile(path, bytes, { classNames: opts.classNames });
    } catch (e) {
      if (e instanceof SlidepipeError) throw e;
      // The reader's messages name the file and line already.
      throw inputError((e as Error).message);
    }
    const rejected: RejectedAnnotation[] = [];
    for (const slide of file.bySlide.keys()) {
      const a = slideAnnotations(file, slide, null, new Set());
      rejected.push(...a.rejected);
      const boxes = a.set.items.map((item) => item.bounds);
      if (!boxes.length) continue;
      const list = t.bySlide.get(slide);
      if (list) list.push(...boxes);
      else t.bySlide.set(slide, boxes);
    }
    if (rejected.length && (opts.badBoxes ?? 'fail') === 'fail') {
      const more =
        rejected.length > 1
          ? ` (and ${rejected.length - 1} more; --bad-boxes drop leaves them out)`
          : ' (--bad-boxes drop leaves it out)';
      throw inputError(describeRejected(rejected[0]), `bad annotation${more}`);
    }
    t.skipped.push(...rejected.map(describeRejected));
  }
  return t;
}
