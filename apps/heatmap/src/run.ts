// wsi-heatmap's run: per slide of the score streams, the background, the heat map and the boxes
// drawn into one PNG.
import { loadTruth, type BadBoxPolicy, type Truth } from '@slidepipe/geometry';
import { usageError, type Logger, type ToolContext } from '@slidepipe/cli';
import {
  checkOutput,
  groupBySlide,
  readPredictedBoxes,
  readRecords,
  slideOutputPath,
  writeFileAtomic,
  type RecordStream,
} from '@slidepipe/io';
import { patchExtent, slideFactsOf, type SlideFacts } from '@slidepipe/schema';
import { blankCanvas, canvasSize, drawPicture, type PatchScores, type PredictedBox, type Rgb } from './heatmap';
import { composePng, findSlide, LEGEND_PX, slideBackground } from './render';

export interface HeatmapOptions {
  /** The PNG; {slide} in it is the slide id. */
  output: string;
  boxes: string[];
  truth: string[];
  truthClass?: string;
  badBoxes: BadBoxPolicy;
  slide?: string;
  slides?: string;
  widthPx: number;
  opacity: number;
}

/** Patch scores of one slide: only what the drawing needs. */
class Scores implements PatchScores {
  n = 0;
  x0: number[] = [];
  y0: number[] = [];
  w0: number[] = [];
  h0: number[] = [];
  score: number[] = [];
}

interface SlideScores {
  id: string;
  facts: SlideFacts | null;
  scores: Scores;
}

async function* slidesOf(streams: AsyncIterable<RecordStream>): AsyncGenerator<SlideScores> {
  for await (const s of streams) {
    const bySlide = await groupBySlide(
      s,
      ['x0', 'y0', 'w0', 'h0', 'score'],
      () => new Scores(),
      (sc, [x0, y0, w0, h0, score], i) => {
        sc.n++;
        sc.x0.push(x0[i]);
        sc.y0.push(y0[i]);
        sc.w0.push(w0[i]);
        sc.h0.push(h0[i]);
        sc.score.push(score[i]);
      },
    );
    for (const [id, scores] of bySlide) yield { id, facts: slideFactsOf(s.meta, id), scores };
  }
}

/** The level-0 size from the slide facts, else the patches' extent (with a warning). */
function slideSize(s: SlideScores, log: Logger): { width0: number; height0: number } {
  const stated = { width0: s.facts?.width0 ?? 0, height0: s.facts?.height0 ?? 0 };
  if (stated.width0 > 0 && stated.height0 > 0) return stated;
  log.warn(`slide ${s.id}: no level-0 size in the stream metadata; drawing the patches' extent`);
  return patchExtent(s.scores, stated);
}

/** The slide read at canvas size, else a grey canvas (saying why). */
async function background(
  s: SlideScores,
  slidePath: string | null,
  width: number,
  height: number,
  log: Logger,
): Promise<Rgb> {
  if (!slidePath) {
    log.info(`slide ${s.id}: no slide file found, grey background (see --slide, --slides)`);
    return blankCanvas(width, height);
  }
  try {
    return await slideBackground(slidePath, width, height);
  } catch (e) {
    log.warn(`slide ${s.id}: no background from ${slidePath}: ${(e as Error).message.split('\n')[0]}`);
    return blankCanvas(width, height);
  }
}

interface Drawn {
  png: Buffer;
  /** What the PNG shows, for the log. */
  done: string;
}

async function drawSlide(
  s: SlideScores,
  slidePath: string | null,
  truth: Truth | null,
  preds: PredictedBox[],
  o: HeatmapOptions,
  log: Logger,
): Promise<Drawn> {
  const { width0, height0 } = slideSize(s, log);
  const { width, height, scale } = canvasSize(width0, height0, o.widthPx);
  const back = await background(s, slidePath, width, height, log);
  const trueBoxes = truth?.bySlide.get(s.id) ?? [];
  const pic = drawPicture(back, scale, s.scores, trueBoxes, preds, o.opacity);
  const png = await composePng(pic, preds, {
    slideId: s.id,
    width0,
    height0,
    truth: trueBoxes.length,
    predicted: preds.length,
    patches: s.scores.n,
  });
  return {
    png,
    done: `${width} x ${height + LEGEND_PX} px, ${preds.length} predicted and ${trueBoxes.length} true box(es)`,
  };
}

export async function run(ctx: ToolContext, inputs: string[], o: HeatmapOptions): Promise<void> {
  const perSlide = o.output.includes('{slide}');
  if (!perSlide) checkOutput(o.output, ctx.force);
  const truth = o.truth.length
    ? loadTruth(o.truth, { classNames: o.truthClass?.split(',').map((s) => s.trim()), badBoxes: o.badBoxes })
    : null;
  if (truth?.skipped.length)
    ctx.log.warn(`${truth.skipped.length} truth row(s) or feature(s) left out, first: ${truth.skipped[0]}`);
  const predicted = o.boxes.length ? await readPredictedBoxes(o.boxes) : new Map<string, PredictedBox[]>();
  const write = (path: string, d: Drawn) => {
    writeFileAtomic(path, d.png, ctx.force);
    ctx.log.info(`${path}: ${d.done}`);
  };
  let count = 0;
  let single: Drawn | null = null;
  for await (const s of slidesOf(readRecords(inputs, { expect: ['patch-score'] }))) {
    if (++count > 1 && !perSlide) throw usageError('-o', 'several slides: put {slide} in the path');
    const slidePath = findSlide(s.id, count === 1 ? o.slide : undefined, s.facts?.path, o.slides);
    const drawn = await drawSlide(s, slidePath, truth, predicted.get(s.id) ?? [], o, ctx.log);
    // One file for one slide: written at the end, so a second slide fails before any file appears.
    if (perSlide) write(slideOutputPath(o.output, s.id), drawn);
    else single = drawn;
  }
  if (single) write(o.output, single);
  if (!count) ctx.log.warn('no slides in the input');
}
