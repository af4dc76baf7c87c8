import { crc32 } from 'node:zlib';
import { utimesSync } from 'node:fs';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  tableFromIPC as flechetteFromIPC,
  tableToIPC as flechetteToIPC,
  tableFromArrays as flechetteFromArrays,
  int32,
  float32,
  utf8,
  binary,
} from '@uwdata/flechette';
import { RecordBatchStreamWriter, type RecordBatch } from 'apache-arrow';
import { encodeMeta, makeBatch, schemaFor, type StreamMeta } from '@slidepipe/schema';
import { SlidepipeError } from '@slidepipe/core';
import { ByteQueue, readArrowStreams } from './arrow-stream';
import { readRecords } from './input';
import { openRecordSink, type ParquetLayout } from './output';
import { slideOutputPath } from './paths';
import { removeStaleTemps } from './atomic';
import { parquetMetadata } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'slidepipe-io-'));

function patchMeta(slide: string): StreamMeta {
  return {
    record: 'patch',
    version: 1,
    slide: { slide_id: slide, patient_id: slide.split('_')[0], width0: 10000, height0: 8000, mpp0: 0.25 },
    facts: { tile_px: 256, mpp: 0.5 },
    provenance: [
      {
        tool: 'wsi-tile',
        version: '0.1.0',
        argv: [`${slide}.tif`],
        params: { tile_px: 256 },
        time: '2026-01-01T00:00:00.000Z',
      },
    ],
  };
}

function patchBatch(meta: StreamMeta, n: number, start = 0, payload = 100): RecordBatch {
  const idx = Array.from({ length: n }, (_, i) => i + start);
  return makeBatch(schemaFor(meta), {
    slide_id: idx.map(() => meta.slide!.slide_id),
    x0: Int32Array.from(idx, (i) => i * 512),
    y0: Int32Array.from(idx, (i) => i * 7),
    w0: Int32Array.from(idx, () => 512),
    h0: Int32Array.from(idx, () => 512),
    col: Int32Array.from(idx, (i) => i),
    row: Int32Array.from(idx, () => 0),
    mpp: Float32Array.from(idx, () => 0.5),
    tissue: Float32Array.from(idx, (i) => (i % 10) / 10),
    image: idx.map((i) => (i % 5 === 4 ? null : Uint8Array.from({ length: payload }, (_, k) => (i * 31 + k) & 255))),
  });
}

async function arrowBytes(meta: StreamMeta, batches: RecordBatch[]): Promise<Uint8Array> {
  const w = new RecordBatchStreamWriter();
  for (const b of batches) w.write(b);
  w.finish();
  return w.toUint8Array(true) as Uint8Array;
}

async function collect(inputs: string[]) {
  const out: { meta: StreamMeta; rows: Record<string, unknown>[] }[] = [];
  for await (const s of readRecords(inputs)) {
    const rows: Record<string, unknown>[] = [];
    for await (const b of s.batches) {
      for (let i = 0; i < b.numRows; i++) {
        const r: Record<string, unknown> = {};
        for (const f of b.schema.fields) {
          const v = b.getChild(f.name)!.get(i);
          r[f.name] = v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v;
        }
        rows.push(r);
      }
    }
    out.push({ meta: s.meta, rows });
  }
  return out;
}

async function writeAll(
  path: string,
  streams: { meta: StreamMeta; batches: RecordBatch[] }[],
  force = false,
  parquet?: ParquetLayout,
) {
  const sink = openRecordSink(path, { force, parquet });
  for (const s of streams) {
    await sink.begin(schemaFor(s.meta), s.meta);
    for (const b of s.batches) await sink.write(b);
    await sink.end();
  }
  await sink.close();
}

async function expectError(p: Promise<unknown>, code: string, pattern: RegExp) {
  const e = await p.then(
    () => null,
    (x) => x,
  );
  expect(e).toBeInstanceOf(SlidepipeError);
  expect((e as SlidepipeError).code).toBe(code);
  expect((e as Error).message).toMatch(pattern);
}

