import { Binary, Field, Float32, FixedSizeList, Int64, type RecordBatch, type Schema } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import {
  makeBatch,
  OUT_OF_FOLD,
  RECORDS,
  schemaFor,
  validateSchema,
  type ColumnValues,
  type StreamMeta,
} from '@slidepipe/schema';
import type { RecordSink, RecordStream } from '@slidepipe/io';
import { HardNegatives, type HardOptions } from './hard';
import { allocate, countInput, markKept, planSample, slideSeed, writeSample, type SampleOptions } from './sample';
import { takeRows } from './take';

/** A labelled-patch stream of one slide whose row i is positive when positive(i). */
function slideStream(slideId: string, rows: number, positive: (i: number) => boolean, batchRows = 100): RecordStream {
  const meta: StreamMeta = {
    record: 'labelled-patch',
    version: RECORDS['labelled-patch'].version,
    slide: { slide_id: slideId, patient_id: slideId.split('_')[0], width0: 1e5, height0: 1e5, mpp0: 0.25 },
    facts: {},
    provenance: [],
  };
  const schema = schemaFor(meta);
  async function* batches() {
    for (let at = 0; at < rows; at += batchRows) {
      const idx = Array.from({ length: Math.min(batchRows, rows - at) }, (_, k) => at + k);
      const n = idx.length;
      yield makeBatch(schema, {
        slide_id: idx.map(() => slideId),
        x0: Int32Array.from(idx, (i) => i * 512),
        y0: new Int32Array(n),
        w0: new Int32Array(n).fill(512),
        h0: new Int32Array(n).fill(512),
        col: Int32Array.from(idx),
        row: new Int32Array(n),
        mpp: new Float32Array(n).fill(0.5),
        tissue: new Float32Array(n).fill(1),
        image: idx.map((i) => new Uint8Array([i & 255, (i >> 8) & 255])),
        coverage: Float32Array.from(idx, (i) => (positive(i) ? 1 : 0)),
        iou: new Float32Array(n),
        giou: new Float32Array(n).fill(-1),
        box_id: idx.map((i) => (positive(i) ? 'b' : null)),
        label: Int8Array.from(idx, (i) => (positive(i) ? 1 : 0)),
      });
    }
  }
  return { source: `${slideId}.arrows`, schema, meta: validateSchema(schema), batches: batches() };
}

class MemorySink implements RecordSink {
  readonly name = 'memory';
  rows = 0;
  streams: { meta: StreamMeta; batches: RecordBatch[] }[] = [];
  async begin(_schema: Schema, meta: StreamMeta) {
    this.streams.push({ meta, batches: [] });
  }
  async write(b: RecordBatch) {
    this.streams[this.streams.length - 1].batches.push(b);
    this.rows += b.numRows;
  }
  async end() {
    // Nothing buffered per stream.
  }
  async close() {
    // Nothing to finish in memory.
  }
  abort() {
    // Nothing to remove.
  }
  rowsOf(): { slide: string; col: number; label: number; image: number[] }[] {
    return this.streams.flatMap((s) =>
      s.batches.flatMap((b) =>
        b
          .toArray()
          .map((r) => ({ slide: r.slide_id, col: r.col, label: r.label, image: Array.from(r.image as Uint8Array) })),
      ),
    );
  }
}

// Three slides: A has 30 positives in 1000 rows, B 5 in 400, C none in 600 (lesion-free).
const COHORT: [string, number, (i: number) => boolean][] = [
  ['A_a', 1000, (i) => i % 33 === 5 && i < 990],
  ['B_b', 400, (i) => i >= 200 && i < 205],
  ['C_a', 600, () => false],
];
const cohort = (slides = COHORT) =>
  (async function* () {
    for (const [id, n, pos] of slides) yield slideStream(id, n, pos);
  })();

const base: SampleOptions = {
  negPerPos: 2,
  perSlide: false,
  minNegPerSlide: 10,
  maxPerSlide: null,
  seed: 1,
  keepSlide: () => true,
};

