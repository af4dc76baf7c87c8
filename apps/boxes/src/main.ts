import { existsSync, readFileSync } from 'node:fs';
import { inputError, runTool, usageError } from '@slidepipe/cli';
import { readDigilutValidationCsv } from '@slidepipe/geometry';
import { checkOutput, openRecordSink, readRecords, slideOutputPath, type RecordSink } from '@slidepipe/io';
import { makeBatch, schemaFor, type BoxRecord } from '@slidepipe/schema';
import { Option } from 'commander';
import { boxSlides, FILL_FACTORS, NEUTRAL_BOX, type CountPlan, type Fill, type SlideResult } from './boxes';
import { DEFAULT_METHOD, methodFromRecipe, methodsHelp } from './methods/registry';
import { parseColumns, qupathGeoJson, submissionCsv, SUBMISSION_COLUMNS, writeTextFile } from './outputs';
import { DEFAULT_REFINE } from './refine';

/** A bound checked before any work: DigiLut slides hold a handful of lesions. */
const MAX_BOXES_PER_SLIDE = 10_000;

interface Opts {
  method: string;
  count?: string;
  counts?: string;
  refine: boolean;
  refineLevel: string;
  submission?: string;
  columns?: string;
  geojson?: string;
  contours?: string;
  fill: Fill;
}

function unitInterval(flag: string, v: string, open0 = true): number {
  const x = Number(v);
  if (!(Number.isFinite(x) && (open0 ? x > 0 : x >= 0) && x <= 1)) throw usageError(flag, `expected a number in ${open0 ? '(0' : '[0'}, 1], got ${JSON.stringify(v)}`);
  return x;
}

function boxBatch(rows: BoxRecord[], schema: ReturnType<typeof schemaFor>) {
  const pick = <K extends keyof BoxRecord>(k: K) => rows.map((r) => r[k]);
  return makeBatch(schema, {
    slide_id: pick('slide_id'),
    rank: Int32Array.from(pick('rank')),
    x1: Int32Array.from(pick('x1')),
    y1: Int32Array.from(pick('y1')),
    x2: Int32Array.from(pick('x2')),
    y2: Int32Array.from(pick('y2')),
    score: Float32Array.from(pick('score')),
    padded: pick('padded'),
    trustii_id: pick('trustii_id'),
  });
}

