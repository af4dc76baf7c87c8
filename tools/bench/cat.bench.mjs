// wsi-cat: 100,000 patch records with 15 KB payloads through `wsi-cat | wsi-cat -o x.parquet` and
// back, against `cat` moving the same bytes through a pipe; peak RSS of each process.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { measure, report, ROOT, scratch, tool } from './lib.mjs';

const rows = Number(process.env.BENCH_CAT_ROWS ?? 100_000);
const payload = 15_000;
const dir = scratch('cat', rows * payload * 3.2);
const input = join(dir, `patches-${rows}.arrows`);
if (!existsSync(input)) measure(`node ${join(ROOT, 'tools/make-patches.mjs')} ${rows} ${payload} 4 > ${input}`, dir);
const mb = statSync(input).size / 1e6;
const cat = tool('cat');

const base = measure(`T cat ${input} | T cat > copy.arrows`, dir);
const toParquet = measure(`T ${cat} -q ${input} | T ${cat} -q --force -o x.parquet`, dir);
const back = measure(`T ${cat} -q x.parquet | T ${cat} -q --force -o back.arrows`, dir);
const pipe = measure(`T ${cat} -q ${input} | T ${cat} -q > /dev/null`, dir);
// Memory must not grow with the input: the same pipe on a tenth of the rows.
const small = join(dir, `patches-small.arrows`);
measure(`head -c ${Math.floor(statSync(input).size / 4)} ${input} > /dev/null`, dir);
if (!existsSync(small)) measure(`node ${join(ROOT, 'tools/make-patches.mjs')} ${Math.max(1, Math.floor(rows / 10))} ${payload} 1 > ${small}`, dir);
const pipeSmall = measure(`T ${cat} -q ${small} | T ${cat} -q -o small.parquet --force`, dir);

report({
  bench: 'cat',
  rows,
  payloadMB: +mb.toFixed(0),
  baseline: 'cat | cat > file',
  baselineWall: +base.wall.toFixed(2),
  arrowToParquetWall: +toParquet.wall.toFixed(2),
  parquetToArrowWall: +back.wall.toFixed(2),
  ratioArrowToParquet: +(base.wall / toParquet.wall).toFixed(3),
  ratioParquetToArrow: +(base.wall / back.wall).toFixed(3),
  pipeMBps: +(mb / pipe.wall).toFixed(0),
  arrowToParquetMBps: +(mb / toParquet.wall).toFixed(0),
  parquetToArrowMBps: +(mb / back.wall).toFixed(0),
  peakRssMB: Math.round(Math.max(toParquet.peakRssMB, back.peakRssMB, pipe.peakRssMB)),
  peakRssMBTenthRows: Math.round(pipeSmall.peakRssMB),
  rssPerProcessMB: [...toParquet.procs, ...back.procs].map((p) => Math.round(p.rssMB)),
});