async function sample(opts: Partial<SampleOptions> = {}, slides = COHORT) {
  const o = { ...base, ...opts };
  const counts = await countInput(cohort(slides), o.keepSlide);
  const plan = planSample(counts.slides, o);
  const sink = new MemorySink();
  const out = await writeSample(cohort(slides), sink, counts, plan, {
    ...o,
    provenance: (plans) => ({ tool: 'wsi-sample', version: 't', argv: [], params: { slides: plans }, time: 't' }),
  });
  return { counts, plan, sink, out, rows: sink.rowsOf() };
}

describe('allocate', () => {
  it('shares in proportion to weights, by largest remainder, within caps', () => {
    expect(allocate(10, [1, 1, 2], [100, 100, 100])).toEqual([3, 2, 5]); // 2.5, 2.5, 5: the tie goes to the first
    expect(allocate(10, [1, 1, 2], [100, 100, 1])).toEqual([5, 4, 1]); // the capped one's share is shared again
    expect(allocate(50, [5, 5], [3, 4])).toEqual([3, 4]); // not enough room: all of it
    expect(allocate(7, [0, 3], [5, 5])).toEqual([0, 5]);
  });
});

describe('wsi-sample', () => {
  it('keeps every positive and exactly neg-per-pos negatives over the input', async () => {
    const { rows, counts } = await sample();
    const pos = rows.filter((r) => r.label === 1);
    const neg = rows.filter((r) => r.label === 0);
    expect(counts.slides.get('A_a')).toEqual({ pos: 30, neg: 970 });
    expect(pos).toHaveLength(35);
    expect(neg).toHaveLength(70);
    // The lesion-free slide gives at least its floor.
    expect(neg.filter((r) => r.slide === 'C_a').length).toBeGreaterThanOrEqual(10);
  });

  it('shares the negatives among slides in proportion to their negatives, after the floor', async () => {
    const { plan } = await sample();
    // 70 negatives: C's floor 10, then 60 over weights 970 / 395 / 590 -> 29.8 / 12.1 / 18.1.
    expect([...plan.slides.values()].map((p) => p.keepNeg)).toEqual([30, 12, 28]);
  });

  it('applies the ratio per slide with --per-slide, and the floor to lesion-free slides', async () => {
    const { plan, rows } = await sample({ negPerPos: 3, perSlide: true, minNegPerSlide: 25 });
    expect(Object.fromEntries([...plan.slides].map(([id, p]) => [id, [p.keepPos, p.keepNeg]]))).toEqual({
      A_a: [30, 90],
      B_b: [5, 15],
      C_a: [0, 25],
    });
    expect(rows).toHaveLength(30 + 90 + 5 + 15 + 25);
  });

  it('caps rows per slide, positives first, and says what the cap left out', async () => {
    const { plan } = await sample({ negPerPos: 3, perSlide: true, maxPerSlide: 20 });
    expect(plan.slides.get('A_a')).toMatchObject({ keepPos: 20, keepNeg: 0 });
    expect(plan.slides.get('B_b')).toMatchObject({ keepPos: 5, keepNeg: 15 });
    expect(plan.notes.join('\n')).toMatch(/slide A_a: 10 of 30 positives left out by --max-per-slide 20/);
  });

  it('is deterministic for a seed, differs between seeds, and keeps the input order and record contents', async () => {
    const a = (await sample({ seed: 5 })).rows;
    const b = (await sample({ seed: 5 })).rows;
    const c = (await sample({ seed: 6 })).rows;
    expect(a).toEqual(b);
    expect(c.map((r) => `${r.slide}/${r.col}`)).not.toEqual(a.map((r) => `${r.slide}/${r.col}`));
    for (const r of a) expect(r.image).toEqual([r.col & 255, (r.col >> 8) & 255]);
    const slideA = a.filter((r) => r.slide === 'A_a').map((r) => r.col);
    expect(slideA).toEqual([...slideA].sort((x, y) => x - y));
  });

  it('selects negatives without positional bias across seeds', async () => {
    // Slide B keeps 12 of its 395 negatives per run; over 100 seeds that is 1200 picks.
    const hits = new Map<number, number>();
    for (let seed = 0; seed < 100; seed++) {
      // Slide B alone: 5 positives x 2.4 = 12 of its 395 negatives per run.
      const { rows } = await sample({ seed, negPerPos: 2.4 }, [COHORT[1]]);
      for (const r of rows) if (r.slide === 'B_b' && r.label === 0) hits.set(r.col, (hits.get(r.col) ?? 0) + 1);
    }
    const firstHalf = [...hits].filter(([col]) => col < 200).reduce((n, [, h]) => n + h, 0);
    const total = [...hits.values()].reduce((a, b) => a + b, 0);
    expect(total).toBe(100 * 12);
    // 200 of the 395 negatives lie before row 200: expected share 0.506, sd about 0.014.
    expect(firstHalf / total).toBeGreaterThan(0.46);
    expect(firstHalf / total).toBeLessThan(0.55);
  });

  it('keeps only slides of a split set, leaving other slides out whole', async () => {
    const { rows, sink, counts } = await sample({ keepSlide: (id) => id !== 'B_b' });
    expect(rows.some((r) => r.slide === 'B_b')).toBe(false);
    expect(rows.filter((r) => r.label === 1)).toHaveLength(30);
    expect(sink.streams.map((s) => s.meta.slide!.slide_id)).toEqual(['A_a', 'C_a']);
    expect(counts.skippedRows).toBe(400);
  });

  it('records the plan of each slide in one provenance entry of its stream', async () => {
    const { sink } = await sample();
    expect(sink.streams[1].meta.provenance).toHaveLength(1);
    expect(sink.streams[1].meta.provenance[0].params).toEqual({
      slides: { B_b: { positives: [5, 5], negatives: [12, 395] } },
    });
  });

  it('refuses records without a 0/1 label', async () => {
    const s = slideStream('A_a', 10, () => false);
    const bad: RecordStream = {
      ...s,
      batches: (async function* () {
        for await (const b of s.batches) {
          const label = b.getChild('label')!.toArray() as Int8Array;
          label[3] = 2;
          yield b;
        }
      })(),
    };
    await expect(
      countInput(
        (async function* () {
          yield bad;
        })(),
        () => true,
      ),
    ).rejects.toThrow(/A_a\.arrows: row 3 of a batch has label 2, expected 0 or 1/);
  });
});

