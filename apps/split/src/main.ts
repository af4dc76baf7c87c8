import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { inputError, runTool, SlidepipeError, usageError } from '@slidepipe/cli';
import { BAD_BOX_POLICIES, GeometryError, readBoxFile, type BadBoxPolicy } from '@slidepipe/geometry';
import { Option } from 'commander';
import { MetricsError } from '@slidepipe/metrics';
import { openRecordSink } from '@slidepipe/io';
import { makeBatch, RECORDS, schemaFor, type StreamMeta } from '@slidepipe/schema';
import { assignSplit, balanceOf, balanceTable, DEFAULT_PATIENT_PATTERN, foldSpreads, gatherSlides, type CohortInputs } from './split';
import { readPresence, readTestList, slidesInFolder, slidesInList } from './tables';

interface Opts {
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

function number(flag: string, check: (n: number) => boolean, expected: string) {
  return (v: string) => {
    const n = Number(v);
    if (v.trim() === '' || !check(n)) throw usageError(flag, `expected ${expected}, got ${JSON.stringify(v)}`);
    return n;
  };
}

function readText(flag: string, path: string): string {
  if (!existsSync(path)) throw new SlidepipeError('no-input', path, `no such file (${flag})`);
  if (statSync(path).isDirectory()) throw inputError(path, `is a directory (${flag} expects a file)`);
  return readFileSync(path, 'utf8');
}

void runTool<Opts>({
  name: 'split',
  summary:
    'Train/test split and K cross-validation folds of a cohort, grouped by patient and stratified by lesion presence; writes a split table and prints its balance.',
  shared: { threads: false },
  examples: [
    'wsi-split --slides slides/ --boxes train.csv --folds 5 -o splits.parquet                      # 20% of patients to test',
    'wsi-split --slides slides/ --boxes train.csv --presence presence_of_lesion.csv --test-list validation.csv -o splits.parquet',
    'wsi-split --boxes train.csv --test-fraction 0 --folds 3 --seed 7 | wsi-cat --csv              # slides from the box file',
    "wsi-split --slides list.csv --patient-pattern '^(?<patient>P\\d+)-' -o splits.arrows",
  ],
  options: (cmd) => {
    cmd
      .option('--slides <dir|file>', 'the slides: a folder of slide files, or a list (CSV with a filename/file_name/slide_id column, or one name per line); default: the slides named by the other files')
      .option('--boxes <file>', 'DigiLut train CSV (or QuPath GeoJSON): box count and lesion presence per slide')
      .addOption(
        new Option('--bad-boxes <policy>', 'annotations with x1 > x2, zero size, a negative corner, past max_x/max_y or duplicated: fail (stop, naming the first) or drop (not counted, each reported)')
          .choices(BAD_BOX_POLICIES as string[])
          .default('fail'),
      )
      .option('--presence <file>', 'DigiLut presence_of_lesion.csv (file_name;presence_of_lesion): the labelled train slides and whether each has a lesion')
      .option('--test-list <file>', 'slides of the test set (e.g. DigiLut validation.csv, one row per expected box); their patients are test')
      .option('--test-fraction <f>', 'share of patients for the test set when there is no --test-list, in [0, 1) (default 0.2)', number('--test-fraction', (n) => n >= 0 && n < 1, 'a number in [0, 1)'))
      .option('--folds <k>', 'cross-validation folds over the train patients', number('--folds', (n) => Number.isInteger(n) && n >= 1, 'a positive integer'), 5)
      .option('--seed <n>', 'random seed (same inputs and seed: same split)', number('--seed', (n) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff, 'an integer in [0, 4294967295]'), 0)
      .option('--patient-pattern <regex>', 'regular expression on the slide id whose group "patient" (else group 1) is the patient id', DEFAULT_PATIENT_PATTERN);
  },
  async run(ctx, _args, opts) {
    if (opts.testList && opts.testFraction !== undefined) throw usageError('--test-fraction', 'give --test-list or --test-fraction, not both');
    if (!opts.slides && !opts.boxes && !opts.presence && !opts.testList) throw usageError('--slides', 'give the slides (--slides) or a file that names them (--boxes, --presence, --test-list)');
    let pattern: RegExp;
    try {
      pattern = new RegExp(opts.patientPattern);
    } catch (e) {
      throw usageError('--patient-pattern', (e as Error).message);
    }
    const inputs: CohortInputs = { slides: null, slidesFrom: '', boxes: null, presence: null, testList: null };
    if (opts.slides) {
      if (!existsSync(opts.slides)) throw new SlidepipeError('no-input', opts.slides, 'no such file or folder (--slides)');
      const isDir = statSync(opts.slides).isDirectory();
      inputs.slides = isDir ? slidesInFolder(opts.slides) : slidesInList(readText('--slides', opts.slides), opts.slides);
      inputs.slidesFrom = opts.slides;
      if (!inputs.slides.length) throw inputError(opts.slides, isDir ? 'no slide files in this folder' : 'lists no slide');
    }
    if (opts.boxes) {
      try {
        readText('--boxes', opts.boxes);
        inputs.boxes = { name: basename(opts.boxes), file: readBoxFile(opts.boxes, readFileSync(opts.boxes)) };
      } catch (e) {
        throw e instanceof GeometryError ? inputError('--boxes', e.message) : e;
      }
    }
    if (opts.presence) inputs.presence = { name: basename(opts.presence), bySlide: readPresence(readText('--presence', opts.presence), opts.presence) };
    if (opts.testList) inputs.testList = { name: basename(opts.testList), ...readTestList(readText('--test-list', opts.testList), opts.testList) };
    const splitOpts = { folds: opts.folds, seed: opts.seed, testFraction: opts.testList ? 0 : (opts.testFraction ?? 0.2), patientPattern: pattern, badBoxes: opts.badBoxes };

    let result;
    try {
      const slides = gatherSlides(inputs, splitOpts, ctx.log);
      result = assignSplit(slides, splitOpts, ctx.log);
    } catch (e) {
      throw e instanceof MetricsError ? new SlidepipeError(e.code, 'split', e.message) : e;
    }
    const { records, folds } = result;
    const balance = balanceOf(records, folds);
    const spreads = foldSpreads(balance);

    const params = {
      slides: opts.slides ?? null,
      boxes: opts.boxes ?? null,
      presence: opts.presence ?? null,
      test_list: opts.testList ?? null,
      test_fraction: opts.testList ? null : splitOpts.testFraction,
      folds,
      seed: opts.seed,
      patient_pattern: opts.patientPattern,
      bad_boxes: opts.badBoxes,
    };
    const meta: StreamMeta = {
      record: 'split',
      version: RECORDS.split.version,
      slide: null,
      facts: { folds, seed: opts.seed, patient_pattern: opts.patientPattern, test: opts.testList ? `list:${basename(opts.testList)}` : `fraction:${splitOpts.testFraction}` },
      provenance: [],
    };
    const entry = ctx.provenance_entry(params);
    if (entry) meta.provenance.push(entry);
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
    ctx.log.info(`${records.length} slides of ${new Set(records.map((r) => r.patient_id)).size} patients to ${sink.name}; balance:\n${balanceTable(balance)}`);
    if (folds > 1) {
      ctx.log.info(
        `fold spread (max - min over folds): patients with lesions ${spreads.lesionPatients}, without ${spreads.plainPatients} (guaranteed <= 1 each), boxes ${spreads.boxes}`,
      );
    }
  },
});
