import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { Option } from 'commander';
import { BAD_BOX_POLICIES, loadTruth, digilutCsvKind, type BadBoxPolicy, readDigilutSubmissionCsv, readDigilutValidationCsv, type ListedSlide } from '@slidepipe/geometry';
import { inputError, runTool, SlidepipeError, usageError } from '@slidepipe/cli';
import { openRecordSink, readRecords } from '@slidepipe/io';
import type { BoxMatching } from '@slidepipe/metrics';
import { makeBatch, RECORDS, schemaFor, type EvalRecord, type StreamMeta } from '@slidepipe/schema';
import { collectPredictions, evaluate, formatTable, type EvalOptions } from './eval';

interface Opts {
  truth: string[];
  truthClass?: string;
  giou: string;
  beta: string;
  matching: BoxMatching;
  includeUnpredicted?: boolean;
  validation?: string;
  badBoxes: BadBoxPolicy;
}

/** A DigiLut submission CSV among the inputs, told from record files by its first line. */
function isSubmission(path: string): boolean {
  const kind = csvKind(path);
  if (kind === 'boxes') throw inputError(path, 'is a DigiLut box CSV with max_x,max_y (ground truth): give it as --truth; predictions are box records or a submission CSV');
  return kind === 'submission';
}

function csvKind(path: string): ReturnType<typeof digilutCsvKind> {
  if (path === '-') return null;
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(4096);
    return digilutCsvKind(head.subarray(0, readSync(fd, head, 0, head.length, 0)).toString('utf8'));
  } catch {
    return null; // readRecords names a missing or unreadable file.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new SlidepipeError('no-input', path, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message);
  }
}

