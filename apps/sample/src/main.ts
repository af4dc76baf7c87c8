import { createReadStream, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { isatty } from 'node:tty';
import { inputError, runTool, SlidepipeError, usageError } from '@slidepipe/cli';
import { deleteAtExit, isStdio, openRecordSink, readRecords } from '@slidepipe/io';
import { countInput, LABELLED_RECORDS, planSample, writeSample, type SampleOptions } from './sample';

interface Opts {
  negPerPos: number;
  perSlide?: boolean;
  minNegPerSlide: number;
  maxPerSlide?: number;
  seed: number;
  splits?: string;
  set: string;
}

function number(flag: string, check: (n: number) => boolean, expected: string) {
  return (v: string) => {
    const n = Number(v);
    if (v.trim() === '' || !check(n)) throw usageError(flag, `expected ${expected}, got ${JSON.stringify(v)}`);
    return n;
  };
}
const count = (flag: string) => number(flag, (n) => Number.isInteger(n) && n >= 0, 'a non-negative integer');

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
  const sets = new Map<string, string>();
  for await (const s of readRecords([path], { expect: ['split'] })) {
    for await (const b of s.batches) {
      const ids = b.getChild('slide_id')!;
      const set = b.getChild('set')!;
      for (let i = 0; i < b.numRows; i++) {
        const id = ids.get(i) as string;
        if (sets.has(id)) throw inputError(path, `slide ${id} appears twice in the split table`);
        sets.set(id, set.get(i) as string);
      }
    }
  }
  return sets;
}

void runTool<Opts>({
  name: 'sample',
  summary:
    'Balance labelled records: keep every positive and a seeded sample of negatives (ratio over the input or per slide, a floor for lesion-free slides, a per-slide cap). Exact counts from two passes over the input (stdin is first copied to a temporary file); memory does not grow with the input.',
  args: '[inputs...]',
  examples: [
    'wsi-tile s.tif | wsi-label --boxes train.csv | wsi-sample --neg-per-pos 2 | wsi-cat -o s.parquet',
    'wsi-cat patches/*.parquet | wsi-sample --neg-per-pos 2 --splits splits.parquet --set train -o train.parquet',
    'wsi-sample --neg-per-pos 3 --per-slide --min-neg-per-slide 20 --max-per-slide 500 --seed 7 patches/*.parquet -o bal.parquet',
  ],
  options: (cmd) => {
    cmd
      .option('--neg-per-pos <r>', 'negatives kept per positive', number('--neg-per-pos', (n) => Number.isFinite(n) && n >= 0, 'a number >= 0'), 1)
      .option('--per-slide', 'apply the ratio within each slide (default: over the whole input, negatives shared among slides in proportion to their negatives)')
      .option('--min-neg-per-slide <n>', 'negatives kept from every lesion-free slide (all of them when it has fewer)', count('--min-neg-per-slide'), 10)
      .option('--max-per-slide <n>', 'most rows kept from one slide, positives first', number('--max-per-slide', (n) => Number.isInteger(n) && n >= 1, 'a positive integer'))
      .option('--seed <n>', 'random seed (same input and seed: same rows)', number('--seed', (n) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff, 'an integer in [0, 4294967295]'), 0)
      .option('--splits <file>', 'split table (wsi-split): keep only slides of --set')
      .option('--set <name>', 'with --splits: the set to keep', 'train');
  },
  async run(ctx, inputs, opts) {
    const splits = opts.splits ? await readSplits(opts.splits) : null;
    if (splits && ![...splits.values()].includes(opts.set)) {
      throw usageError('--set', `no slide of set "${opts.set}" in ${opts.splits} (sets: ${[...new Set(splits.values())].join(', ')})`);
    }
    const keepSlide = (id: string) => {
      if (!splits) return true;
      const set = splits.get(id);
      if (set === undefined) throw inputError(opts.splits!, `slide ${id} of the input is not in the split table (is it from another cohort, or the table stale?)`);
      return set === opts.set;
    };
    const list = inputs.length ? inputs : ['-'];
    if (list.filter(isStdio).length > 1) throw usageError('inputs', 'stdin ("-") can be read only once');
    const spool = list.some(isStdio) ? await spoolStdin() : null;
    const paths = list.map((p) => (isStdio(p) ? spool! : p));
    // Messages name stdin, not the temporary copy.
    const renamed = (e: unknown) =>
      spool && e instanceof SlidepipeError && e.message.includes(spool) ? new SlidepipeError(e.code, e.message.split(spool).join('<stdin>')) : e;
    const open = () => readRecords(paths, { expect: LABELLED_RECORDS });

    const sampleOpts: SampleOptions = {
      negPerPos: opts.negPerPos,
      perSlide: Boolean(opts.perSlide),
      minNegPerSlide: opts.minNegPerSlide,
      maxPerSlide: opts.maxPerSlide ?? null,
      seed: opts.seed,
      keepSlide,
    };
    const sink = openRecordSink(ctx.output, { force: ctx.force });
    try {
      const counts = await countInput(open(), keepSlide);
      if (counts.slides.size === 0) {
        throw inputError(splits ? opts.splits! : list.join(' '), splits ? `no input slide is in set "${opts.set}"` : 'no records to sample');
      }
      const plan = planSample(counts.slides, sampleOpts);
      for (const n of plan.notes) ctx.log.warn(n);
      const params = {
        neg_per_pos: opts.negPerPos,
        mode: opts.perSlide ? 'per-slide' : 'global',
        min_neg_per_slide: opts.minNegPerSlide,
        max_per_slide: opts.maxPerSlide ?? null,
        seed: opts.seed,
        splits: opts.splits ? { path: opts.splits, set: opts.set } : null,
        totals: { positives: [plan.totals.keepPos, plan.totals.pos], negatives: [plan.totals.keepNeg, plan.totals.neg] },
      };
      const out = await writeSample(open(), sink, counts, plan, { ...sampleOpts, provenance: (slides) => ctx.provenance_entry({ ...params, slides }) });
      await sink.close();
      const t = plan.totals;
      if (plan.slides.size <= 50) {
        for (const [id, p] of plan.slides) ctx.log.info(`slide ${id}: ${p.keepPos}/${p.pos} positives, ${p.keepNeg}/${p.neg} negatives`);
      }
      ctx.log.info(
        `${out.pos} positives (of ${t.pos}) and ${out.neg} negatives (of ${t.neg}) from ${plan.slides.size} slides to ${sink.name}: ` +
          `${out.pos ? (out.neg / out.pos).toFixed(3) : 'no positives:'} negatives per positive (requested ${opts.negPerPos}, ${params.mode}); ` +
          `${t.lesionFreeNeg} negatives from ${t.lesionFreeSlides} lesion-free slides` +
          (counts.skippedRows ? `; ${counts.skippedRows} rows of slides outside set "${opts.set}" left out` : ''),
      );
    } catch (e) {
      sink.abort();
      throw renamed(e);
    }
  },
});