void runTool<Opts>({
  name: 'boxes',
  summary:
    'Turn patch scores into lesion boxes (level-0 px, inside the slide), best first, exactly N per slide when asked; optionally the DigiLut submission CSV and QuPath GeoJSON.',
  args: '[inputs...]',
  shared: { threads: false },
  examples: [
    'wsi-boxes scores.arrows -n 2 | wsi-eval --truth train.csv                       # 2 boxes a slide, scored',
    'wsi-boxes scores.arrows -n 2 --no-refine | wsi-eval --truth train.csv           # grid-snapped, for comparison',
    'wsi-boxes scores.arrows -m dbscan:eps_strides=2,min_points=4 -n 2 -o boxes.arrows',
    'wsi-boxes scores.arrows -m merge:threshold=0.6,score=max -o boxes.parquet        # every region, no count',
    'wsi-boxes scores.arrows --counts validation.csv --submission submission.csv -o validation-boxes.arrows',
    "wsi-boxes scores.arrows --counts validation.csv --submission sub.csv --columns trustii_id,filename,x1,y1,x2,y2 -o b.arrows",
    "wsi-boxes scores.arrows -n 2 --geojson 'qupath-{slide}.geojson' --contours 0.5,0.8 -o qupath-boxes.arrows",
  ],
  options: (cmd) => {
    cmd
      .option('-m, --method <recipe>', 'box method and parameters: name[:key=value,...] (methods below)', DEFAULT_METHOD)
      .option('-n, --count <n>', 'exactly this many boxes per slide (the best ones; neutral boxes pad)')
      .option('--counts <csv>', 'DigiLut validation list (filename,max_x,max_y,trustii_id): one box per row, given its trustii_id')
      .addOption(
        new Option('--fill <how>', `with a count, when fewer regions pass: lower (look again at ${FILL_FACTORS.join(', then ')} x the thresholds) or neutral (pad at once)`)
          .choices(['lower', 'neutral'])
          .default('lower'),
      )
      .option('--no-refine', 'grid-snapped boxes (the union of the member patches) instead of sub-patch refinement')
      .option('--refine-level <f>', 'refinement cut between the slide median (0) and the region peak (1)', String(DEFAULT_REFINE.level))
      .option('--submission <csv>', `write the DigiLut submission CSV (${SUBMISSION_COLUMNS.join(',')})`)
      .option('--columns <list>', 'submission columns and their order; also slide_id, rank, score, padded')
      .option('--geojson <path>', 'write QuPath GeoJSON per slide; {slide} in the path is the slide id (needed for several slides)')
      .option('--contours <levels>', 'with --geojson: also the areas where patch scores reach these levels, e.g. 0.5,0.8');
    cmd.addHelpText(
      'after',
      `
Methods (-m name:key=value,...):
${methodsHelp()}

Refinement (default): the scores are read as a field sampled at the patch centres (bilinear in
between; overlapping patches sample it more densely) and the box is the extent of the region's area
where the field stays above median + level * (peak - median). Level 0.5 puts the edge where a patch
is half covered. --no-refine gives the union of the member patches (grid-snapped).

Counts: without -n/--counts every region becomes a box. With them, each slide gets exactly N
boxes: the N best regions; then (--fill lower) the best new regions found at lower thresholds; then
neutral boxes: ${NEUTRAL_BOX.x2 - NEUTRAL_BOX.x1} x ${NEUTRAL_BOX.y2 - NEUTRAL_BOX.y1} px at level-0 (0, 0), score 0, padded=true. A neutral box never reaches
GIoU 0.5 with a lesion, so it costs what any wrong box costs. Slides listed in --counts without
scores get neutral boxes only; slides with scores missing from the list get none.

Records go to stdout (or -o); when stdout is a terminal and --submission/--geojson is given, only
those files are written.`,
    );
  },
  async run(ctx, inputs, opts) {
    const method = methodFromRecipe(opts.method);
    if (opts.count !== undefined && opts.counts !== undefined) throw usageError('--count/--counts', 'give one of them, not both');
    let count: CountPlan = { kind: 'all' };
    if (opts.count !== undefined) {
      const n = Number(opts.count);
      if (!Number.isInteger(n) || n < 0) throw usageError('--count', `expected a non-negative integer, got ${JSON.stringify(opts.count)}`);
      if (n > MAX_BOXES_PER_SLIDE) throw usageError('--count', `at most ${MAX_BOXES_PER_SLIDE} boxes per slide, got ${n}`);
      count = { kind: 'fixed', n };
    } else if (opts.counts !== undefined) {
      if (!existsSync(opts.counts)) throw usageError('--counts', `no such file: ${opts.counts}`);
      count = { kind: 'list', slides: readDigilutValidationCsv(readFileSync(opts.counts, 'utf8'), opts.counts) };
      const most = [...count.slides.values()].reduce((m, s) => (s.trustiiIds.length > m.trustiiIds.length ? s : m), { trustiiIds: [] as string[], slideId: '' });
      if (most.trustiiIds.length > MAX_BOXES_PER_SLIDE) throw inputError(opts.counts, `slide ${most.slideId} lists ${most.trustiiIds.length} boxes, more than ${MAX_BOXES_PER_SLIDE}`);
    }
    const refine = opts.refine ? { ...DEFAULT_REFINE, level: unitInterval('--refine-level', opts.refineLevel) } : null;
    const columns = opts.columns ? parseColumns(opts.columns) : [...SUBMISSION_COLUMNS];
    if (opts.columns && !opts.submission) throw usageError('--columns', 'goes with --submission');
    const contours = opts.contours ? opts.contours.split(',').map((v) => unitInterval('--contours', v.trim())) : [];
    if (contours.length && !opts.geojson) throw usageError('--contours', 'goes with --geojson');
    if (opts.submission) checkOutput(opts.submission, ctx.force);
    if (opts.geojson && !opts.geojson.includes('{slide}')) checkOutput(opts.geojson, ctx.force);
    if (opts.submission && count.kind !== 'list') ctx.log.warn('--submission without --counts: the trustii_id column stays empty');

    const sideOnly = !ctx.output && process.stdout.isTTY && Boolean(opts.submission || opts.geojson);
    const sink: RecordSink | null = sideOnly ? null : openRecordSink(ctx.output, { force: ctx.force });
    const provenance = ctx.provenance_entry({
      method: method.def.name,
      ...method.params,
      refine: refine ? { level: refine.level, sub: refine.sub } : false,
      count: count.kind === 'fixed' ? count.n : count.kind === 'list' ? { counts: opts.counts } : 'all',
      fill: count.kind === 'all' ? null : opts.fill,
      neutral_box: NEUTRAL_BOX,
    });
    const kept: SlideResult[] = [];
    let slides = 0;
    let padded = 0;
    let singleGeoJson: string | null = null;
    try {
      for await (const r of boxSlides(readRecords(inputs, { expect: ['patch-score'] }), { method, refine, count, fill: opts.fill, provenance, warn: ctx.log.warn })) {
        slides++;
        padded += r.boxes.filter((b) => b.padded).length;
        if (sink) {
          const schema = schemaFor(r.meta);
          await sink.begin(schema, r.meta);
          if (r.boxes.length) await sink.write(boxBatch(r.boxes, schema));
          await sink.end();
        }
        if (opts.geojson) {
          const text = `${JSON.stringify(qupathGeoJson(r, contours))}\n`;
          // One file for one slide: written at the end, so a second slide fails before any file appears.
          if (opts.geojson.includes('{slide}')) writeTextFile(slideOutputPath(opts.geojson, r.slide.slide_id), text, ctx.force);
          else if (slides > 1) throw usageError('--geojson', 'several slides: put {slide} in the path');
          else singleGeoJson = text;
        }
        if (opts.submission) kept.push({ ...r, grid: null });
      }
      if (singleGeoJson !== null) writeTextFile(opts.geojson!, singleGeoJson, ctx.force);
      if (opts.submission) writeTextFile(opts.submission, submissionCsv(kept, columns), ctx.force);
      await sink?.close();
    } catch (e) {
      sink?.abort();
      throw e;
    }
    ctx.log.info(`${slides} slide(s), method ${method.def.name}${refine ? ', refined' : ', grid-snapped'}${padded ? `, ${padded} neutral box(es) added` : ''}`);
  },
});
