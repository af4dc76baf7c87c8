import { Binary, Field, Float32, FixedSizeList, Int64, type RecordBatch, type Schema } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { makeBatch, RECORDS, schemaFor, validateSchema, type ColumnValues, type StreamMeta } from '@slidepipe/schema';
import type { RecordSink, RecordStream } from '@slidepipe/io';
import { allocate, countInput, planSample, slideSeed, writeSample, type SampleOptions } from './sample';
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
