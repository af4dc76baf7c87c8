#!/usr/bin/env node
// Writes synthetic patch records (JPEG-like random payloads) as an Arrow stream to stdout, for
// benchmarks and pipe tests: make-patches.mjs ROWS [PAYLOAD_BYTES] [SLIDES]
import { writeSync } from 'node:fs';
import {
  Binary,
  Field,
  Float32,
  Int32,
  makeData,
  RecordBatch,
  RecordBatchStreamWriter,
  Schema,
  Struct,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import { AsyncByteQueue } from 'apache-arrow/io/stream';

// Takes what the writer emits so we write it out synchronously (bounded memory).
class Collector extends AsyncByteQueue {
  chunks = [];
  write(v) {
    if (v.byteLength) this.chunks.push(v);
  }
  drain() {
    for (const c of this.chunks) write(c);
    this.chunks = [];
  }
}

const rows = Number(process.argv[2] ?? 1000);
const payload = Number(process.argv[3] ?? 15000);
const slides = Number(process.argv[4] ?? 1);
const batchRows = 256;

// Incompressible bytes, made once: the content does not matter, only the size.
const pool = new Uint8Array(payload + batchRows * 13);
let s = 12345;
for (let i = 0; i < pool.length; i++) pool[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;

function write(buf) {
  let off = 0;
  while (off < buf.byteLength) {
    try {
      off += writeSync(1, buf, off, buf.byteLength - off);
    } catch (e) {
      if (e.code === 'EAGAIN') continue;
      if (e.code === 'EPIPE') process.exit(0);
      throw e;
    }
  }
}

for (let si = 0; si < slides; si++) {
  const slideId = `synth${String(si).padStart(3, '0')}_a`;
  const meta = new Map([
    ['slidepipe.record', 'patch'],
    ['slidepipe.record_version', '1'],
    [
      'slidepipe.slide',
      JSON.stringify({
        slide_id: slideId,
        patient_id: slideId.split('_')[0],
        width0: 200000,
        height0: 100000,
        mpp0: 0.25,
      }),
    ],
    ['slidepipe.facts', JSON.stringify({ tile_px: 256, stride_px: 256, mpp: 0.5 })],
    [
      'slidepipe.provenance',
      JSON.stringify([
        {
          tool: 'make-patches',
          version: '0',
          argv: process.argv.slice(2),
          params: {},
          time: '1970-01-01T00:00:00.000Z',
        },
      ]),
    ],
  ]);
  const fields = [
    new Field('slide_id', new Utf8(), false),
    ...['x0', 'y0', 'w0', 'h0', 'col', 'row'].map((n) => new Field(n, new Int32(), false)),
    new Field('mpp', new Float32(), false),
    new Field('tissue', new Float32(), false),
    new Field('image', new Binary(), true),
  ];
  const schema = new Schema(fields, meta);
  const sink = new Collector();
  const writer = new RecordBatchStreamWriter();
  writer.reset(sink, schema);
  const perSlide = Math.ceil(rows / slides);
  for (let start = 0; start < perSlide; start += batchRows) {
    const n = Math.min(batchRows, perSlide - start);
    const idx = Int32Array.from({ length: n }, (_, i) => start + i);
    const offsets = new Int32Array(n + 1);
    const bytes = new Uint8Array(n * payload);
    for (let i = 0; i < n; i++) {
      bytes.set(pool.subarray(i * 13, i * 13 + payload), i * payload);
      offsets[i + 1] = (i + 1) * payload;
    }
    const cols = [
      vectorFromArray(
        Array.from({ length: n }, () => slideId),
        new Utf8(),
      ).data[0],
      makeData({ type: new Int32(), length: n, data: idx.map((i) => (i % 400) * 512) }),
      makeData({ type: new Int32(), length: n, data: idx.map((i) => Math.floor(i / 400) * 512) }),
      makeData({ type: new Int32(), length: n, data: new Int32Array(n).fill(512) }),
      makeData({ type: new Int32(), length: n, data: new Int32Array(n).fill(512) }),
      makeData({ type: new Int32(), length: n, data: idx.map((i) => i % 400) }),
      makeData({ type: new Int32(), length: n, data: idx.map((i) => Math.floor(i / 400)) }),
      makeData({ type: new Float32(), length: n, data: new Float32Array(n).fill(0.5) }),
      makeData({ type: new Float32(), length: n, data: Float32Array.from(idx, (i) => (i % 100) / 100) }),
      makeData({ type: new Binary(), length: n, valueOffsets: offsets, data: bytes }),
    ];
    const batch = new RecordBatch(schema, makeData({ type: new Struct(fields), length: n, children: cols }));
    writer.write(batch);
    sink.drain();
  }
  write(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0));
}