describe('Arrow streams', () => {
  it('reads back-to-back streams and keeps metadata', async () => {
    const d = tmp();
    const a = patchMeta('p1_a');
    const b = patchMeta('p1_b');
    const bytes = Buffer.concat([
      await arrowBytes(a, [patchBatch(a, 10), patchBatch(a, 5, 10)]),
      await arrowBytes(b, [patchBatch(b, 3)]),
    ]);
    writeFileSync(join(d, 'x.arrows'), bytes);
    const got = await collect([join(d, 'x.arrows')]);
    expect(got.map((s) => s.rows.length)).toEqual([15, 3]);
    expect(got[1].meta.slide?.slide_id).toBe('p1_b');
    expect(got[0].meta.provenance[0].tool).toBe('wsi-tile');
    expect(got[0].rows[4].image).toBeNull();
    expect(got[0].rows[12].x0).toBe(12 * 512);
  });

  it('reports a stream without its end-of-stream marker as truncated', async () => {
    const d = tmp();
    const m = patchMeta('p1_a');
    const bytes = await arrowBytes(m, [patchBatch(m, 10)]);
    writeFileSync(join(d, 'noeos.arrows'), bytes.subarray(0, bytes.byteLength - 8));
    await expectError(collect([join(d, 'noeos.arrows')]), 'truncated-input', /noeos\.arrows: .*end-of-stream/);
  });

  it('reports a stream cut inside a message as truncated, at every cut point', async () => {
    const d = tmp();
    const m = patchMeta('p1_a');
    const bytes = await arrowBytes(m, [patchBatch(m, 4, 0, 40)]);
    for (const cut of [3, 9, 100, bytes.byteLength - 20, bytes.byteLength - 1]) {
      writeFileSync(join(d, 'cut.arrows'), bytes.subarray(0, cut));
      const e = await collect([join(d, 'cut.arrows')]).then(
        () => null,
        (x) => x as SlidepipeError,
      );
      expect(e?.code, `cut at ${cut}`).toMatch(/truncated-input|bad-input/);
      expect(e?.message).toMatch(/cut\.arrows/);
    }
  });

  it('gives a clear error on empty input and on a non-slidepipe or wrong record type', async () => {
    const d = tmp();
    writeFileSync(join(d, 'empty.arrows'), '');
    await expectError(collect([join(d, 'empty.arrows')]), 'bad-input', /empty\.arrows: empty input/);
    writeFileSync(join(d, 'text.arrows'), 'slide,x\n1,2\n');
    await expectError(collect([join(d, 'text.arrows')]), 'bad-input', /not an Arrow stream or a Parquet file/);
    const m = { ...patchMeta('p1_a') };
    writeFileSync(join(d, 'patch.arrows'), await arrowBytes(m, [patchBatch(m, 2)]));
    const it = readRecords([join(d, 'patch.arrows')], { expect: ['embedding'] });
    await expectError(it.next(), 'bad-input', /expected "embedding" records, got "patch"/);
  });

  it('ByteQueue hands out exact slices across chunks', () => {
    const q = new ByteQueue();
    q.push(Uint8Array.of(1, 2, 3));
    q.push(Uint8Array.of(4, 5));
    q.push(Uint8Array.of(6, 7, 8, 9));
    expect(q.peekUint32(1)).toBe(0x05040302);
    expect([...q.take(2)]).toEqual([1, 2]);
    expect([...q.take(5)]).toEqual([3, 4, 5, 6, 7]);
    expect(q.length).toBe(2);
  });

  it('reads a stream written by another Arrow implementation (flechette) in small chunks', async () => {
    const t = flechetteFromArrays(
      { slide_id: ['s1', 's1'], x0: [0, 512], payload: [Uint8Array.of(1, 2), Uint8Array.of(3)], score: [0.25, 0.75] },
      { types: { slide_id: utf8(), x0: int32(), payload: binary(), score: float32() } },
    );
    const bytes = flechetteToIPC(t, { format: 'stream' })!;
    const chunks = Array.from({ length: Math.ceil(bytes.byteLength / 7) }, (_, i) => bytes.subarray(i * 7, i * 7 + 7));
    const streams = readArrowStreams(Readable.from(chunks), 'flechette');
    const rows: unknown[] = [];
    for await (const s of streams) {
      expect(s.schema.fields.map((f) => f.name)).toEqual(['slide_id', 'x0', 'payload', 'score']);
      for await (const b of s.batches) for (const r of b) rows.push([r.slide_id, r.x0, [...r.payload], r.score]);
    }
    expect(rows).toEqual([
      ['s1', 0, [1, 2], 0.25],
      ['s1', 512, [3], 0.75],
    ]);
  });

  it('writes streams another implementation (flechette) reads', async () => {
    const d = tmp();
    const m = patchMeta('p2_a');
    await writeAll(join(d, 'x.arrows'), [{ meta: m, batches: [patchBatch(m, 6)] }]);
    const t = flechetteFromIPC(readFileSync(join(d, 'x.arrows')));
    expect(t.numRows).toBe(6);
    expect(t.getChild('x0').toArray()).toEqual(Int32Array.from([0, 512, 1024, 1536, 2048, 2560]));
    expect(t.schema.metadata?.get('slidepipe.record')).toBe('patch');
  });
});

