// wsi-boxes on a DigiLut-sized slide (83k x 198k level-0 px, 512 px patches every 256 px over an
// elliptic tissue area: about 160k patch scores, 4 lesions, noisy background), each method with
// refinement, against wsi-cat reading and writing the same records; peak RSS of each run.
import { existsSync, writeSync, openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import {
  FixedSizeList,
  Field,
  Float32,
  Int8,
  Int32,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  tableToIPC,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import { measure, report, scratch, tool } from './lib.mjs';

const dir = scratch('boxes', 1e8);
const input = join(dir, 'digilut-size.arrows');
const W = 83000;
const H = 198000;
const STRIDE = 256;
const TILE = 512;

function writeScores(path) {
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const lesions = [0, 1, 2, 3].map((i) => ({ x: 20000 + i * 12000, y: 40000 + i * 30000, s: 940 }));
  const cover = (x0, y0) =>
    lesions.reduce(
      (c, l) =>
        c +
        (Math.max(0, Math.min(x0 + TILE, l.x + l.s) - Math.max(x0, l.x)) *
          Math.max(0, Math.min(y0 + TILE, l.y + l.s) - Math.max(y0, l.y))) /
          TILE /
          TILE,
      0,
    );
  const cols = { x0: [], y0: [], col: [], row: [], score: [] };
  for (let row = 0; row * STRIDE + TILE <= H; row++) {
    for (let col = 0; col * STRIDE + TILE <= W; col++) {
      const u = (col * STRIDE + TILE / 2 - W / 2) / (0.45 * W);
      const v = (row * STRIDE + TILE / 2 - H / 2) / (0.45 * H);
      if (u * u + v * v > 1) continue;
      const c = cover(col * STRIDE, row * STRIDE);
      const s =
        1 / (1 + Math.exp(-12 * (c - 0.5))) + 0.1 * (rand() + rand() + rand() - 1.5) + (rand() < 0.01 ? 0.7 : 0);
      cols.x0.push(col * STRIDE);
      cols.y0.push(row * STRIDE);
      cols.col.push(col);
      cols.row.push(row);
      cols.score.push(Math.min(1, Math.max(0, s)));
    }
  }
  const meta = new Map([
    ['slidepipe.record', 'patch-score'],
    ['slidepipe.record_version', '1'],
    [
      'slidepipe.slide',
      JSON.stringify({ slide_id: 'bench_a', patient_id: 'bench', width0: W, height0: H, mpp0: 0.25 }),
    ],
    ['slidepipe.facts', JSON.stringify({ tile_px: 256, stride_px: 128, mpp: 0.5, folds: 1 })],
    ['slidepipe.provenance', '[]'],
  ]);
  const int = (n) => new Field(n, new Int32(), false);
  const fields = [
    new Field('slide_id', new Utf8(), false),
    ...['x0', 'y0', 'w0', 'h0', 'col', 'row'].map(int),
    new Field('label', new Int8(), true),
    new Field('score', new Float32(), false),
    new Field('fold_scores', new FixedSizeList(1, new Field('item', new Float32(), false)), false),
  ];
  const schema = new Schema(fields, meta);
  const batches = [];
  const n = cols.x0.length;
  for (let a = 0; a < n; a += 8192) {
    const b = Math.min(n, a + 8192);
    const i32 = (arr) => makeData({ type: new Int32(), length: b - a, data: Int32Array.from(arr.slice(a, b)) });
    const score = Float32Array.from(cols.score.slice(a, b));
    const children = [
      vectorFromArray(Array(b - a).fill('bench_a'), new Utf8()).data[0],
      i32(cols.x0),
      i32(cols.y0),
      i32(Array(n).fill(TILE)),
      i32(Array(n).fill(TILE)),
      i32(cols.col),
      i32(cols.row),
      vectorFromArray(Array(b - a).fill(null), new Int8()).data[0],
      makeData({ type: new Float32(), length: b - a, data: score }),
      // A buffer of its own: apache-arrow's writer mis-frames two columns sharing one.
      makeData({
        type: fields[9].type,
        length: b - a,
        child: makeData({ type: new Float32(), length: b - a, data: score.slice() }),
      }),
    ];
    batches.push(new RecordBatch(schema, makeData({ type: new Struct(fields), length: b - a, children })));
  }
  const fd = openSync(path, 'w');
  writeSync(fd, tableToIPC(new Table(schema, batches), 'stream'));
  closeSync(fd);
  return n;
}

if (!existsSync(input)) writeScores(input);
const base = measure(`T ${tool('cat')} -q ${input} | T ${tool('cat')} -q > /dev/null`, dir);
const runs = Object.fromEntries(
  ['components', 'merge', 'dbscan', 'peaks'].map((m) => [
    m,
    measure(`T ${tool('boxes')} -q ${input} -m ${m} -n 4 > /dev/null`, dir),
  ]),
);
report({
  bench: 'boxes',
  slide: `${W} x ${H} level-0 px, ${TILE} px patches every ${STRIDE} px`,
  baseline: 'wsi-cat | wsi-cat (same records)',
  baselineWall: +base.wall.toFixed(2),
  ...Object.fromEntries(Object.entries(runs).map(([m, r]) => [`${m}Wall`, +r.wall.toFixed(2)])),
  ...Object.fromEntries(Object.entries(runs).map(([m, r]) => [`ratio_${m}`, +(base.wall / r.wall).toFixed(3)])),
  peakRssMB: Math.round(Math.max(...Object.values(runs).map((r) => r.peakRssMB))),
  baselinePeakRssMB: Math.round(base.peakRssMB),
});
