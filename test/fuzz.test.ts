// Fuzzing every reader with damaged copies of real files (fast-check, fixed seed): truncations and
// byte flips of Arrow streams and Parquet files (patch records with JPEG tiles from the fixture
// slide, embeddings with list columns, box records), DigiLut CSVs and QuPath GeoJSON. Each damaged
// input must end in the original records or in one error line that names the file, with the exit
// status the tools would use; never a crash of another kind. A few go through the built tools to
// check that no stack trace is printed and no output that looks complete is left behind.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RecordBatch } from 'apache-arrow';
import { SVS } from '@slidepipe/fixtures';
import { loadTruth, readBoxFile, readDigilutSubmissionCsv, readDigilutValidationCsv } from '@slidepipe/geometry';
import { openRecordSink, readRecords, type ParquetLayout } from '@slidepipe/io';
import { encodeMeta, makeBatch, RECORDS, schemaFor, type StreamMeta } from '@slidepipe/schema';
import { ROOT, sh, tmp, tool } from './helpers';

const SEED = Number(process.env.SLIDEPIPE_FUZZ_SEED ?? 20261207);
const RUNS = Number(process.env.SLIDEPIPE_FUZZ_RUNS ?? 1000);

type Rows = Record<string, unknown>[];

/** Every stream's rows, binary cells as hex, lists as arrays. */
async function readAll(path: string): Promise<Rows> {
  const rows: Rows = [];
  for await (const s of readRecords([path])) {
    for await (const b of s.batches) rows.push(...rowsOf(b));
  }
  return rows;
}

function rowsOf(b: RecordBatch): Rows {
  const out: Rows = [];
  for (let i = 0; i < b.numRows; i++) {
    const r: Record<string, unknown> = {};
    for (const f of b.schema.fields) {
      const v = b.getChild(f.name)!.get(i);
      r[f.name] =
        v instanceof Uint8Array
          ? Buffer.from(v).toString('hex')
          : v && typeof v === 'object' && 'toArray' in v
            ? [...(v as { toArray(): Float32Array }).toArray()]
            : v;
    }
    out.push(r);
  }
  return out;
}

interface Failure {
  exitCode: number;
  message: string;
}

/** Runs a reader; returns its result, or the error when it is one the tools report as a line. */
async function outcome<T>(read: () => Promise<T> | T): Promise<{ ok: T } | { error: Failure }> {
  try {
    return { ok: await read() };
  } catch (e) {
    const err = e as Error & { exitCode?: unknown };
    // Anything without an exit status would reach the user as "internal error" (70) with no cause.
    if (typeof err.exitCode !== 'number') throw new Error(`unexpected ${err.name}: ${err.message}`, { cause: e });
    return { error: { exitCode: err.exitCode, message: err.message } };
  }
}

function expectOneLine(f: Failure, name: string, codes: number[]): void {
  expect(codes, f.message).toContain(f.exitCode);
  expect(f.message, f.message).not.toMatch(/\n/);
  expect(f.message, f.message).toContain(name);
}

const damage = (bytes: Buffer) =>
  fc.oneof(
    fc
      .integer({ min: 0, max: bytes.length - 1 })
      .map((cut) => ({ kind: 'cut' as const, cut, flips: [] as [number, number][] })),
    fc
      .array(fc.tuple(fc.integer({ min: 0, max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 })), {
        minLength: 1,
        maxLength: 8,
      })
      .map((flips) => ({ kind: 'flip' as const, cut: bytes.length, flips })),
  );

function damaged(bytes: Buffer, d: { cut: number; flips: [number, number][] }): Buffer {
  const out = Buffer.from(bytes.subarray(0, d.cut));
  for (const [at, x] of d.flips) if (at < out.length) out[at] ^= x;
  return out;
}

/** Offsets just after each end-of-stream marker of an Arrow stream file (none in Parquet). */
function streamEnds(bytes: Buffer): number[] {
  const ends: number[] = [];
  const eos = Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
  for (let at = bytes.indexOf(eos); at >= 0; at = bytes.indexOf(eos, at + 1)) if (at % 8 === 0) ends.push(at + 8);
  return ends;
}

let dir: string;
const files: Record<string, { path: string; bytes: Buffer; rows?: Rows }> = {};

