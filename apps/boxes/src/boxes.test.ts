import { describe, expect, it } from 'vitest';
import type { RecordBatch } from 'apache-arrow';
import { isBoxInsideSlide, readDigilutValidationCsv } from '@slidepipe/geometry';
import type { RecordStream } from '@slidepipe/io';
import { makeBatch, schemaFor, type StreamMeta } from '@slidepipe/schema';
import { boxesForGrid, boxSlides, NEUTRAL_BOX, type BoxesOptions, type SlideResult } from './boxes';
import { methodFromRecipe } from './methods/registry';
import { PatchColumns, ScoreGrid } from './grid';
import { DEFAULT_REFINE } from './refine';
import { NOISE_LEVELS, scoreGrids, simStream, simulateSlide, validationCsv, type SimSlide } from '@slidepipe/testing';

// The grid helpers, bound to this tool's own grid classes.
const { gridFromPicture, simGrid } = scoreGrids(PatchColumns, ScoreGrid);

const components = methodFromRecipe('components');

async function* streamsOf(...parts: { meta: StreamMeta; batches: RecordBatch[] }[]): AsyncGenerator<RecordStream> {
  for (const p of parts) {
    yield {
      source: 'test',
      schema: schemaFor(p.meta),
      meta: p.meta,
      batches: (async function* () {
        yield* p.batches;
      })(),
    };
  }
}

async function run(streams: AsyncIterable<RecordStream>, opts: Partial<BoxesOptions> = {}): Promise<SlideResult[]> {
  const out: SlideResult[] = [];
  const warnings: string[] = [];
  for await (const r of boxSlides(streams, {
    method: components,
    refine: DEFAULT_REFINE,
    count: { kind: 'all' },
    fill: 'lower',
    provenance: null,
    warn: (m) => warnings.push(m),
    ...opts,
  }))
    out.push(r);
  return out;
}

describe('exactly N boxes', () => {
  const g = gridFromPicture(`
    ............
    .##.....##..
    .##.....##..
    ............
    ....77......
    ....77......
  `);

  it('keeps the N best regions, best first', () => {
    const all = boxesForGrid(g, components, DEFAULT_REFINE, null);
    expect(all.map((b) => b.score)).toEqual([expect.closeTo(0.95, 6), expect.closeTo(0.95, 6), expect.closeTo(0.7, 6)]);
    const two = boxesForGrid(g, components, DEFAULT_REFINE, 2);
    expect(two).toHaveLength(2);
    expect(two.every((b) => b.score > 0.9 && !b.padded)).toBe(true);
    // Equal scores: the upper, then the left box first.
    expect(two[0].box.x1).toBeLessThan(two[1].box.x1);
  });

  it('pads with the neutral box when fewer regions exist, after a look at lower thresholds', () => {
    const weak = gridFromPicture(`
      ..........
      .##.......
      .##....33.
      .......33.
    `);
    const five = boxesForGrid(weak, components, DEFAULT_REFINE, 5);
    expect(five).toHaveLength(5);
    // The 0.3 block passes at half the threshold (0.25): a real candidate, ranked after.
    expect(five.map((b) => b.padded)).toEqual([false, false, true, true, true]);
    expect(five[1].score).toBeCloseTo(0.3, 6);
    expect(
      five
        .slice(2)
        .every(
          (b) =>
            b.score === 0 && b.box.x1 === NEUTRAL_BOX.x1 && b.box.x2 === NEUTRAL_BOX.x2 && b.box.y2 === NEUTRAL_BOX.y2,
        ),
    ).toBe(true);
    const neutral = boxesForGrid(weak, components, DEFAULT_REFINE, 5, 'neutral');
    expect(neutral.map((b) => b.padded)).toEqual([false, true, true, true, true]);
    expect(boxesForGrid(weak, components, DEFAULT_REFINE, 0)).toEqual([]);
  });

  it('keeps boxes inside the slide, for lesions on its edges', () => {
    // Lesions in the corners of a slide the grid covers exactly, and one the grid overhangs.
    const edge = gridFromPicture(
      `
      ##.......##
      ##.......##
      ...........
      ##.........
      ##.........
    `,
      512,
      512,
      11 * 512 - 100,
    );
    for (const refine of [DEFAULT_REFINE, null]) {
      const boxes = boxesForGrid(edge, methodFromRecipe('components:min_neighbors=0'), refine, 4);
      expect(boxes.filter((b) => !b.padded)).toHaveLength(3);
      for (const b of boxes) {
        expect(isBoxInsideSlide(b.box, edge.width0, edge.height0)).toBe(true);
        expect(Number.isInteger(b.box.x1) && Number.isInteger(b.box.y2)).toBe(true);
      }
    }
  });
});

