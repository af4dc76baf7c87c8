// wsi-eval's run: predictions (box records or submission CSVs) scored against the truth; the table
// on stderr, eval records on stdout or -o.
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import {
  digilutCsvKind,
  loadTruth,
  readDigilutSubmissionCsv,
  readDigilutValidationCsv,
  type BadBoxPolicy,
  type ListedSlide,
  type Truth,
} from '@slidepipe/geometry';
import { inputError, numberIn, positiveNumber, SlidepipeError, usageError, type ToolContext } from '@slidepipe/cli';
import { openRecordSink, readRecords, type RecordSink } from '@slidepipe/io';
import type { BoxMatching } from '@slidepipe/metrics';
import { makeBatch, RECORDS, schemaFor, type EvalRecord, type StreamMeta } from '@slidepipe/schema';
import { collectPredictions, evaluate, formatTable, type EvalOptions, type EvalResult, type Predictions } from './eval';

/** The flags as given (--giou and --beta stay text so --help shows their defaults as written). */
export interface EvalFlags {
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
  if (kind === 'boxes')
    throw inputError(
      path,
      'is a DigiLut box CSV with max_x,max_y (ground truth): give it as --truth; predictions are box records or a submission CSV',
    );
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
    throw new SlidepipeError(
      'no-input',
      path,
      (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message,
    );
  }
}

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
    mean_iou: pick('mean_iou'),
    mean_giou: pick('mean_giou'),
  });
}

/** Box records and submission CSVs of the inputs, by slide. */
async function predictions(ctx: ToolContext, inputs: string[], f: EvalFlags): Promise<Predictions> {
  const csvs = inputs.filter(isSubmission);
  const streams = inputs.filter((p) => !csvs.includes(p));
  if (f.validation && !csvs.length) throw usageError('--validation', 'goes with a submission CSV input');
  const listed: Map<string, ListedSlide> | undefined = f.validation
    ? readDigilutValidationCsv(readText(f.validation), f.validation)
    : undefined;
  // Submissions only: reading stdin for box records would wait for nothing.
  const pred =
    csvs.length && !streams.length
      ? { bySlide: new Map(), provenance: [] }
      : await collectPredictions(readRecords(streams, { expect: ['box'] }));
  for (const path of csvs) {
    const sub = readDigilutSubmissionCsv(readText(path), path, listed);
    if (sub.unanswered.length)
      ctx.log.warn(
        `${path}: ${sub.unanswered.length} trustii_id(s) of the validation list have no row (scored as missed): ${sub.unanswered.slice(0, 5).join(', ')}`,
      );
    for (const [slide, boxes] of sub.bySlide) pred.bySlide.set(slide, [...(pred.bySlide.get(slide) ?? []), ...boxes]);
  }
  return pred;
}

function report(
  ctx: ToolContext,
  f: EvalFlags,
  pred: Predictions,
  truth: Truth,
  result: EvalResult,
  eopts: EvalOptions,
): void {
  if (truth.bySlide.size && pred.bySlide.size && ![...pred.bySlide.keys()].some((id) => truth.bySlide.has(id))) {
    ctx.log.warn(
      `the truth (${f.truth.join(', ')}) names none of the ${pred.bySlide.size} predicted slide(s), so every one is scored lesion-free: check that slide ids match (first predicted: ${[...pred.bySlide.keys()][0]}, first in the truth: ${[...truth.bySlide.keys()][0]})`,
    );
  }
  if (result.unpredicted.length) {
    ctx.log.info(
      `${result.unpredicted.length} truth slide(s) not in the input left out (--include-unpredicted counts them): ${result.unpredicted.slice(0, 5).join(', ')}${result.unpredicted.length > 5 ? ', ...' : ''}`,
    );
  }
  if (!result.rows.length) ctx.log.warn('no slides to score');
  else if (!ctx.quiet) process.stderr.write(`${formatTable(result, eopts)}\n`);
}

async function writeRecords(sink: RecordSink, meta: StreamMeta, rows: EvalRecord[]): Promise<void> {
  const schema = schemaFor(meta);
  await sink.begin(schema, meta);
  if (rows.length) await sink.write(evalBatch(rows, schema));
  await sink.end();
  await sink.close();
}

export async function run(ctx: ToolContext, inputs: string[], f: EvalFlags): Promise<void> {
  const threshold = numberIn('--giou', '[-1, 1)')(f.giou);
  const beta = positiveNumber('--beta')(f.beta);
  const eopts: EvalOptions = {
    threshold,
    beta,
    matching: f.matching,
    includeUnpredicted: Boolean(f.includeUnpredicted),
  };
  const classNames = f.truthClass
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const truth = loadTruth(f.truth, { classNames, badBoxes: f.badBoxes });
  if (truth.skipped.length)
    ctx.log.warn(
      `${truth.skipped.length} truth row(s) or feature(s) left out (--bad-boxes drop), first: ${truth.skipped[0]}`,
    );
  const sink = ctx.output || !process.stdout.isTTY ? openRecordSink(ctx.output, { force: ctx.force }) : null;
  try {
    const pred = await predictions(ctx, inputs, f);
    const result = evaluate(pred.bySlide, truth.bySlide, eopts);
    report(ctx, f, pred, truth, result, eopts);
    if (!sink) return;
    const facts = { giou_threshold: threshold, beta, matching: f.matching };
    const meta: StreamMeta = {
      record: 'eval',
      version: RECORDS.eval.version,
      slide: null,
      facts,
      provenance: [...pred.provenance],
    };
    const entry = ctx.provenance_entry({
      ...facts,
      truth: f.truth,
      truth_class: classNames ?? null,
      include_unpredicted: eopts.includeUnpredicted,
    });
    if (entry) meta.provenance.push(entry);
    await writeRecords(sink, meta, result.rows);
  } catch (e) {
    sink?.abort();
    throw e;
  }
}