async function writeRecords(
  name: string,
  streams: { meta: StreamMeta; batches: RecordBatch[] }[],
  parquet?: ParquetLayout,
) {
  const path = join(dir, name);
  const sink = openRecordSink(path, { parquet });
  for (const s of streams) {
    await sink.begin(schemaFor(s.meta), s.meta);
    for (const b of s.batches) await sink.write(b);
    await sink.end();
  }
  await sink.close();
  files[name] = { path, bytes: readFileSync(path) };
}

const provenance = [{ tool: 'test', version: '0', argv: [], params: {}, time: '2026-12-07T00:00:00.000Z' }];

beforeAll(async () => {
  dir = tmp('slidepipe-fuzz-');
  tool('tile');
  tool('cat');
  // Real patch records: JPEG tiles of the fixture slide, as wsi-tile writes them, rewritten with a
  // fixed provenance and slide path so that the files, and so the fuzz cases, are the same on
  // every machine and in every clone.
  execFileSync('node', [
    join(ROOT, 'dist/apps/tile/main.js'),
    SVS,
    '--mpp',
    '2',
    '-q',
    '-o',
    join(dir, 'tile-raw.arrows'),
  ]);
  const tileStreams: { meta: StreamMeta; batches: RecordBatch[] }[] = [];
  for await (const s of readRecords([join(dir, 'tile-raw.arrows')])) {
    const batches: RecordBatch[] = [];
    for await (const b of s.batches) batches.push(b);
    tileStreams.push({
      meta: { ...s.meta, slide: { ...s.meta.slide!, path: 'CMU-1-Small-Region.svs' }, provenance },
      batches,
    });
  }
  await writeRecords('tile.arrows', tileStreams);
  // Several row groups and pages.
  await writeRecords('tile.parquet', tileStreams, { rowGroupRows: 20, pageBytes: 4096 });
  // Embeddings: a fixed-size list column and a nullable label.
  const emb: StreamMeta = {
    record: 'embedding',
    version: RECORDS.embedding.version,
    slide: null,
    facts: { dim: 8 },
    provenance,
  };
  const n = 300;
  const embBatch = makeBatch(schemaFor(emb), {
    slide_id: Array.from({ length: n }, (_, i) => `p${i % 3}_a`),
    x0: Int32Array.from({ length: n }, (_, i) => i * 512),
    y0: Int32Array.from({ length: n }, (_, i) => i),
    w0: Int32Array.from({ length: n }, () => 512),
    h0: Int32Array.from({ length: n }, () => 512),
    col: Int32Array.from({ length: n }, (_, i) => i),
    row: Int32Array.from({ length: n }, () => 0),
    label: Array.from({ length: n }, (_, i) => (i % 7 === 0 ? null : i % 2)),
    embedding: Array.from({ length: n }, (_, i) => Float32Array.from({ length: 8 }, (_, k) => Math.sin(i * 8 + k))),
  });
  await writeRecords('emb.arrows', [{ meta: emb, batches: [embBatch] }]);
  await writeRecords('emb.parquet', [{ meta: emb, batches: [embBatch] }], { rowGroupRows: 128, pageBytes: 1024 });
  // Box records of two slides, one without rows.
  const boxMeta = (slide: string): StreamMeta => ({
    record: 'box',
    version: RECORDS.box.version,
    slide: { slide_id: slide, patient_id: slide.split('_')[0], width0: 10000, height0: 8000, mpp0: 0.25 },
    facts: {},
    provenance,
  });
  const boxes = (slide: string, k: number) =>
    makeBatch(schemaFor(boxMeta(slide)), {
      slide_id: Array.from({ length: k }, () => slide),
      rank: Int32Array.from({ length: k }, (_, i) => i),
      x1: Int32Array.from({ length: k }, (_, i) => 100 * i),
      y1: Int32Array.from({ length: k }, (_, i) => 50 * i),
      x2: Int32Array.from({ length: k }, (_, i) => 100 * i + 90),
      y2: Int32Array.from({ length: k }, (_, i) => 50 * i + 40),
      score: Float32Array.from({ length: k }, (_, i) => 1 - i / 10),
      padded: Array.from({ length: k }, (_, i) => i === k - 1),
      trustii_id: Array.from({ length: k }, (_, i) => (i % 2 ? null : String(i))),
    });
  await writeRecords('boxes.arrows', [
    { meta: boxMeta('a_a'), batches: [boxes('a_a', 6)] },
    { meta: boxMeta('b_b'), batches: [] },
  ]);
  await writeRecords('boxes.parquet', [
    { meta: boxMeta('a_a'), batches: [boxes('a_a', 6)] },
    { meta: boxMeta('b_b'), batches: [] },
  ]);
  for (const f of Object.values(files)) f.rows = await readAll(f.path);

  const text = (name: string, body: string) => {
    writeFileSync(join(dir, name), body);
    files[name] = { path: join(dir, name), bytes: Buffer.from(body) };
  };
  const trainRows = Array.from(
    { length: 30 },
    (_, i) => `p${i % 6}_${i % 2 ? 'b' : 'a'}.tif,${100 * i},${100 * i + 400},${50 * i},${50 * i + 300},20000,15000`,
  );
  text('train.csv', `filename,x1,x2,y1,y2,max_x,max_y\n${trainRows.join('\n')}\n`);
  text(
    'validation.csv',
    `filename,max_x,max_y,trustii_id\n${Array.from({ length: 12 }, (_, i) => `v${i % 4}_a.tif,20000,15000,${i + 1}`).join('\n')}\n`,
  );
  text(
    'submission.csv',
    `trustii_id,filename,x1,x2,y1,y2\n${Array.from({ length: 12 }, (_, i) => `${i + 1},v${i % 4}_a.tif,${10 * i},${10 * i + 100},0,100`).join('\n')}\n`,
  );
  const square = (x: number, y: number) => [
    [
      [x, y],
      [x + 200, y],
      [x + 200, y + 150],
      [x, y + 150],
      [x, y],
    ],
  ];
  text(
    'qupath.geojson',
    JSON.stringify(
      {
        type: 'FeatureCollection',
        features: Array.from({ length: 8 }, (_, i) => ({
          type: 'Feature',
          id: `f${i}`,
          geometry: { type: 'Polygon', coordinates: square(300 * i, 100 * i) },
          properties: { objectType: 'annotation', classification: { name: 'Lesion', color: [255, 0, 0] } },
        })),
      },
      null,
      2,
    ),
  );
}, 60_000);