describe('boxSlides', () => {
  const sims: SimSlide[] = [0, 1, 2].map((i) =>
    simulateSlide({ slideId: `p${i}_a`, seed: 50 + i, noise: NOISE_LEVELS.low, stride0: 512, lesions: 2 }),
  );

  it('gives every slide exactly N boxes, inside the slide, ranked, with metadata and provenance', async () => {
    const prov = { tool: 'wsi-boxes', version: '0', argv: [], params: {}, time: 't' };
    const res = await run(streamsOf(...sims.map((s) => simStream(s, 300))), {
      count: { kind: 'fixed', n: 3 },
      provenance: prov,
    });
    expect(res.map((r) => r.slide.slide_id)).toEqual(['p0_a', 'p1_a', 'p2_a']);
    for (const [k, r] of res.entries()) {
      expect(r.boxes).toHaveLength(3);
      expect(r.boxes.map((b) => b.rank)).toEqual([0, 1, 2]);
      expect(
        r.boxes.every((b) => isBoxInsideSlide(b, sims[k].width0, sims[k].height0) && b.x2 > b.x1 && b.y2 > b.y1),
      ).toBe(true);
      expect(r.meta.record).toBe('box');
      expect(r.meta.provenance.map((p) => p.tool)).toEqual(['simulate', 'wsi-boxes']);
      expect(r.meta.facts.slides).toBeUndefined();
    }
  });

  it('answers a DigiLut counts list: its trustii_ids in order, neutral boxes for listed slides without scores', async () => {
    const counts = readDigilutValidationCsv(
      validationCsv(sims, 100).replace(/\n$/, '\nghost_b.tif,4000,3000,999\n'),
      'validation.csv',
    );
    const res = await run(streamsOf(simStream(sims[0]), simStream(sims[2])), {
      count: { kind: 'list', slides: counts },
    });
    expect(res.map((r) => r.slide.slide_id)).toEqual(['p0_a', 'p2_a', 'p1_a', 'ghost_b']);
    const ids = res.flatMap((r) => r.boxes.map((b) => b.trustii_id));
    expect(ids.sort()).toEqual([...counts.values()].flatMap((c) => c.trustiiIds).sort());
    expect(res[0].boxes.map((b) => b.trustii_id)).toEqual(counts.get('p0_a')!.trustiiIds);
    const ghost = res[3];
    expect(ghost.slide).toMatchObject({ width0: 4000, height0: 3000 });
    expect(ghost.boxes).toEqual([
      { slide_id: 'ghost_b', rank: 0, ...NEUTRAL_BOX, score: 0, padded: true, trustii_id: '999' },
    ]);
    expect(res[2].boxes.every((b) => b.padded)).toBe(true);
  });

  it('splits a stream of several slides (as a Parquet file of a cohort is) and refuses a slide in two streams', async () => {
    const a = simStream(sims[0]);
    const b = simStream(sims[1]);
    const merged: StreamMeta = {
      ...a.meta,
      slide: null,
      facts: { ...a.meta.facts, slides: [a.meta.slide, b.meta.slide] },
    };
    const schema = schemaFor(merged);
    const rebatch = (x: RecordBatch) =>
      makeBatch(schema, Object.fromEntries(schema.fields.map((f) => [f.name, x.getChild(f.name)!.toArray()])) as never);
    const res = await run(streamsOf({ meta: merged, batches: [...a.batches, ...b.batches].map(rebatch) }), {
      count: { kind: 'fixed', n: 2 },
    });
    expect(res.map((r) => [r.slide.slide_id, r.slide.width0, r.boxes.length])).toEqual([
      ['p0_a', sims[0].width0, 2],
      ['p1_a', sims[1].width0, 2],
    ]);
    await expect(run(streamsOf(simStream(sims[0]), simStream(sims[0])))).rejects.toThrow(
      /slide p0_a comes in more than one stream/,
    );
  });

  it('finds the lesions of a clean slide at any stride', async () => {
    for (const stride0 of [512, 256]) {
      const s = simulateSlide({
        slideId: 'c_a',
        seed: 9,
        noise: NOISE_LEVELS.none,
        stride0,
        truth: [{ x1: 5000, y1: 6000, x2: 6000, y2: 6900 }],
      });
      expect(boxesForGrid(simGrid(s), components, DEFAULT_REFINE, 1)[0].score).toBeGreaterThan(0.9);
    }
  });
});

describe('parseCounts', () => {
  it('reads the validation list and refuses bad rows', () => {
    const c = readDigilutValidationCsv(
      'filename,max_x,max_y,trustii_id\na_a.tif,100,50,7\na_a.tif,100,50,8\nb_b.tif,10,10,9\n',
      'v.csv',
    );
    expect([...c.values()]).toEqual([
      { slideId: 'a_a', filename: 'a_a.tif', trustiiIds: ['7', '8'], width0: 100, height0: 50 },
      { slideId: 'b_b', filename: 'b_b.tif', trustiiIds: ['9'], width0: 10, height0: 10 },
    ]);
    expect(() =>
      readDigilutValidationCsv('filename,max_x,max_y,trustii_id\na.tif,1,1,7\nb.tif,1,1,7\n', 'v.csv'),
    ).toThrow(/v\.csv:3: trustii_id 7 appears twice/);
    expect(() => readDigilutValidationCsv('filename,x1\n', 'v.csv')).toThrow(
      /expected the columns filename and trustii_id/,
    );
    expect(() => readDigilutValidationCsv('filename,max_x,max_y,trustii_id\na.tif,-3,1,7\n', 'v.csv')).toThrow(
      /max_x: expected a positive integer, got "-3"/,
    );
  });
});
