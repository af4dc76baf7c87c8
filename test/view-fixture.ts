// A synthetic slide with known lesions for wsi-view: patch scores made from the true labels
// (0.95 inside a lesion, 0.05 elsewhere, three folds), boxes from the real wsi-boxes.
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openRecordSink, readRecords } from '@slidepipe/io';
import { makeBatch, RECORDS, schemaFor, type StreamMeta } from '@slidepipe/schema';
import { sh } from './helpers';

export interface ViewFixture {
  dir: string;
  slide: string;
  slideId: string;
  broken: string;
  scores: string;
  boxes: string;
  truth: string;
}

export const POSITIVE = 0.95;
export const NEGATIVE = 0.05;

export async function makeViewFixture(dir: string): Promise<ViewFixture> {
  const synth = sh(
    'wsi-synth -q -o cohort --patients 1 --size tiny --validation-fraction 0 --negative-fraction 0 --seed 7',
    { cwd: dir },
  );
  if (synth.status !== 0) throw new Error(synth.stderr);
  const name = readdirSync(join(dir, 'cohort')).find((f) => f.endsWith('_a.tif'))!;
  const slide = join(dir, 'cohort', name);
  const slideId = name.replace(/\.tif$/, '');
  const truth = join(dir, 'cohort/train.csv');
  const lab = sh(`wsi-tile -q ${slide} --no-pixels | wsi-label -q --boxes ${truth} > labelled.arrows`, { cwd: dir });
  if (lab.status !== 0) throw new Error(lab.stderr);
  const scores = join(dir, 'scores.parquet');
  const sink = openRecordSink(scores, { force: true });
  for await (const s of readRecords([join(dir, 'labelled.arrows')])) {
    const meta: StreamMeta = {
      ...s.meta,
      record: 'patch-score',
      version: RECORDS['patch-score'].version,
      facts: { ...s.meta.facts, folds: 3 },
    };
    const schema = schemaFor(meta);
    await sink.begin(schema, meta);
    for await (const b of s.batches) {
      const col = (c: string) => b.getChild(c)!.toArray() as Int32Array;
      const label = Array.from(b.getChild('label')!.toArray() as Int8Array);
      const score = Float32Array.from(label, (l) => (l ? POSITIVE : NEGATIVE));
      await sink.write(
        makeBatch(schema, {
          slide_id: Array.from({ length: b.numRows }, () => slideId),
          x0: col('x0'),
          y0: col('y0'),
          w0: col('w0'),
          h0: col('h0'),
          col: col('col'),
          row: col('row'),
          label: Int8Array.from(label),
          score,
          fold_scores: Array.from(score, (v) => Float32Array.of(v - 0.01, v, v + 0.01)),
        }),
      );
    }
    await sink.end();
  }
  await sink.close();
  const boxes = join(dir, 'boxes.parquet');
  const bx = sh(`wsi-boxes -q ${scores} --count 2 -o ${boxes}`, { cwd: dir });
  if (bx.status !== 0) throw new Error(bx.stderr);
  const broken = join(dir, 'broken.tif');
  writeFileSync(broken, 'this is not a slide\n');
  return { dir, slide, slideId, broken, scores, boxes, truth };
}