describe('fuzzing the record readers', () => {
  for (const name of ['tile.arrows', 'tile.parquet', 'emb.arrows', 'emb.parquet', 'boxes.arrows', 'boxes.parquet']) {
    it(`${name}: every truncation is an error; every flip gives the same rows or an error`, async () => {
      const f = files[name];
      const path = join(dir, `damaged-${name}`);
      await fc.assert(
        fc.asyncProperty(damage(f.bytes), async (d) => {
          writeFileSync(path, damaged(f.bytes, d));
          if (process.env.FUZZ_TRACE) writeFileSync('/tmp/fuzz-last.json', JSON.stringify({ name, d }));
          const r = await outcome(() => readAll(path));
          if ('error' in r) {
            expectOneLine(r.error, path, [65, 74]);
            return;
          }
          if (d.kind === 'cut') {
            // A cut file never reads as complete, unless it is cut exactly between two of its
            // streams (concatenated streams are a stream of streams, as in a pipe): then it reads
            // as the streams before the cut.
            expect(streamEnds(f.bytes), `a file cut at ${d.cut} of ${f.bytes.length} read as complete`).toContain(
              d.cut,
            );
            expect(f.rows!.slice(0, r.ok.length)).toEqual(r.ok);
            return;
          }
          if (name.endsWith('.parquet')) {
            // Pages carry checksums: a flip is found, or it hit bytes no row depends on.
            expect(r.ok).toEqual(f.rows);
          } else {
            // Arrow IPC has no checksums: a flipped value inside a data buffer cannot be seen,
            // but the rows, their columns and their count stay right.
            expect(r.ok.length).toBe(f.rows!.length);
            expect(r.ok.map((x) => Object.keys(x))).toEqual(f.rows!.map((x) => Object.keys(x)));
          }
        }),
        { seed: SEED, numRuns: RUNS },
      );
    }, 60_000);
  }
});