describe('Parquet', () => {
  it('round-trips Arrow -> Parquet -> Arrow with identical rows and metadata', async () => {
    const d = tmp();
    const a = patchMeta('p1_a');
    const b = patchMeta('p1_b');
    const streams = [
      { meta: a, batches: [patchBatch(a, 7), patchBatch(a, 5, 7)] },
      { meta: b, batches: [patchBatch(b, 4)] },
    ];
    await writeAll(join(d, 'x.arrows'), streams);
    await writeAll(join(d, 'x.parquet'), streams);
    const fromArrow = await collect([join(d, 'x.arrows')]);
    const fromParquet = await collect([join(d, 'x.parquet')]);
    expect(fromParquet).toHaveLength(1);
    expect(fromParquet[0].rows).toEqual([...fromArrow[0].rows, ...fromArrow[1].rows]);
    const meta = fromParquet[0].meta;
    expect(meta.record).toBe('patch');
    // The same tiling of two slides: one compact entry (per-slide files keep their own).
    expect(meta.provenance).toEqual([
      { ...a.provenance[0], runs: 2, inputs_sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
    ]);
    expect((meta.facts.slides as { slide_id: string }[]).map((s) => s.slide_id)).toEqual(['p1_a', 'p1_b']);
  });

  it('opens in DuckDB with the expected column types', async () => {
    const d = tmp();
    const m = patchMeta('p3_a');
    await writeAll(join(d, 'x.parquet'), [{ meta: m, batches: [patchBatch(m, 9)] }]);
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    const types = await con.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${join(d, 'x.parquet')}')`);
    const byName = Object.fromEntries(types.getRowObjects().map((r) => [r.column_name, r.column_type]));
    expect(byName).toMatchObject({ slide_id: 'VARCHAR', x0: 'INTEGER', mpp: 'FLOAT', tissue: 'FLOAT', image: 'BLOB' });
    const agg = await con.runAndReadAll(
      `SELECT count(*)::INT AS n, sum(x0)::INT AS sx, count(image)::INT AS ni FROM read_parquet('${join(d, 'x.parquet')}')`,
    );
    expect(agg.getRowObjects()[0]).toEqual({ n: 9, sx: 512 * 36, ni: 8 });
    const kv = await con.runAndReadAll(`SELECT decode(key) AS k FROM parquet_kv_metadata('${join(d, 'x.parquet')}')`);
    expect(kv.getRowObjects().map((r) => r.k)).toContain('slidepipe.provenance');
    con.closeSync();
  });

  it('keeps embeddings as a list column that DuckDB reads as FLOAT[]', async () => {
    const d = tmp();
    const meta: StreamMeta = { record: 'embedding', version: 1, slide: null, facts: { dim: 3 }, provenance: [] };
    const batch = makeBatch(schemaFor(meta), {
      slide_id: ['a', 'a'],
      x0: Int32Array.of(0, 1),
      y0: Int32Array.of(0, 0),
      w0: Int32Array.of(512, 512),
      h0: Int32Array.of(512, 512),
      col: Int32Array.of(0, 1),
      row: Int32Array.of(0, 0),
      label: [1, null],
      embedding: [Float32Array.of(1, 2, 3), Float32Array.of(-1, 0.5, 4)],
    });
    await writeAll(join(d, 'e.parquet'), [{ meta, batches: [batch] }]);
    const back = await collect([join(d, 'e.parquet')]);
    expect(back[0].rows.map((r) => [r.label, [...(r.embedding as Float32Array)]])).toEqual([
      [1, [1, 2, 3]],
      [null, [-1, 0.5, 4]],
    ]);
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const con = await (await DuckDBInstance.create(':memory:')).connect();
    const r = await con.runAndReadAll(
      `SELECT typeof(embedding) AS t, embedding[3] AS e3 FROM read_parquet('${join(d, 'e.parquet')}') ORDER BY x0`,
    );
    expect(r.getRowObjects()[0]).toEqual({ t: 'FLOAT[]', e3: 3 });
    con.closeSync();
  });

  it('reports a truncated Parquet file', async () => {
    const d = tmp();
    const m = patchMeta('p1_a');
    await writeAll(join(d, 'x.parquet'), [{ meta: m, batches: [patchBatch(m, 20)] }]);
    const bytes = readFileSync(join(d, 'x.parquet'));
    writeFileSync(join(d, 'cut.parquet'), bytes.subarray(0, bytes.byteLength - 30));
    await expectError(
      collect([join(d, 'cut.parquet')]),
      'truncated-input',
      /cut\.parquet: not a complete Parquet file/,
    );
  });
});

describe('Parquet layout and integrity', () => {
  const rowsOf = async (path: string) => (await collect([path]))[0].rows;
  const footer = (path: string) => {
    const b = readFileSync(path);
    return parquetMetadata(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  };

  it('reads back every page of columns that span many pages, in bounded row groups', async () => {
    const d = tmp();
    const m = patchMeta('p7_a');
    // One batch of 5000 rows: cut into row groups of 1200 rows, pages of about 2 kB.
    const batch = patchBatch(m, 5000, 0, 40);
    await writeAll(join(d, 'x.arrows'), [{ meta: m, batches: [batch] }]);
    await writeAll(join(d, 'x.parquet'), [{ meta: m, batches: [batch] }], false, {
      rowGroupRows: 1200,
      pageBytes: 2048,
    });
    const md = footer(join(d, 'x.parquet'));
    expect(md.row_groups.map((g) => Number(g.num_rows))).toEqual([1200, 1200, 1200, 1200, 200]);
    expect(await rowsOf(join(d, 'x.parquet'))).toEqual(await rowsOf(join(d, 'x.arrows')));
    // The byte bound cuts too: about 240 kB of Arrow data per group here.
    await writeAll(join(d, 'y.parquet'), [{ meta: m, batches: [batch] }], false, { rowGroupBytes: 80_000 });
    const groups = footer(join(d, 'y.parquet')).row_groups.length;
    expect(groups).toBeGreaterThan(2);
    expect(await rowsOf(join(d, 'y.parquet'))).toHaveLength(5000);
  });

  it('writes a CRC32 in every page header, and DuckDB still reads the file', async () => {
    const d = tmp();
    const m = patchMeta('p8_a');
    await writeAll(join(d, 'x.parquet'), [{ meta: m, batches: [patchBatch(m, 3000, 0, 30)] }], false, {
      rowGroupRows: 1000,
      pageBytes: 4096,
    });
    const bytes = readFileSync(join(d, 'x.parquet'));
    const md = footer(join(d, 'x.parquet'));
    let pages = 0;
    for (const g of md.row_groups) {
      for (const c of g.columns) {
        const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        const start = Number(c.meta_data!.dictionary_page_offset ?? c.meta_data!.data_page_offset);
        const reader = { view, offset: start };
        while (reader.offset < start + Number(c.meta_data!.total_compressed_size)) {
          const h = parquetHeader(reader);
          expect(h.crc).toBe(crc32(bytes.subarray(reader.offset, reader.offset + h.compressed_page_size)) | 0);
          reader.offset += h.compressed_page_size;
          pages++;
        }
      }
    }
    expect(pages).toBeGreaterThan(md.row_groups.length * 10);
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const con = await (await DuckDBInstance.create(':memory:')).connect();
    const r = await con.runAndReadAll(
      `SELECT count(*)::INT AS n, sum(x0)::BIGINT AS sx, count(image)::INT AS ni FROM read_parquet('${join(d, 'x.parquet')}')`,
    );
    expect(r.getRowObjects()[0]).toEqual({ n: 3000, sx: BigInt(512 * ((2999 * 3000) / 2)), ni: 2400 });
    con.closeSync();
  });

  it('reads files DuckDB writes with many pages, several row groups and dictionary pages', async () => {
    const d = tmp();
    const m = patchMeta('p9_a');
    await writeAll(join(d, 'src.parquet'), [{ meta: m, batches: [patchBatch(m, 20_000, 0, 20)] }]);
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const con = await (await DuckDBInstance.create(':memory:')).connect();
    // DuckDB keeps no key/value metadata of ours unless asked: copy it over.
    const kv = [...encodeMeta(m)].map(([k, v]) => `'${k}': '${v.replace(/'/g, "''")}'`).join(', ');
    await con.run(
      `COPY (SELECT * FROM read_parquet('${join(d, 'src.parquet')}')) TO '${join(d, 'duck.parquet')}' (FORMAT parquet, ROW_GROUP_SIZE 6000, KV_METADATA {${kv}})`,
    );
    con.closeSync();
    const md = footer(join(d, 'duck.parquet'));
    expect(md.row_groups.length).toBeGreaterThan(1);
    expect(md.row_groups[0].columns.some((c) => c.meta_data!.dictionary_page_offset !== undefined)).toBe(true);
    expect(await rowsOf(join(d, 'duck.parquet'))).toEqual(await rowsOf(join(d, 'src.parquet')));
  });

  it('names the column when a page is damaged', async () => {
    const d = tmp();
    const m = patchMeta('p10_a');
    await writeAll(join(d, 'x.parquet'), [{ meta: m, batches: [patchBatch(m, 2000, 0, 50)] }], false, {
      pageBytes: 8192,
    });
    const bytes = readFileSync(join(d, 'x.parquet'));
    const md = footer(join(d, 'x.parquet'));
    const image = md.row_groups[0].columns.find((c) => c.meta_data!.path_in_schema[0] === 'image')!;
    const flipped = Buffer.from(bytes);
    const at = Number(image.meta_data!.data_page_offset) + 500;
    for (let i = 0; i < 8; i++) flipped[at + i] ^= 0x5a;
    writeFileSync(join(d, 'flip.parquet'), flipped);
    await expectError(
      collect([join(d, 'flip.parquet')]),
      'bad-input',
      /flip\.parquet: damaged Parquet file: column "image": page checksum mismatch at byte \d+/,
    );
  });
});

describe('slide output paths', () => {
  it("fills {slide} in, and refuses ids or results that leave the template's folder", () => {
    expect(slideOutputPath('out/{slide}.geojson', 'a_a')).toBe('out/a_a.geojson');
    expect(slideOutputPath('out/{slide}/heat-{slide}.png', 'b.1')).toBe('out/b.1/heat-b.1.png');
    const refuse = (template: string, id: string, pattern: RegExp) => {
      let err: unknown;
      try {
        slideOutputPath(template, id);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SlidepipeError);
      expect((err as SlidepipeError).exitCode).toBe(65);
      expect((err as Error).message).toMatch(pattern);
    };
    refuse(
      'out/geo/{slide}.geojson',
      '../../escaped',
      /out\/geo\/\{slide\}\.geojson: slide id "\.\.\/\.\.\/escaped" contains a path separator/,
    );
    refuse('out/{slide}', '..', /slide id "\.\." names a folder/);
    refuse('out/{slide}.png', 'a\nb', /contains a control character/);
    refuse('out/{slide}.png', '', /empty slide id/);
    refuse('out/x{slide}', 'a\\b', /path separator/);
  });

  it('refuses a stream whose metadata names an unusable slide id', async () => {
    const d = tmp();
    const m = patchMeta('p1_a');
    const bad = { ...m, slide: { ...m.slide!, slide_id: '../../escaped' } };
    const bytes = await arrowBytes(bad, [
      makeBatch(schemaFor(bad), {
        slide_id: [],
        x0: new Int32Array(0),
        y0: new Int32Array(0),
        w0: new Int32Array(0),
        h0: new Int32Array(0),
        col: new Int32Array(0),
        row: new Int32Array(0),
        mpp: new Float32Array(0),
        tissue: new Float32Array(0),
        image: [],
      }),
    ]);
    writeFileSync(join(d, 'bad.arrows'), bytes);
    await expectError(
      collect([join(d, 'bad.arrows')]),
      'bad-input',
      /bad\.arrows: slide id "\.\.\/\.\.\/escaped" contains a path separator/,
    );
  });
});

describe('stale temporary files', () => {
  it('are removed when their process is gone or its pid now belongs to a later process, kept while it runs', async () => {
    const { spawn } = await import('node:child_process');
    const { hostname } = await import('node:os');
    const host = hostname().replace(/[^A-Za-z0-9_.-]/g, '_');
    const d = tmp();
    const out = join(d, 'x.parquet');
    const sleeper = spawn('sleep', ['30']);
    await new Promise((r) => setTimeout(r, 100));
    const temp = (pid: number) => join(d, `.x.parquet.tmp-${host}-${pid}-abc`);
    // A live writer: its file is newer than the process.
    writeFileSync(temp(sleeper.pid!), '');
    // The same pid, but the file is older than the process: the pid was reused.
    writeFileSync(temp(sleeper.pid!).replace('-abc', '-old'), '');
    utimesSync(
      temp(sleeper.pid!).replace('-abc', '-old'),
      new Date(Date.now() - 3600e3),
      new Date(Date.now() - 3600e3),
    );
    // A pid no process has.
    writeFileSync(temp(4_194_000), '');
    // Another host's file is never touched.
    writeFileSync(join(d, `.x.parquet.tmp-otherhost-${sleeper.pid}-abc`), '');
    expect(removeStaleTemps(out).sort()).toEqual(
      [`.x.parquet.tmp-${host}-${sleeper.pid}-old`, `.x.parquet.tmp-${host}-4194000-abc`].sort(),
    );
    sleeper.kill('SIGKILL');
    await new Promise((r) => sleeper.on('exit', r));
    expect(removeStaleTemps(out)).toEqual([`.x.parquet.tmp-${host}-${sleeper.pid}-abc`]);
    expect(readdirSync(d)).toEqual([`.x.parquet.tmp-otherhost-${sleeper.pid}-abc`]);
  });
});

describe('outputs', () => {
  it('refuses to replace an existing file without force, and replaces it with force', async () => {
    const d = tmp();
    const m = patchMeta('p1_a');
    writeFileSync(join(d, 'x.parquet'), 'old');
    await expectError(
      writeAll(join(d, 'x.parquet'), [{ meta: m, batches: [patchBatch(m, 2)] }]),
      'output-exists',
      /use --force/,
    );
    expect(readFileSync(join(d, 'x.parquet'), 'utf8')).toBe('old');
    await writeAll(join(d, 'x.parquet'), [{ meta: m, batches: [patchBatch(m, 2)] }], true);
    expect((await collect([join(d, 'x.parquet')]))[0].rows).toHaveLength(2);
    expect(readdirSync(d)).toEqual(['x.parquet']);
  });

  it('leaves no file under the final name until close, and nothing after abort', async () => {
    const d = tmp();
    const m = patchMeta('p1_a');
    const sink = openRecordSink(join(d, 'y.arrows'));
    await sink.begin(schemaFor(m), m);
    await sink.write(patchBatch(m, 3));
    expect(existsSync(join(d, 'y.arrows'))).toBe(false);
    sink.abort();
    expect(readdirSync(d)).toEqual([]);
  });

  it('schema metadata is encoded as plain string key/values', () => {
    const m = patchMeta('p1_a');
    const kv = encodeMeta(m);
    expect(kv.get('slidepipe.record')).toBe('patch');
    expect(JSON.parse(kv.get('slidepipe.slide')!).mpp0).toBe(0.25);
  });
});
