// wsi-sample's run: count the input, plan the sample, then write it in a second pass.
import { createReadStream, createWriteStream, existsSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { isatty } from 'node:tty';
import { inputError, SlidepipeError, usageError, type ToolContext } from '@slidepipe/cli';
import { deleteAtExit, isStdio, openRecordSink, readRecords, readSplitTable } from '@slidepipe/io';
import { HardNegatives } from './hard';
import {
  countInput,
  LABELLED_RECORDS,
  markKept,
  planSample,
  writeSample,
  type SampleOptions,
  type SamplePlan,
} from './sample';

/** The flags, parsed. */
export interface SampleFlags {
  negPerPos: number;
  perSlide?: boolean;
  minNegPerSlide: number;
  maxPerSlide?: number;
  seed: number;
  splits?: string;
  set: string;
  hardNegatives?: string[];
  perPos?: number;
}

const RECORD_EXT = new Set(['.parquet', '.arrows', '.arrow']);

/** Score files: each path, or a folder's record files in name order. */
function scoreFiles(paths: string[]): string[] {
  return paths.flatMap((p) => {
    if (!existsSync(p)) throw new SlidepipeError('no-input', p, 'no such file or folder');
    if (!statSync(p).isDirectory()) return [p];
    const files = readdirSync(p)
      .filter((f) => RECORD_EXT.has(extname(f)))
      .sort()
      .map((f) => join(p, f));
    if (!files.length) throw inputError(p, 'no .parquet or .arrows files in this folder');
    return files;
  });
}

/** Two passes need the input twice: stdin is copied to a temporary file first (raw bytes). */
async function spoolStdin(): Promise<string> {
  if (isatty(0)) throw usageError('<stdin>', 'no input: give files, or pipe records in');
  const path = join(tmpdir(), `slidepipe-sample-${process.pid}-${Date.now()}.in`);
  deleteAtExit(path);
  await pipeline(createReadStream('', { fd: 0, autoClose: false, highWaterMark: 1 << 20 }), createWriteStream(path));
  return path;
}

/** The split table as slide_id -> set. */
async function readSplits(path: string): Promise<Map<string, string>> {
  return new Map([...(await readSplitTable(path))].map(([id, r]) => [id, r.set]));
}

/** Which slides the sample keeps: those of --set in the split table, or all. */
function slideFilter(splits: Map<string, string> | null, f: SampleFlags): (id: string) => boolean {
  if (splits && ![...splits.values()].includes(f.set)) {
    throw usageError(
      '--set',
      `no slide of set "${f.set}" in ${f.splits} (sets: ${[...new Set(splits.values())].join(', ')})`,
    );
  }
  return (id: string) => {
    if (!splits) return true;
    const set = splits.get(id);
    if (set === undefined)
      throw inputError(
        f.splits!,
        `slide ${id} of the input is not in the split table (is it from another cohort, or the table stale?)`,
      );
    return set === f.set;
  };
}

/** The inputs as files that can be read twice (stdin spooled), and how to name stdin in messages. */
async function rereadable(
  inputs: string[],
): Promise<{ list: string[]; paths: string[]; renamed: (e: unknown) => unknown }> {
  const list = inputs.length ? inputs : ['-'];
  if (list.filter(isStdio).length > 1) throw usageError('inputs', 'stdin ("-") can be read only once');
  const spool = list.some(isStdio) ? await spoolStdin() : null;
  const paths = list.map((p) => (isStdio(p) ? spool! : p));
  // Messages name stdin, not the temporary copy.
  const renamed = (e: unknown) =>
    spool && e instanceof SlidepipeError && e.message.includes(spool)
      ? new SlidepipeError(e.code, e.message.split(spool).join('<stdin>'))
      : e;
  return { list, paths, renamed };
}

function logSample(
  ctx: ToolContext,
  f: SampleFlags,
  plan: SamplePlan,
  out: { pos: number; neg: number; hard: number },
  skippedRows: number,
  to: string,
): void {
  const t = plan.totals;
  if (plan.slides.size <= 50) {
    for (const [id, p] of plan.slides)
      ctx.log.info(`slide ${id}: ${p.keepPos}/${p.pos} positives, ${p.keepNeg}/${p.neg} negatives`);
  }
  ctx.log.info(
    `${out.pos} positives (of ${t.pos}) and ${out.neg} negatives (of ${t.neg}) from ${plan.slides.size} slides to ${to}: ` +
      `${out.pos ? (out.neg / out.pos).toFixed(3) : 'no positives:'} negatives per positive (requested ${f.negPerPos}, ${f.perSlide ? 'per-slide' : 'global'}); ` +
      `${t.lesionFreeNeg} negatives from ${t.lesionFreeSlides} lesion-free slides` +
      (skippedRows ? `; ${skippedRows} rows of slides outside set "${f.set}" left out` : '') +
      (f.hardNegatives
        ? `; ${out.hard} hard negatives added (${f.perPos ?? 1} per positive, ${f.perSlide ? 'per slide' : 'global'})`
        : ''),
  );
}

export async function run(ctx: ToolContext, inputs: string[], f: SampleFlags): Promise<void> {
  if (f.perPos !== undefined && !f.hardNegatives) throw usageError('--per-pos', 'is used only with --hard-negatives');
  const splits = f.splits ? await readSplits(f.splits) : null;
  const keepSlide = slideFilter(splits, f);
  const perPos = f.perPos ?? 1;
  const hardFiles = f.hardNegatives ? scoreFiles(f.hardNegatives) : null;
  const hard = hardFiles
    ? await HardNegatives.read(readRecords(hardFiles, { expect: ['patch-score'] }), (slide, source) => {
        if (!splits) return;
        const set = splits.get(slide);
        if (set === undefined) throw inputError(source, `slide ${slide} is not in the split table ${f.splits}`);
        if (set !== f.set)
          throw inputError(
            source,
            `scores slide ${slide} of set "${set}" in ${f.splits}: hard negatives come from set "${f.set}" only`,
          );
      })
    : null;
  const { list, paths, renamed } = await rereadable(inputs);
  const open = () => readRecords(paths, { expect: LABELLED_RECORDS });
  const sampleOpts: SampleOptions = {
    negPerPos: f.negPerPos,
    perSlide: Boolean(f.perSlide),
    minNegPerSlide: f.minNegPerSlide,
    maxPerSlide: f.maxPerSlide ?? null,
    seed: f.seed,
    keepSlide,
  };
  const sink = openRecordSink(ctx.output, { force: ctx.force });
  try {
    const counts = await countInput(open(), keepSlide, hard ? (b, i, label) => hard.seen(b, i, label) : undefined);
    if (counts.slides.size === 0) {
      throw inputError(
        splits ? f.splits! : list.join(' '),
        splits ? `no input slide is in set "${f.set}"` : 'no records to sample',
      );
    }
    const plan = planSample(counts.slides, sampleOpts);
    for (const n of plan.notes) ctx.log.warn(n);
    let choice = null;
    if (hard) {
      hard.checkAllSeen();
      await markKept(open(), counts, plan, sampleOpts, hard);
      choice = hard.choose(plan, { perPos, perSlide: Boolean(f.perSlide), maxPerSlide: f.maxPerSlide ?? null });
      if (choice.added < choice.wanted)
        ctx.log.warn(
          `only ${choice.added} hard negatives added, fewer than the ${choice.wanted} requested (${choice.candidates} scored negatives not already kept)`,
        );
    }
    const params = {
      neg_per_pos: f.negPerPos,
      mode: f.perSlide ? 'per-slide' : 'global',
      min_neg_per_slide: f.minNegPerSlide,
      max_per_slide: f.maxPerSlide ?? null,
      seed: f.seed,
      splits: f.splits ? { path: f.splits, set: f.set } : null,
      totals: { positives: [plan.totals.keepPos, plan.totals.pos], negatives: [plan.totals.keepNeg, plan.totals.neg] },
      ...(choice
        ? {
            hard_negatives: {
              scores: hardFiles,
              per_pos: perPos,
              mode: f.perSlide ? 'per-slide' : 'global',
              added: choice.added,
              candidates: choice.candidates,
              scored_patches: hard!.size,
            },
          }
        : {}),
    };
    const out = await writeSample(open(), sink, counts, plan, {
      ...sampleOpts,
      hard: hard && choice ? { negatives: hard, choice } : null,
      provenance: (slides) => ctx.provenance_entry({ ...params, slides }),
    });
    await sink.close();
    logSample(ctx, f, plan, out, counts.skippedRows, sink.name);
  } catch (e) {
    sink.abort();
    throw renamed(e);
  }
}