describe('takeRows', () => {
  it('copies chosen rows of every column type, from sliced batches too', async () => {
    const schema = schemaFor({ record: 'labelled-patch', version: 1, slide: null, facts: {}, provenance: [] }, [
      new Field('vec', new FixedSizeList(2, new Field('item', new Float32(), false)), true),
      new Field('big', new Int64(), false),
      new Field('raw', new Binary(), true),
    ]);
    const s = slideStream('A_a', 10, (i) => i === 4, 10);
    const [b] = await (async () => {
      const out: RecordBatch[] = [];
      for await (const x of s.batches) out.push(x);
      return out;
    })();
    const cols: Record<string, ColumnValues> = {};
    for (const f of b.schema.fields) cols[f.name] = Array.from({ length: 10 }, (_, i) => b.getChild(f.name)!.get(i));
    const full = makeBatch(schema, {
      ...cols,
      x0: b.getChild('x0')!.toArray() as Int32Array,
      vec: Array.from({ length: 10 }, (_, i) => Float32Array.of(i, -i)),
      big: Array.from({ length: 10 }, (_, i) => BigInt(i) * 10n ** 12n) as never,
      raw: Array.from({ length: 10 }, (_, i) => (i % 3 ? new Uint8Array([i]) : null)),
    });
    const sliced = full.slice(3, 9); // rows 3..8
    const out = takeRows(sliced, [0, 1, 4, 5]); // rows 3, 4, 7, 8
    const got = out.toArray().map((r) => r.toJSON());
    expect(got.map((r) => r.col)).toEqual([3, 4, 7, 8]);
    expect(got.map((r) => r.label)).toEqual([0, 1, 0, 0]);
    expect(got.map((r) => r.box_id)).toEqual([null, 'b', null, null]);
    expect(got.map((r) => Array.from(r.image as Uint8Array))).toEqual([
      [3, 0],
      [4, 0],
      [7, 0],
      [8, 0],
    ]);
    expect(got.map((r) => (r.raw ? Array.from(r.raw as Uint8Array) : null))).toEqual([null, [4], [7], [8]]);
    expect(got.map((r) => Array.from(r.vec as Iterable<number>))).toEqual([
      [3, -3],
      [4, -4],
      [7, -7],
      [8, -8],
    ]);
    expect(got.map((r) => r.big)).toEqual([3n, 4n, 7n, 8n].map((x) => x * 10n ** 12n));
  });
});

