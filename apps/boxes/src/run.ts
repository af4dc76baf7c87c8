// wsi-boxes' run: box streams per slide, and the side files (submission CSV, QuPath GeoJSON).
import { existsSync, readFileSync } from 'node:fs';
import { inputError, nonNegativeInteger, numberIn, usageError, type ToolContext } from '@slidepipe/cli';
import { readDigilutValidationCsv } from '@slidepipe/geometry';
import {
  checkOutput,
  openRecordSink,
  readRecords,
  slideOutputPath,
  writeFileAtomic,
  type RecordSink,
} from '@slidepipe/io';
import { makeBatch, schemaFor, type BoxRecord } from '@slidepipe/schema';
import { boxSlides, NEUTRAL_BOX, type CountPlan, type Fill, type SlideResult } from './boxes';
import { methodFromRecipe, type ChosenMethod } from './methods/registry';
import { parseColumns, qupathGeoJson, submissionCsv, SUBMISSION_COLUMNS } from './outputs';
import { DEFAULT_REFINE, type RefineOptions } from './refine';
import { describePrior, DIGILUT_SIZE_PRIOR, readSizePrior, type SizePrior } from './size-prior';

/** A bound checked before any work: DigiLut slides hold a handful of lesions. */
const MAX_BOXES_PER_SLIDE = 10_000;

/** The flags as given (numbers checked here, in the order the messages have always come). */
export interface BoxesFlags {
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
  sizePrior?: string;
}

interface Plan {
  method: ChosenMethod;
  count: CountPlan;
  refine: RefineOptions | null;
  columns: ReturnType<typeof parseColumns>;
  contours: number[];
  sizePrior: SizePrior | null;
}

const unitInterval = (flag: string) => numberIn(flag, '(0, 1]');

function countPlan(o: BoxesFlags): CountPlan {
  if (o.count !== undefined && o.counts !== undefined)
    throw usageError('--count/--counts', 'give one of them, not both');
  if (o.count !== undefined) {
    const n = nonNegativeInteger('--count')(o.count);
    if (n > MAX_BOXES_PER_SLIDE)
      throw usageError('--count', `at most ${MAX_BOXES_PER_SLIDE} boxes per slide, got ${n}`);
    return { kind: 'fixed', n };
  }
  if (o.counts === undefined) return { kind: 'all' };
  if (!existsSync(o.counts)) throw usageError('--counts', `no such file: ${o.counts}`);
  const slides = readDigilutValidationCsv(readFileSync(o.counts, 'utf8'), o.counts);
  const most = [...slides.values()].reduce((m, s) => (s.trustiiIds.length > m.trustiiIds.length ? s : m), {
    trustiiIds: [] as string[],
    slideId: '',
  });
  if (most.trustiiIds.length > MAX_BOXES_PER_SLIDE)
    throw inputError(
      o.counts,
      `slide ${most.slideId} lists ${most.trustiiIds.length} boxes, more than ${MAX_BOXES_PER_SLIDE}`,
    );
  return { kind: 'list', slides };
}

/** Everything that can be refused is refused before the scores are read. */
function plan(ctx: ToolContext, o: BoxesFlags): Plan {
  const method = methodFromRecipe(o.method);
  const count = countPlan(o);
  const refine = o.refine ? { ...DEFAULT_REFINE, level: unitInterval('--refine-level')(o.refineLevel) } : null;
  const columns = o.columns ? parseColumns(o.columns) : [...SUBMISSION_COLUMNS];
  if (o.columns && !o.submission) throw usageError('--columns', 'goes with --submission');
  const contours = o.contours ? o.contours.split(',').map((v) => unitInterval('--contours')(v.trim())) : [];
  if (contours.length && !o.geojson) throw usageError('--contours', 'goes with --geojson');
  if (o.sizePrior !== undefined && !existsSync(o.sizePrior))
    throw usageError('--size-prior', `no such file: ${o.sizePrior}`);
  const sizePrior = o.sizePrior === undefined ? null : readSizePrior(o.sizePrior);
  if (sizePrior && !method.def.usesSizePrior)
    ctx.log.warn(`--size-prior: method ${method.def.name} does not use a size prior (peaks does)`);
  if (o.submission) checkOutput(o.submission, ctx.force);
  if (o.geojson && !o.geojson.includes('{slide}')) checkOutput(o.geojson, ctx.force);
  if (o.submission && count.kind !== 'list')
    ctx.log.warn('--submission without --counts: the trustii_id column stays empty');
  return { method, count, refine, columns, contours, sizePrior };
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

async function writeStream(sink: RecordSink, r: SlideResult): Promise<void> {
  const schema = schemaFor(r.meta);
  await sink.begin(schema, r.meta);
  if (r.boxes.length) await sink.write(boxBatch(r.boxes, schema));
  await sink.end();
}

export async function run(ctx: ToolContext, inputs: string[], o: BoxesFlags): Promise<void> {
  const { method, count, refine, columns, contours, sizePrior } = plan(ctx, o);
  const sideOnly = !ctx.output && process.stdout.isTTY && Boolean(o.submission || o.geojson);
  const sink: RecordSink | null = sideOnly ? null : openRecordSink(ctx.output, { force: ctx.force });
  const provenance = ctx.provenance_entry({
    method: method.def.name,
    ...method.params,
    refine: refine ? { level: refine.level, sub: refine.sub } : false,
    count: count.kind === 'fixed' ? count.n : count.kind === 'list' ? { counts: o.counts } : 'all',
    fill: count.kind === 'all' ? null : o.fill,
    neutral_box: NEUTRAL_BOX,
    ...(method.def.usesSizePrior ? { size_prior: describePrior(sizePrior ?? DIGILUT_SIZE_PRIOR) } : {}),
  });
  const perSlideGeoJson = Boolean(o.geojson?.includes('{slide}'));
  const kept: SlideResult[] = [];
  let slides = 0;
  let padded = 0;
  let singleGeoJson: string | null = null;
  try {
    for await (const r of boxSlides(readRecords(inputs, { expect: ['patch-score'] }), {
      method,
      refine,
      count,
      fill: o.fill,
      provenance,
      sizePrior,
      warn: ctx.log.warn,
    })) {
      slides++;
      padded += r.boxes.filter((b) => b.padded).length;
      if (sink) await writeStream(sink, r);
      if (o.geojson) {
        const text = `${JSON.stringify(qupathGeoJson(r, contours))}\n`;
        // One file for one slide: written at the end, so a second slide fails before any file appears.
        if (perSlideGeoJson) writeFileAtomic(slideOutputPath(o.geojson, r.slide.slide_id), text, ctx.force);
        else if (slides > 1) throw usageError('--geojson', 'several slides: put {slide} in the path');
        else singleGeoJson = text;
      }
      if (o.submission) kept.push({ ...r, grid: null });
    }
    if (singleGeoJson !== null) writeFileAtomic(o.geojson!, singleGeoJson, ctx.force);
    if (o.submission) writeFileAtomic(o.submission, submissionCsv(kept, columns), ctx.force);
    await sink?.close();
  } catch (e) {
    sink?.abort();
    throw e;
  }
  ctx.log.info(
    `${slides} slide(s), method ${method.def.name}${refine ? ', refined' : ', grid-snapped'}${padded ? `, ${padded} neutral box(es) added` : ''}`,
  );
}