void runTool<Opts>({
  name: 'eval',
  summary: 'Score predicted boxes against ground truth with the DigiLut metric: GIoU match, F-beta per slide, mean over slides.',
  args: '[inputs...]',
  shared: { threads: false },
  examples: [
    'wsi-boxes scores.arrows -n 2 | wsi-eval --truth train.csv                 # table on stderr, records on stdout',
    'wsi-eval boxes.arrows --truth train.csv --beta 1 --matching any -o eval.arrows',
    'wsi-eval boxes.arrows --truth train.csv -q | wsi-cat --csv                # per-slide rows and the mean as CSV',
    'wsi-eval boxes.arrows --truth s0.geojson --truth s1.geojson -o eval.parquet',
    'wsi-eval submission.csv --validation validation.csv --truth validation_truth.csv   # a DigiLut submission',
  ],
  options: (cmd) => {
    cmd
      .requiredOption(
        '--truth <file>',
        'ground truth: a DigiLut box CSV (filename,x1,x2,y1,y2,...) or a QuPath GeoJSON (repeat for several files)',
        (v: string, prev: string[] = []) => [...prev, v],
      )
      .option('--truth-class <names>', 'GeoJSON: only features of these comma-separated classifications')
      .addOption(
        new Option('--bad-boxes <policy>', 'truth boxes with x1 > x2, zero size, a negative corner, past max_x/max_y, duplicated, or non-polygon features: fail (stop, naming the first) or drop (leave them out, reported)')
          .choices(BAD_BOX_POLICIES as string[])
          .default('fail'),
      )
      .option('--giou <t>', 'a prediction is a hit when its GIoU with a truth box is above this', '0.5')
      .option('--beta <b>', 'F-beta weight of recall (DigiLut: 2)', '2')
      .addOption(new Option('--matching <how>', 'one-to-one: each truth box confirms one prediction (optimal assignment); any: a truth box may confirm several').choices(['one-to-one', 'any']).default('one-to-one'))
      .option('--include-unpredicted', 'also score truth slides with no prediction stream (as misses); default: only slides in the input')
      .option('--validation <csv>', 'DigiLut validation list (filename,trustii_id,...): maps a submission\'s trustii_id to its slide; every listed slide is scored');
    cmd.addHelpText(
      'after',
      `
Inputs: box record streams (Arrow or Parquet, as wsi-boxes writes them) or DigiLut submission CSVs
(trustii_id,filename,x1,x2,y1,y2 in any column order, as wsi-boxes --submission writes them), told
apart by their first bytes.

Slides: every slide named by an input stream (even one with no box rows) is scored; a slide of the
input that the truth does not list has no lesion. Truth slides absent from the input are left out
(reported) unless --include-unpredicted. Padded (neutral) boxes are predictions like any other.

Empty cases (no division by zero; libs/metrics conventions):
  no truth, no prediction     precision 1, recall 1, F 1
  no truth, predictions       precision 0, recall 1, F 0
  truth, no prediction        precision 1, recall 0, F 0
The mean row sums the counts and averages precision, recall and F over slides; its F is the
DigiLut score. GeoJSON truth is scored by each polygon's bounding box; GeoJSON features carrying
properties.slide_id go to that slide, others to the slide named by the file (abc_a.geojson -> abc_a).

Records (eval, one stream) go to stdout, or -o; when stdout is a terminal only the table is shown.`,
    );
  },
  async run(ctx, inputs, opts) {
    const threshold = Number(opts.giou);
    if (!(threshold >= -1 && threshold < 1)) throw usageError('--giou', `expected a number in [-1, 1), got ${JSON.stringify(opts.giou)}`);
    const beta = Number(opts.beta);
    if (!(beta > 0 && Number.isFinite(beta))) throw usageError('--beta', `expected a positive number, got ${JSON.stringify(opts.beta)}`);
    const eopts: EvalOptions = { threshold, beta, matching: opts.matching, includeUnpredicted: Boolean(opts.includeUnpredicted) };
    const classNames = opts.truthClass?.split(',').map((s) => s.trim()).filter(Boolean);
    const truth = loadTruth(opts.truth, { classNames, badBoxes: opts.badBoxes });
    if (truth.skipped.length) ctx.log.warn(`${truth.skipped.length} truth row(s) or feature(s) left out (--bad-boxes drop), first: ${truth.skipped[0]}`);
    const sink = ctx.output || !process.stdout.isTTY ? openRecordSink(ctx.output, { force: ctx.force }) : null;
    try {
      const csvs = inputs.filter(isSubmission);
      const streams = inputs.filter((p) => !csvs.includes(p));
      if (opts.validation && !csvs.length) throw usageError('--validation', 'goes with a submission CSV input');
      const listed: Map<string, ListedSlide> | undefined = opts.validation ? readDigilutValidationCsv(readText(opts.validation), opts.validation) : undefined;
      // Submissions only: reading stdin for box records would wait for nothing.
      const pred = csvs.length && !streams.length ? { bySlide: new Map(), provenance: [] } : await collectPredictions(readRecords(streams, { expect: ['box'] }));
      for (const path of csvs) {
        const sub = readDigilutSubmissionCsv(readText(path), path, listed);
        if (sub.unanswered.length) ctx.log.warn(`${path}: ${sub.unanswered.length} trustii_id(s) of the validation list have no row (scored as missed): ${sub.unanswered.slice(0, 5).join(', ')}`);
        for (const [slide, boxes] of sub.bySlide) pred.bySlide.set(slide, [...(pred.bySlide.get(slide) ?? []), ...boxes]);
      }
      const result = evaluate(pred.bySlide, truth.bySlide, eopts);
      if (truth.bySlide.size && pred.bySlide.size && ![...pred.bySlide.keys()].some((id) => truth.bySlide.has(id))) {
        ctx.log.warn(`the truth (${opts.truth.join(', ')}) names none of the ${pred.bySlide.size} predicted slide(s), so every one is scored lesion-free: check that slide ids match (first predicted: ${[...pred.bySlide.keys()][0]}, first in the truth: ${[...truth.bySlide.keys()][0]})`);
      }
      if (result.unpredicted.length) {
        ctx.log.info(`${result.unpredicted.length} truth slide(s) not in the input left out (--include-unpredicted counts them): ${result.unpredicted.slice(0, 5).join(', ')}${result.unpredicted.length > 5 ? ', ...' : ''}`);
      }
      if (!result.rows.length) ctx.log.warn('no slides to score');
      else if (!ctx.quiet) process.stderr.write(`${formatTable(result, eopts)}\n`);
      if (sink) {
        const meta: StreamMeta = {
          record: 'eval',
          version: RECORDS.eval.version,
          slide: null,
          facts: { giou_threshold: threshold, beta, matching: opts.matching },
          provenance: [...pred.provenance],
        };
        const entry = ctx.provenance_entry({ giou_threshold: threshold, beta, matching: opts.matching, truth: opts.truth, truth_class: classNames ?? null, include_unpredicted: eopts.includeUnpredicted });
        if (entry) meta.provenance.push(entry);
        const schema = schemaFor(meta);
        await sink.begin(schema, meta);
        if (result.rows.length) await sink.write(evalBatch(result.rows, schema));
        await sink.end();
        await sink.close();
      }
    } catch (e) {
      sink?.abort();
      throw e;
    }
  },
});

function evalBatch(rows: EvalRecord[], schema: ReturnType<typeof schemaFor>) {
  const pick = <K extends keyof EvalRecord>(k: K) => rows.map((r) => r[k]);
  const int = (k: 'n_truth' | 'n_pred' | 'tp' | 'fp' | 'fn') => Int32Array.from(pick(k));
  const dbl = (k: 'precision' | 'recall' | 'fbeta') => Float64Array.from(pick(k));
  return makeBatch(schema, {
    scope: pick('scope'),
    slide_id: pick('slide_id'),
    n_truth: int('n_truth'),
    n_pred: int('n_pred'),
    tp: int('tp'),
    fp: int('fp'),
    fn: int('fn'),
    precision: dbl('precision'),
    recall: dbl('recall'),
    fbeta: dbl('fbeta'),
  });
}
