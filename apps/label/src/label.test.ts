import { Field, type RecordBatch, type Schema, Utf8 } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { parseLabelRule, readBoxFile, type BoxFile } from '@slidepipe/geometry';
import { makeBatch, schemaFor, validateSchema, type StreamMeta } from '@slidepipe/schema';
import type { RecordSink, RecordStream } from '@slidepipe/io';
import { labelStreams, type LabelOptions } from './label';

const STEP = 512; // DigiLut: 256 px patches at half resolution = 512 level-0 px footprint.

function patchMeta(slideId: string, width0 = 4096, height0 = 4096): StreamMeta {
  return {
    record: 'patch',
    version: 1,
    slide: { slide_id: slideId, patient_id: slideId.split('_')[0], width0, height0, mpp0: 0.25 },
    facts: { tile_px: 256, stride_px: 256, mpp: 0.5 },
    provenance: [],
  };
}

/** A grid of 512-px patches over [0, n*512)^2, in batches of `batchRows`, with an extra column. */
function gridStream(slideId: string, n: number, opts: { batchRows?: number; meta?: StreamMeta } = {}): RecordStream {
  const meta = opts.meta ?? patchMeta(slideId);
  const schema = schemaFor(meta, [new Field('note', new Utf8(), true)]);
  const rows = Array.from({ length: n * n }, (_, i) => ({ col: i % n, row: Math.floor(i / n) }));
  const size = opts.batchRows ?? 7;
  async function* batches() {
    for (let at = 0; at < rows.length; at += size) {
      const part = rows.slice(at, at + size);
      yield makeBatch(schema, {
        slide_id: part.map(() => slideId),
        x0: Int32Array.from(part, (r) => r.col * STEP),
        y0: Int32Array.from(part, (r) => r.row * STEP),
        w0: new Int32Array(part.length).fill(STEP),
        h0: new Int32Array(part.length).fill(STEP),
        col: Int32Array.from(part, (r) => r.col),
        row: Int32Array.from(part, (r) => r.row),
        mpp: new Float32Array(part.length).fill(0.5),
        tissue: new Float32Array(part.length).fill(1),
        image: part.map(() => null),
        note: part.map((r) => `${r.col},${r.row}`),
      });
    }
  }
  return { source: 'test', schema, meta: validateSchema(schema), batches: batches() };
}