describe('slideSeed', () => {
  it('differs for every seed and slide of a small grid', () => {
    const seen = new Set<number>();
    for (let seed = 0; seed < 100; seed++) for (const id of ['A_a', 'A_b', 'B_a']) seen.add(slideSeed(seed, id));
    expect(seen.size).toBe(300);
  });
});

/**
 * Out-of-fold patch-score stream for rows `rows` of a COHORT slide (same keys as slideStream),
 * label as in the cohort, score(i) per row.
 */
function scoreStream(
  slideId: string,
  rows: number[],
  score: (i: number) => number,
  positive: (i: number) => boolean,
  aggregate: string = OUT_OF_FOLD,
): RecordStream {
  const meta: StreamMeta = {
    record: 'patch-score',
    version: RECORDS['patch-score'].version,
    slide: { slide_id: slideId, patient_id: slideId.split('_')[0], width0: 1e5, height0: 1e5, mpp0: 0.25 },
    facts: { folds: 1, aggregate },
    provenance: [],
  };
  const schema = schemaFor(meta);
  const n = rows.length;
  const batch = makeBatch(schema, {
    slide_id: rows.map(() => slideId),
    x0: Int32Array.from(rows, (i) => i * 512),
    y0: new Int32Array(n),
    w0: new Int32Array(n).fill(512),
    h0: new Int32Array(n).fill(512),
    col: Int32Array.from(rows),
    row: new Int32Array(n),
    label: Int8Array.from(rows, (i) => (positive(i) ? 1 : 0)),
    score: Float32Array.from(rows, score),
    fold_scores: rows.map((i) => Float32Array.of(score(i))),
  });
  return {
    source: `${slideId}.scores.arrows`,
    schema,
    meta: validateSchema(schema),
    batches: (async function* () {
      yield batch;
    })(),
  };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
// Distinct scores in (0, 1) that do not follow row order; C_a's (lesion-free) are the highest.
const hashScore = (slide: number) => (i: number) =>
  (((i * 7919 + slide * 104729) % 10007) / 10007) * 0.5 + (slide === 2 ? 0.5 : 0);
/** Every row of every COHORT slide scored, one stream per slide (or the given streams). */
const allScores = () =>
  (async function* () {
    for (const [k, [id, n, pos]] of COHORT.entries()) yield scoreStream(id, range(n), hashScore(k), pos);
  })();

/** wsi-sample's run with --hard-negatives, on COHORT: count, plan, mark kept, choose, write. */
async function sampleHard(
  hardOpts: Partial<HardOptions> = {},
  opts: Partial<SampleOptions> = {},
  scores: () => AsyncIterable<RecordStream> = allScores,
) {
  const o = { ...base, ...opts };
  const h: HardOptions = { perPos: 1, perSlide: o.perSlide, maxPerSlide: o.maxPerSlide, ...hardOpts };
  const hard = await HardNegatives.read(scores(), () => undefined);
  const counts = await countInput(cohort(), o.keepSlide, (b, i, label) => hard.seen(b, i, label));
  const plan = planSample(counts.slides, o);
  hard.checkAllSeen();
  await markKept(cohort(), counts, plan, o, hard);
  const choice = hard.choose(plan, h);
  const sink = new MemorySink();
  const out = await writeSample(cohort(), sink, counts, plan, {
    ...o,
    hard: { negatives: hard, choice },
    provenance: (plans) => ({ tool: 'wsi-sample', version: 't', argv: [], params: { slides: plans }, time: 't' }),
  });
  return { plan, choice, sink, out, rows: sink.rowsOf() };
}

const keyOf = (r: { slide: string; col: number }) => `${r.slide}:${r.col}`;
/** The n highest-scoring COHORT negatives not in `kept`, over the given slides. */
function topUnkept(kept: Set<string>, n: number, slides = COHORT.map(([id]) => id)): Set<string> {
  const cands = COHORT.filter(([id]) => slides.includes(id)).flatMap(([id, rows, pos]) =>
    range(rows)
      .filter((i) => !pos(i) && !kept.has(`${id}:${i}`))
      .map((i) => ({ key: `${id}:${i}`, score: hashScore(COHORT.findIndex(([x]) => x === id))(i) })),
  );
  cands.sort((a, b) => b.score - a.score);
  return new Set(cands.slice(0, n).map((c) => c.key));
}

describe('wsi-sample --hard-negatives', () => {
  it('adds the per-pos x positives highest-scoring negatives not already kept, in input order', async () => {
    const plain = await sample();
    const kept = new Set(plain.rows.map(keyOf));
    const { rows, choice, out } = await sampleHard({ perPos: 3 });
    // The seeded sample is the same with and without hard negatives; 3 x 35 positives are added.
    const added = rows.filter((r) => !kept.has(keyOf(r)));
    expect(rows.filter((r) => kept.has(keyOf(r)))).toEqual(plain.rows);
    expect(choice).toMatchObject({ wanted: 105, added: 105 });
    expect(out.hard).toBe(105);
    expect(added.every((r) => r.label === 0)).toBe(true);
    expect(new Set(added.map(keyOf))).toEqual(topUnkept(kept, 105));
    // The scores ranked C_a's negatives highest: the global pick takes them from there.
    expect(added.every((r) => r.slide === 'C_a')).toBe(true);
    // Input order: slides as streamed, rows by column.
    const order = COHORT.map(([id]) => id);
    const sorted = [...rows].sort((a, b) => order.indexOf(a.slide) - order.indexOf(b.slide) || a.col - b.col);
    expect(rows).toEqual(sorted);
    expect(new Set(rows.map(keyOf)).size).toBe(rows.length);
  });

  it('--per-slide picks within each slide, per its own positives (none for a lesion-free slide)', async () => {
    const plain = await sample({ perSlide: true });
    const kept = new Set(plain.rows.map(keyOf));
    const { rows, choice, sink } = await sampleHard({ perPos: 2 }, { perSlide: true });
    const added = rows.filter((r) => !kept.has(keyOf(r)));
    expect(choice.wanted).toBe(2 * 35);
    const bySlide = (id: string) => new Set(added.filter((r) => r.slide === id).map(keyOf));
    expect(bySlide('A_a')).toEqual(topUnkept(kept, 60, ['A_a']));
    expect(bySlide('B_b')).toEqual(topUnkept(kept, 10, ['B_b']));
    expect(bySlide('C_a').size).toBe(0);
    // Each stream's provenance records [added, candidates] per slide.
    const slides = sink.streams.map((s) => s.meta.provenance.at(-1)!.params.slides as Record<string, unknown>);
    expect(slides[0].A_a).toMatchObject({ hard_negatives: [60, choice.slides.get('A_a')!.candidates] });
    expect(slides[2].C_a).toMatchObject({ hard_negatives: [0, 600 - plain.plan.slides.get('C_a')!.keepNeg] });
  });

  it('stays within --max-per-slide, and adds fewer when too few scored negatives are left', async () => {
    const { rows, choice } = await sampleHard({ perPos: 3 }, { maxPerSlide: 60 });
    const per = new Map<string, number>();
    for (const r of rows) per.set(r.slide, (per.get(r.slide) ?? 0) + 1);
    for (const n of per.values()) expect(n).toBeLessThanOrEqual(60);
    expect(per.get('C_a')).toBe(60);
    expect(choice.added).toBeLessThan(choice.wanted);
    // Only 12 negatives scored, of B_b: at most those not already kept can be added.
    const few = () =>
      (async function* () {
        yield scoreStream('B_b', range(12), () => 0.9, COHORT[1][2]);
      })();
    const plain = await sample();
    const kept = new Set(plain.rows.map(keyOf));
    const unkept = range(12).filter((i) => !kept.has(`B_b:${i}`)).length;
    const r = await sampleHard({ perPos: 1 }, {}, few);
    expect(r.choice).toMatchObject({ wanted: 35, added: unkept, candidates: unkept });
    expect(r.rows).toHaveLength(plain.rows.length + unkept);
  });

  it('chooses the same patches whatever the order of the score files (ties by key)', async () => {
    const tied = (reverse: boolean) => () =>
      (async function* () {
        const s = COHORT.map(([id, n, pos]) =>
          scoreStream(id, reverse ? range(n).reverse() : range(n), () => 0.5, pos),
        );
        yield* reverse ? s.reverse() : s;
      })();
    const a = await sampleHard({ perPos: 1 }, {}, tied(false));
    const b = await sampleHard({ perPos: 1 }, {}, tied(true));
    expect(a.choice.added).toBe(35);
    expect(b.rows).toEqual(a.rows);
  });

  it('refuses scores that are not out of fold, scored twice, not finite, or of patches not in the input', async () => {
    const one =
      (...s: RecordStream[]) =>
      async () => {
        const g = (async function* () {
          yield* s;
        })();
        return HardNegatives.read(g, () => undefined);
      };
    const pos = COHORT[0][2];
    await expect(one(scoreStream('A_a', [1, 2], () => 0.5, pos, 'mean-prob'))()).rejects.toThrow(
      'A_a.scores.arrows: scores are not out-of-fold (facts.aggregate "mean-prob"): heads that trained on a slide rank its negatives too low; score the training slides with wsi-predict --out-of-fold --splits',
    );
    // The same patch with the same score twice is fine; with another score it is not.
    const same = await one(
      scoreStream('A_a', [1, 2], () => 0.5, pos),
      scoreStream('A_a', [2], () => 0.5, pos),
    )();
    expect(same.size).toBe(2);
    await expect(
      one(
        scoreStream('A_a', [1, 2], () => 0.5, pos),
        scoreStream('A_a', [2], () => 0.25, pos),
      )(),
    ).rejects.toThrow(/slide A_a x0=1024 y0=0 w0=512 h0=512 is scored twice, 0\.5 \(A_a\.scores\.arrows\) and 0\.25/);
    await expect(one(scoreStream('A_a', [3], () => NaN, pos))()).rejects.toThrow(
      'A_a.scores.arrows: slide A_a x0=1536 y0=0 w0=512 h0=512 has score NaN',
    );
    // Patches beyond the input's 1000 rows of A_a, and a slide the input does not have.
    const extra = () =>
      (async function* () {
        yield scoreStream('A_a', [5, 1000, 1001], () => 0.5, pos);
        yield scoreStream('D_d', [0], () => 0.5, pos);
      })();
    await expect(sampleHard({}, {}, extra)).rejects.toThrow(
      'A_a.scores.arrows: 3 of the 4 scored patches are not in the input (first: slide A_a x0=512000 y0=0 w0=512 h0=512): scores of another tiling, or of slides left out of the input?',
    );
  });
});
