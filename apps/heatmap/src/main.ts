import { Option } from 'commander';
import { writeSync } from 'node:fs';
import { BAD_BOX_POLICIES, loadTruth, type BadBoxPolicy } from '@slidepipe/geometry';
import { runTool, usageError } from '@slidepipe/cli';
import { AtomicFile, checkOutput, readRecords, slideOutputPath, type RecordStream } from '@slidepipe/io';
import type { SlideFacts } from '@slidepipe/schema';
import { blankCanvas, canvasSize, drawPicture, type PredictedBox } from './heatmap';
import { composePng, findSlide, LEGEND_PX, slideBackground } from './render';

interface Opts {
  output: string;
  boxes: string[];
  truth: string[];
  truthClass?: string;
  badBoxes: BadBoxPolicy;
  slide?: string;
  slides?: string;
  widthPx: string;
  opacity: string;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** Patch scores of one slide: only what the drawing needs. */
class Scores {
  n = 0;
  x0: number[] = [];
  y0: number[] = [];
  w0: number[] = [];
  h0: number[] = [];
  score: number[] = [];
}

async function readPredicted(paths: string[]): Promise<Map<string, PredictedBox[]>> {
  const out = new Map<string, PredictedBox[]>();
  for await (const s of readRecords(paths, { expect: ['box'] })) {
    for await (const b of s.batches) {
      const col = (c: string) => b.getChild(c)!;
      for (let i = 0; i < b.numRows; i++) {
        // Neutral (padded) boxes mark nothing on the slide.
        if (col('padded').get(i)) continue;
        const id = col('slide_id').get(i) as string;
        const box: PredictedBox = {
          x1: col('x1').get(i),
          y1: col('y1').get(i),
          x2: col('x2').get(i),
          y2: col('y2').get(i),
          rank: col('rank').get(i),
          score: col('score').get(i),
        };
        const list = out.get(id);
        if (list) list.push(box);
        else out.set(id, [box]);
      }
    }
  }
  return out;
}

async function* slidesOf(streams: AsyncIterable<RecordStream>): AsyncGenerator<{ id: string; facts: SlideFacts | null; scores: Scores }> {
  for await (const s of streams) {
    const bySlide = new Map<string, Scores>();
    if (s.meta.slide) bySlide.set(s.meta.slide.slide_id, new Scores());
    for await (const b of s.batches) {
      const ids = b.getChild('slide_id')!;
      const [x0, y0, w0, h0, score] = ['x0', 'y0', 'w0', 'h0', 'score'].map((c) => b.getChild(c)!.toArray() as ArrayLike<number>);
      for (let i = 0; i < b.numRows; i++) {
        const id = ids.get(i) as string;
        let sc = bySlide.get(id);
        if (!sc) bySlide.set(id, (sc = new Scores()));
        sc.n++;
        sc.x0.push(x0[i]);
        sc.y0.push(y0[i]);
        sc.w0.push(w0[i]);
        sc.h0.push(h0[i]);
        sc.score.push(score[i]);
      }
    }
    const listed = (s.meta.facts.slides as SlideFacts[] | undefined) ?? [];
    for (const [id, scores] of bySlide) yield { id, facts: s.meta.slide?.slide_id === id ? s.meta.slide : (listed.find((f) => f.slide_id === id) ?? null), scores };
  }
}

void runTool<Opts>({
  name: 'heatmap',
  summary: 'Draw a PNG per slide: the slide thumbnail, the patch scores as a heat map, the true boxes (green) and the predicted boxes (blue), with a legend.',
  args: '[inputs...]',
  shared: { output: false, force: 'replace existing PNGs', provenance: false, threads: false },
  examples: [
    'wsi-heatmap scores.arrows --slide slide.svs --boxes boxes.arrows --truth train.csv -o heat.png',
    "wsi-heatmap scores.parquet --slides slides/ --boxes boxes.arrows --truth train.csv -o 'heat-{slide}.png'",
    'wsi-heatmap scores.arrows --width-px 800 --opacity 0.4 -o heat.png          # scores only, grey background',
  ],
  options: (cmd) => {
    cmd
      .requiredOption('-o, --output <png>', 'PNG to write; {slide} in the path is the slide id (needed for several slides)')
      .option('--boxes <file>', 'predicted boxes (box records; repeat for several files)', collect, [])
      .option('--truth <file>', 'true boxes: DigiLut box CSV or QuPath GeoJSON (repeatable)', collect, [])
      .option('--truth-class <names>', 'GeoJSON: only features of these comma-separated classifications')
      .addOption(new Option('--bad-boxes <policy>', 'bad truth boxes (as wsi-eval): fail or drop').choices(BAD_BOX_POLICIES as string[]).default('fail'))
      .option('--slide <path>', 'the slide file for the background (one slide)')
      .option('--slides <dir>', 'folder holding <slide_id>.<ext> slide files')
      .option('--width-px <n>', 'picture width in pixels (height follows the slide)', '1200')
      .option('--opacity <f>', 'heat map opacity at score 1 (scored tissue gets a tenth of it)', '0.6');
    cmd.addHelpText(
      'after',
      `
Background: the slide from --slide, else the path in the stream's slide facts, else
--slides/<slide_id>.*, read at the smallest pyramid level that covers the picture (the thumbnail
when that level is too big); without a slide, a plain grey canvas. Overlapping patches are
averaged. Truth boxes are stroked just outside their edge, predictions just inside, so both show
where they coincide; neutral (padded) boxes are not drawn.`,
    );
  },
  async run(ctx, inputs, opts) {
    const widthPx = Number(opts.widthPx);
    if (!(Number.isInteger(widthPx) && widthPx >= 64 && widthPx <= 20000)) throw usageError('--width-px', `expected an integer in [64, 20000], got ${JSON.stringify(opts.widthPx)}`);
    const opacity = Number(opts.opacity);
    if (!(opacity >= 0 && opacity <= 1)) throw usageError('--opacity', `expected a number in [0, 1], got ${JSON.stringify(opts.opacity)}`);
    if (!opts.output.includes('{slide}')) checkOutput(opts.output, ctx.force);
    const truth = opts.truth.length ? loadTruth(opts.truth, { classNames: opts.truthClass?.split(',').map((s) => s.trim()), badBoxes: opts.badBoxes }) : null;
    if (truth?.skipped.length) ctx.log.warn(`${truth.skipped.length} truth row(s) or feature(s) left out, first: ${truth.skipped[0]}`);
    const predicted = opts.boxes.length ? await readPredicted(opts.boxes) : new Map<string, PredictedBox[]>();
    let count = 0;
    let single: { png: Buffer; done: string } | null = null;
    for await (const s of slidesOf(readRecords(inputs, { expect: ['patch-score'] }))) {
      if (++count > 1 && !opts.output.includes('{slide}')) throw usageError('-o', 'several slides: put {slide} in the path');
      let width0 = s.facts?.width0 ?? 0;
      let height0 = s.facts?.height0 ?? 0;
      if (!(width0 > 0 && height0 > 0)) {
        for (let i = 0; i < s.scores.n; i++) {
          width0 = Math.max(width0, s.scores.x0[i] + s.scores.w0[i]);
          height0 = Math.max(height0, s.scores.y0[i] + s.scores.h0[i]);
        }
        ctx.log.warn(`slide ${s.id}: no level-0 size in the stream metadata; drawing the patches' extent`);
      }
      const { width, height, scale } = canvasSize(width0, height0, widthPx);
      const slidePath = findSlide(s.id, count === 1 ? opts.slide : undefined, s.facts?.path, opts.slides);
      let background = blankCanvas(width, height);
      if (slidePath) {
        try {
          background = await slideBackground(slidePath, width, height);
        } catch (e) {
          ctx.log.warn(`slide ${s.id}: no background from ${slidePath}: ${(e as Error).message.split('\n')[0]}`);
        }
      } else ctx.log.info(`slide ${s.id}: no slide file found, grey background (see --slide, --slides)`);
      const trueBoxes = truth?.bySlide.get(s.id) ?? [];
      const preds = predicted.get(s.id) ?? [];
      const pic = drawPicture(background, scale, s.scores, trueBoxes, preds, opacity);
      const png = await composePng(pic, preds, { slideId: s.id, width0, height0, truth: trueBoxes.length, predicted: preds.length, patches: s.scores.n });
      const done = `${width} x ${height + LEGEND_PX} px, ${preds.length} predicted and ${trueBoxes.length} true box(es)`;
      // One file for one slide: written at the end, so a second slide fails before any file appears.
      if (opts.output.includes('{slide}')) writePng(slideOutputPath(opts.output, s.id), png, ctx.force, done);
      else single = { png, done };
    }
    if (single) writePng(opts.output, single.png, ctx.force, single.done);
    if (!count) ctx.log.warn('no slides in the input');
    function writePng(path: string, png: Buffer, force: boolean, what: string): void {
      const file = new AtomicFile(path, force);
      try {
        for (let off = 0; off < png.length; ) off += writeSync(file.fd, png, off);
        file.commit();
      } catch (e) {
        file.abort();
        throw e;
      }
      ctx.log.info(`${path}: ${what}`);
    }
  },
});