describe('fuzzing the DigiLut CSV and GeoJSON readers', () => {
  const readers: Record<string, (path: string, bytes: Buffer) => unknown> = {
    'train.csv': (path) => [loadTruth([path], { badBoxes: 'drop' }), readBoxFile(path, readFileSync(path))],
    'validation.csv': (path, bytes) => readDigilutValidationCsv(bytes.toString('utf8'), path),
    'submission.csv': (path, bytes) => readDigilutSubmissionCsv(bytes.toString('utf8'), path),
    'qupath.geojson': (path) => loadTruth([path], { badBoxes: 'drop' }),
  };
  for (const [name, read] of Object.entries(readers)) {
    it(`${name}: damaged copies give boxes or one error line naming the file`, async () => {
      const f = files[name];
      const path = join(dir, `damaged-${name}`);
      await fc.assert(
        fc.asyncProperty(damage(f.bytes), async (d) => {
          const bytes = damaged(f.bytes, d);
          writeFileSync(path, bytes);
          const r = await outcome(() => read(path, bytes));
          if ('error' in r) expectOneLine(r.error, `damaged-${name}`, [65]);
          // Under fail (the default) the same file either reads or names its first bad box.
          if (name === 'train.csv' || name === 'qupath.geojson') {
            const strict = await outcome(() => loadTruth([path]));
            if ('error' in strict) expectOneLine(strict.error, `damaged-${name}`, [65]);
          }
        }),
        { seed: SEED, numRuns: RUNS },
      );
    }, 60_000);
  }
});

describe('round trips', () => {
  it('any embedding batch, in any row-group and page layout, reads back identical from Arrow, Parquet and DuckDB', async () => {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const con = await (await DuckDBInstance.create(':memory:')).connect();
    const rows = fc.record({
      slide: fc.constantFrom('p1_a', 'p1_b', 'p2_a'),
      x0: fc.integer({ min: 0, max: 2e9 }),
      label: fc.option(fc.constantFrom(0, 1), { nil: null }),
      embedding: fc.array(fc.float({ noNaN: true, noDefaultInfinity: true }), { minLength: 4, maxLength: 4 }),
    });
    const layout = fc.record({
      rowGroupRows: fc.integer({ min: 1, max: 300 }),
      pageBytes: fc.integer({ min: 64, max: 1 << 16 }),
    });
    let k = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(rows, { minLength: 0, maxLength: 700 }), layout, async (list, parquet) => {
        const meta: StreamMeta = {
          record: 'embedding',
          version: RECORDS.embedding.version,
          slide: null,
          facts: { dim: 4 },
          provenance,
        };
        const n = list.length;
        const batch = makeBatch(schemaFor(meta), {
          slide_id: list.map((r) => r.slide),
          x0: Int32Array.from(list, (r) => r.x0 % 2 ** 31),
          y0: Int32Array.from(list, (_, i) => i),
          w0: Int32Array.from(list, () => 512),
          h0: Int32Array.from(list, () => 512),
          col: Int32Array.from(list, (_, i) => i),
          row: new Int32Array(n),
          label: list.map((r) => r.label),
          embedding: list.map((r) => Float32Array.from(r.embedding)),
        });
        k++;
        const a = `rt-${k}.arrows`;
        const p = `rt-${k}.parquet`;
        await writeRecords(a, [{ meta, batches: [batch] }]);
        await writeRecords(p, [{ meta, batches: [batch] }], parquet);
        const expected = rowsOf(batch);
        expect(await readAll(join(dir, a))).toEqual(expected);
        expect(await readAll(join(dir, p))).toEqual(expected);
        // DuckDB reads every row of the Parquet file, and what it writes back reads the same.
        const duck = await con.runAndReadAll(
          `SELECT count(*)::INT AS n, count(label)::INT AS labels, coalesce(sum(y0), 0)::BIGINT AS s FROM read_parquet('${join(dir, p)}')`,
        );
        expect(duck.getRowObjects()[0]).toEqual({
          n,
          labels: list.filter((r) => r.label !== null).length,
          s: BigInt((n * (n - 1)) / 2),
        });
        if (n) {
          const kv = [...encodeMeta(meta)].map(([key, v]) => `'${key}': '${v.replace(/'/g, "''")}'`).join(', ');
          await con.run(
            `COPY (SELECT * FROM read_parquet('${join(dir, p)}')) TO '${join(dir, `duck-${p}`)}' (FORMAT parquet, ROW_GROUP_SIZE ${parquet.rowGroupRows * 7}, KV_METADATA {${kv}})`,
          );
          expect(await readAll(join(dir, `duck-${p}`))).toEqual(expected);
        }
      }),
      { seed: SEED, numRuns: 40 },
    );
    con.closeSync();
  }, 60_000);
});

const PYARROW = join(ROOT, '.venv/bin/python');
const havePyarrow = existsSync(PYARROW) && sh(`${PYARROW} -c 'import pyarrow'`).status === 0;
if (!havePyarrow)
  console.warn('pyarrow interoperability test skipped: tools/setup.sh (--test) could not install pyarrow into .venv');