class MemorySink implements RecordSink {
  readonly name = 'memory';
  rows = 0;
  streams: { schema: Schema; meta: StreamMeta; batches: RecordBatch[] }[] = [];
  async begin(schema: Schema, meta: StreamMeta) {
    this.streams.push({ schema, meta, batches: [] });
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
  /** Every output row as a plain object. */
  records(): Record<string, unknown>[] {
    return this.streams.flatMap((s) =>
      s.batches.flatMap((b) => b.toArray().map((r) => r.toJSON() as Record<string, unknown>)),
    );
  }
}

async function* of(...streams: RecordStream[]) {
  yield* streams;
}

const csvFile = (rows: string[]) =>
  readBoxFile('train.csv', new TextEncoder().encode(['filename,x1,x2,y1,y2,max_x,max_y', ...rows].join('\n')));

function options(
  boxes: BoxFile | null,
  extra: Partial<LabelOptions> = {},
): LabelOptions & { warnings: string[]; infos: string[] } {
  const warnings: string[] = [];
  const infos: string[] = [];
  return {
    rule: parseLabelRule('coverage>=0.1'),
    boxes,
    badBoxes: 'fail',
    exclude: new Set(),
    provenance: (params) => ({ tool: 'wsi-label', version: 't', argv: [], params, time: 't' }),
    log: { info: (m) => infos.push(m), warn: (m) => warnings.push(m) },
    warnings,
    infos,
    ...extra,
  };
}

const at = (rows: Record<string, unknown>[], x0: number, y0: number) => rows.find((r) => r.x0 === x0 && r.y0 === y0)!;

describe('wsi-label on a 940-px DigiLut box and a 512-px patch grid', () => {
  // The box [1000, 1940)^2 overlaps grid columns 1 (24 px: 1000..1024), 2 (512 px) and 3 (404 px: 1536..1940).
  const boxes = csvFile(['s_a.tif,1000,1940,1000,1940,4096,4096']);

  it('stores hand-computed coverage, IoU, GIoU and box id, and labels by coverage >= 0.1', async () => {
    const sink = new MemorySink();
    const counts = await labelStreams(of(gridStream('s_a', 8)), sink, options(boxes));
    const rows = sink.records();
    expect(rows).toHaveLength(64);
    const inside = at(rows, 1024, 1024);
    // Patch wholly inside: coverage 1, IoU = GIoU = 512^2 / 940^2 = 262144 / 883600.
    expect(inside.coverage).toBe(1);
    expect(inside.iou).toBeCloseTo(262144 / 883600, 6);
    expect(inside.giou).toBeCloseTo(262144 / 883600, 6);
    expect(inside.box_id).toBe('s_a:x1000-1940:y1000-1940');
    // 404 x 512 overlap: coverage 404/512; IoU = 206848 / (262144 + 883600 - 206848).
    const right = at(rows, 1536, 1024);
    expect(right.coverage).toBeCloseTo(404 / 512, 6);
    expect(right.iou).toBeCloseTo(206848 / 938896, 6);
    // GIoU = IoU - (C - U) / C with C = [1000, 2048) x [1000, 1940) = 1048 * 940 = 985120.
    expect(right.giou).toBeCloseTo(206848 / 938896 - (985120 - 938896) / 985120, 6);
    // 24 x 512 px: coverage 0.047 < 0.1, negative though it overlaps.
    expect(at(rows, 512, 1024).coverage).toBeCloseTo(24 / 512, 6);
    expect(at(rows, 512, 1024).label).toBe(0);
    // The positives are exactly the 2 x 2 block of patches at columns and rows 2..3.
    const positives = rows.filter((r) => r.label === 1).map((r) => `${r.col},${r.row}`);
    expect(positives.sort()).toEqual(['2,2', '2,3', '3,2', '3,3']);
    expect(counts.get('s_a')).toEqual({ patches: 64, positives: 4, boxes: 1, dropped: 0, excluded: 0 });
    // Far patches: no overlap, GIoU negative (the distance still shows), no box id.
    expect(at(rows, 3584, 3584).coverage).toBe(0);
    expect(at(rows, 3584, 3584).giou).toBeLessThan(at(rows, 2048, 2048).giou as number);
    expect(at(rows, 3584, 3584).box_id).toBeNull();
  });

  it('guarantees a positive for boxes of at least 324 x 324 px at the default rule, wherever they fall on the 512-px grid', async () => {
    // Worst case: the box centred on a grid corner, split equally over four patches. 324 px:
    // 162^2 = 26244 >= 0.1 * 512^2 = 26214.4 in each; 300 px: 150^2 = 22500 in each, no positive.
    const positives = async (side: number) => {
      const half = side / 2;
      const file = csvFile([`s_a.tif,${1024 - half},${1024 + half},${1024 - half},${1024 + half},4096,4096`]);
      const sink = new MemorySink();
      await labelStreams(of(gridStream('s_a', 4)), sink, options(file));
      return sink.records().filter((r) => r.label === 1).length;
    };
    expect(await positives(324)).toBe(4);
    expect(await positives(300)).toBe(0);
  });

  it('labels by each rule: iou>0.25 keeps only the inside patch, center-in-box the 2 x 2 block', async () => {
    const label = async (rule: string) => {
      const sink = new MemorySink();
      await labelStreams(of(gridStream('s_a', 8)), sink, options(boxes, { rule: parseLabelRule(rule) }));
      return sink
        .records()
        .filter((r) => r.label === 1)
        .map((r) => `${r.col},${r.row}`)
        .sort();
    };
    expect(await label('iou>0.25')).toEqual(['2,2']);
    expect(await label('center-in-box')).toEqual(['2,2', '2,3', '3,2', '3,3']);
    // Coverage 404*404/512^2 = 0.62 for the corner patch: coverage>=0.7 drops the three partial ones.
    expect(await label('coverage>=0.7')).toEqual(['2,2', '2,3', '3,2']);
  });

  it('keeps passed-through columns, writes labelled-patch records, the rule in facts and one provenance entry', async () => {
    const sink = new MemorySink();
    await labelStreams(of(gridStream('s_a', 2)), sink, options(boxes));
    const out = sink.streams[0];
    expect(out.meta.record).toBe('labelled-patch');
    expect(out.meta.facts.label_rule).toBe('coverage>=0.1');
    expect(out.meta.provenance).toHaveLength(1);
    expect(out.meta.provenance[0].params).toEqual({ slides: { s_a: { boxes: 1, dropped: 0, excluded: 0 } } });
    expect(validateSchema(out.schema, { records: ['labelled-patch'] }).record).toBe('labelled-patch');
    expect(sink.records()[3].note).toBe('1,1');
  });

  it('gives a slide without annotations all negatives, GIoU -1 and no box id, and says so', async () => {
    const sink = new MemorySink();
    const o = options(boxes);
    await labelStreams(of(gridStream('other_b', 3)), sink, o);
    const rows = sink.records();
    expect(
      rows.every((r) => r.label === 0 && r.coverage === 0 && r.iou === 0 && r.giou === -1 && r.box_id === null),
    ).toBe(true);
    expect(o.infos.join('\n')).toMatch(/slide other_b: no annotations in train\.csv: every patch is negative/);
  });

  it('re-labels labelled patches from their stored measures without the boxes', async () => {
    const first = new MemorySink();
    await labelStreams(of(gridStream('s_a', 8)), first, options(boxes));
    const labelled: RecordStream = {
      source: 'labelled',
      schema: first.streams[0].schema,
      meta: first.streams[0].meta,
      batches: (async function* () {
        yield* first.streams[0].batches;
      })(),
    };
    const again = new MemorySink();
    await labelStreams(of(labelled), again, options(null, { rule: parseLabelRule('coverage>=0.7') }));
    const rows = again.records();
    expect(
      rows
        .filter((r) => r.label === 1)
        .map((r) => `${r.col},${r.row}`)
        .sort(),
    ).toEqual(['2,2', '2,3', '3,2']);
    expect(at(rows, 1536, 1024).iou).toBeCloseTo(206848 / 938896, 6);
    expect(again.streams[0].meta.provenance.map((p) => p.tool)).toEqual(['wsi-label', 'wsi-label']);
  });
});

describe('wsi-label and bad annotations', () => {
  const boxes = csvFile([
    's_a.tif,1000,1940,1000,1940,4096,4096', // line 2
    's_a.tif,600,500,0,100,4096,4096', //       line 3: x1 > x2
    's_a.tif,1000,1940,1000,1940,4096,4096', // line 4: duplicate
    's_a.tif,0,100,0,100,4096,4000', //         line 5: stated size differs from the slide (stream facts)
  ]);

  it('under --bad-boxes fail lists every bad row with its line, then stops', async () => {
    const o = options(boxes);
    await expect(labelStreams(of(gridStream('s_a', 4)), new MemorySink(), o)).rejects.toThrow(
      /train\.csv: 3 bad annotations for slide s_a.*--bad-boxes drop/,
    );
    expect(o.warnings).toHaveLength(3);
    expect(o.warnings[0]).toMatch(/^train\.csv:3: slide s_a: x1 > x2/);
    expect(o.warnings[1]).toMatch(/^train\.csv:4: slide s_a: duplicate of line 2/);
    expect(o.warnings[2]).toMatch(
      /^train\.csv:5: slide s_a: .*slide size in the file \(max_x=4096, max_y=4000\) differs from the slide's 4096 x 4096 px/,
    );
  });

  it('under --bad-boxes drop reports each dropped row and labels with the rest', async () => {
    const o = options(boxes, { badBoxes: 'drop' });
    const sink = new MemorySink();
    const counts = await labelStreams(of(gridStream('s_a', 4)), sink, o);
    expect(o.warnings.map((w) => w.split(':').slice(0, 2).join(':'))).toEqual([
      'train.csv:3',
      'train.csv:4',
      'train.csv:5',
    ]);
    expect(o.warnings.every((w) => w.endsWith('dropped (--bad-boxes drop)'))).toBe(true);
    expect(counts.get('s_a')).toMatchObject({ boxes: 1, dropped: 3, positives: 4 });
    expect(sink.streams[0].meta.provenance[0].params).toEqual({
      slides: { s_a: { boxes: 1, dropped: 3, excluded: 0 } },
    });
  });

  it('leaves out excluded boxes and reports them', async () => {
    const o = options(csvFile(['s_a.tif,1000,1940,1000,1940,4096,4096']), {
      exclude: new Set(['s_a:x1000-1940:y1000-1940']),
    });
    const sink = new MemorySink();
    const counts = await labelStreams(of(gridStream('s_a', 4)), sink, o);
    expect(counts.get('s_a')).toMatchObject({ boxes: 0, excluded: 1, positives: 0 });
    expect(o.infos[0]).toBe('train.csv:2: slide s_a: box s_a:x1000-1940:y1000-1940 excluded (--exclude)');
  });
});
