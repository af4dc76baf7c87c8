// wsi-split's run: read the cohort's tables, split, write the split table and print its balance.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { inputError, namedAs, SlidepipeError, usageError, type ToolContext } from '@slidepipe/cli';
import { GeometryError, readBoxFile, type BadBoxPolicy } from '@slidepipe/geometry';
import { MetricsError } from '@slidepipe/metrics';
import { openRecordSink } from '@slidepipe/io';
import { makeBatch, RECORDS, schemaFor, type SplitRecord, type StreamMeta } from '@slidepipe/schema';
import {
  assignSplit,
  balanceOf,
  balanceTable,
  foldSpreads,
  gatherSlides,
  type CohortInputs,
  type SplitOptions,
} from './split';
import { readPresence, readTestList, slidesInFolder, slidesInList } from './tables';

/** The flags, parsed. */
export interface SplitFlags {
  slides?: string;
  boxes?: string;
  presence?: string;
  testList?: string;
  testFraction?: number;
  folds: number;
  seed: number;
  patientPattern: string;
  badBoxes: BadBoxPolicy;
}

function readText(flag: string, path: string): string {
  if (!existsSync(path)) throw new SlidepipeError('no-input', path, `no such file (${flag})`);
  if (statSync(path).isDirectory()) throw inputError(path, `is a directory (${flag} expects a file)`);
  return readFileSync(path, 'utf8');
}

function splitOptions(f: SplitFlags): SplitOptions {
  if (f.testList && f.testFraction !== undefined)
    throw usageError('--test-fraction', 'give --test-list or --test-fraction, not both');
  if (!f.slides && !f.boxes && !f.presence && !f.testList)
    throw usageError(
      '--slides',
      'give the slides (--slides) or a file that names them (--boxes, --presence, --test-list)',
    );
  let pattern: RegExp;
  try {
    pattern = new RegExp(f.patientPattern);
  } catch (e) {
    throw usageError('--patient-pattern', (e as Error).message);
  }
  return {
    folds: f.folds,
    seed: f.seed,
    testFraction: f.testList ? 0 : (f.testFraction ?? 0.2),
    patientPattern: pattern,
    badBoxes: f.badBoxes,
  };
}

function readCohort(f: SplitFlags): CohortInputs {
  const inputs: CohortInputs = { slides: null, slidesFrom: '', boxes: null, presence: null, testList: null };
  if (f.slides) {
    if (!existsSync(f.slides)) throw new SlidepipeError('no-input', f.slides, 'no such file or folder (--slides)');
    const isDir = statSync(f.slides).isDirectory();
    inputs.slides = isDir ? slidesInFolder(f.slides) : slidesInList(readText('--slides', f.slides), f.slides);
    inputs.slidesFrom = f.slides;
    if (!inputs.slides.length) throw inputError(f.slides, isDir ? 'no slide files in this folder' : 'lists no slide');
  }
  if (f.boxes) {
    readText('--boxes', f.boxes);
    try {
      inputs.boxes = { name: basename(f.boxes), file: readBoxFile(f.boxes, readFileSync(f.boxes)) };
    } catch (e) {
      throw namedAs(e, GeometryError, '--boxes', 'bad-input');
    }
  }
  if (f.presence)
    inputs.presence = {
      name: basename(f.presence),
      bySlide: readPresence(readText('--presence', f.presence), f.presence),
    };
  if (f.testList)
    inputs.testList = { name: basename(f.testList), ...readTestList(readText('--test-list', f.testList), f.testList) };
  return inputs;
}

function splitMeta(ctx: ToolContext, f: SplitFlags, opts: SplitOptions, folds: number): StreamMeta {
  const meta: StreamMeta = {
    record: 'split',
    version: RECORDS.split.version,
    slide: null,
    facts: {
      folds,
      seed: f.seed,
      patient_pattern: f.patientPattern,
      test: f.testList ? `list:${basename(f.testList)}` : `fraction:${opts.testFraction}`,
    },
    provenance: [],
  };
  const entry = ctx.provenance_entry({
    slides: f.slides ?? null,
    boxes: f.boxes ?? null,
    presence: f.presence ?? null,
    test_list: f.testList ?? null,
    test_fraction: f.testList ? null : opts.testFraction,
    folds,
    seed: f.seed,
    patient_pattern: f.patientPattern,
    bad_boxes: f.badBoxes,
  });
  if (entry) meta.provenance.push(entry);
  return meta;
}

async function writeTable(ctx: ToolContext, meta: StreamMeta, records: SplitRecord[]): Promise<string> {
  const schema = schemaFor(meta);
  const sink = openRecordSink(ctx.output, { force: ctx.force });
  try {
    await sink.begin(schema, meta);
    await sink.write(
      makeBatch(schema, {
        slide_id: records.map((r) => r.slide_id),
        patient_id: records.map((r) => r.patient_id),
        set: records.map((r) => r.set),
        fold: Int32Array.from(records, (r) => r.fold),
        has_lesion: records.map((r) => r.has_lesion),
        n_boxes: Int32Array.from(records, (r) => r.n_boxes),
      }),
    );
    await sink.end();
    await sink.close();
  } catch (e) {
    sink.abort();
    throw e;
  }
  return sink.name;
}

export async function run(ctx: ToolContext, _args: string[], f: SplitFlags): Promise<void> {
  const opts = splitOptions(f);
  const inputs = readCohort(f);
  let result;
  try {
    result = assignSplit(gatherSlides(inputs, opts, ctx.log), opts, ctx.log);
  } catch (e) {
    throw namedAs(e, MetricsError, 'split');
  }
  const { records, folds } = result;
  const balance = balanceOf(records, folds);
  const spreads = foldSpreads(balance);
  const name = await writeTable(ctx, splitMeta(ctx, f, opts, folds), records);
  ctx.log.info(
    `${records.length} slides of ${new Set(records.map((r) => r.patient_id)).size} patients to ${name}; balance:\n${balanceTable(balance)}`,
  );
  if (folds > 1) {
    ctx.log.info(
      `fold spread (max - min over folds): patients with lesions ${spreads.lesionPatients}, without ${spreads.plainPatients} (guaranteed <= 1 each), boxes ${spreads.boxes}`,
    );
  }
}