describe.skipIf(!havePyarrow)('pyarrow', () => {
  it('reads our Parquet files with page checksum verification, row for row, and finds the damaged one; we read what it writes', () => {
    const names = ['tile.parquet', 'emb.parquet', 'boxes.parquet'];
    const script = `
import json, sys
import pyarrow as pa, pyarrow.parquet as pq
d, names = sys.argv[1], sys.argv[2].split(',')
out = {}
for n in names:
    t = pq.read_table(f'{d}/{n}', page_checksum_verification=True)
    rows = t.to_pylist()
    for r in rows:
        for k, v in r.items():
            if isinstance(v, bytes): r[k] = v.hex()
    out[n] = rows
    # Written back the ways pyarrow users write: dictionaries, ZSTD, small pages, checksums.
    pq.write_table(t, f'{d}/pa-{n}', compression='zstd', use_dictionary=True, data_page_size=4096, row_group_size=50, write_page_checksum=True)
bad = bytearray(open(f'{d}/tile.parquet', 'rb').read())
for i in range(len(bad) // 2, len(bad) // 2 + 400): bad[i] ^= 0xFF
open(f'{d}/flipped.parquet', 'wb').write(bad)
try:
    pq.read_table(f'{d}/flipped.parquet', page_checksum_verification=True)
    out['flipped'] = 'read'
except Exception as e:
    out['flipped'] = str(e)
print(json.dumps(out))
`;
    const r = sh(`${PYARROW} -c "$SCRIPT" ${dir} ${names.join(',')}`, { env: { SCRIPT: script } });
    expect(r.status, r.stderr).toBe(0);
    const seen = JSON.parse(r.stdout.toString()) as Record<string, Rows | string>;
    const close = (rows: Rows) =>
      rows.map((x) =>
        Object.fromEntries(
          Object.entries(x).map(([k, v]) => [
            k,
            typeof v === 'number' ? Math.fround(v) : Array.isArray(v) ? v.map(Math.fround) : v,
          ]),
        ),
      );
    for (const n of names) expect(close(seen[n] as Rows), n).toEqual(close(files[n].rows!));
    expect(seen.flipped).toMatch(/CRC checksum verification failed/);
    const ours = sh(`wsi-cat ${join(dir, 'flipped.parquet')} -o ${join(dir, 'flipped-copy.parquet')}`);
    expect(ours.status).toBe(65);
    expect(ours.stderr).toMatch(/page checksum mismatch/);
    return Promise.all(names.map(async (n) => expect(await readAll(join(dir, `pa-${n}`)), n).toEqual(files[n].rows)));
  }, 60_000);
});

describe('fuzzing the tools', () => {
  it('wsi-cat on damaged inputs: one line, no stack trace, nothing that looks complete', () => {
    const cases = fc.sample(
      fc.tuple(
        fc.constantFrom('tile.arrows', 'tile.parquet', 'emb.parquet'),
        fc.integer({ min: 0, max: 1 << 30 }),
        fc.integer({ min: 1, max: 255 }),
        fc.boolean(),
      ),
      { seed: SEED, numRuns: 12 },
    );
    const d = tmp('slidepipe-fuzz-cli-');
    for (const [k, [name, where, x, cut]] of cases.entries()) {
      const f = files[name];
      const bytes = Buffer.from(f.bytes);
      const at = where % bytes.length;
      const input = join(d, `in-${k}-${name}`);
      writeFileSync(input, cut ? bytes.subarray(0, at) : (bytes.fill(bytes[at] ^ x, at, at + 1), bytes));
      const out = `out-${k}.parquet`;
      const r = sh(`wsi-cat ${input} -o ${out}`, { cwd: d });
      if (r.status === 0) {
        expect(cut, `cut at ${at}: exit 0`).toBe(false);
        expect(sh(`wsi-cat --count ${out}`, { cwd: d }).stdout.toString().trim()).toBe(String(f.rows!.length));
      } else {
        expect([65, 74]).toContain(r.status);
        expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
        expect(r.stderr).not.toMatch(/\n\s+at /);
        expect(existsSync(join(d, out))).toBe(false);
      }
    }
    expect(readdirSync(d).filter((n) => n.includes('.tmp-'))).toEqual([]);
  }, 60_000);
});
