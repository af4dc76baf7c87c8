// wsi-cat: 100,000 patch records with 15 KB payloads through `wsi-cat | wsi-cat -o x.parquet` and
// back, against `cat` moving the same bytes through a pipe and against pyarrow (Arrow C++, from
// tools/setup.sh's .venv) converting the same stream to Parquet and back; peak RSS of each process.
import { existsSync, statSync, writeFileSync } from 'node:fs';
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
// pyarrow, the reference: the same stream to Parquet (snappy, 100,000-row groups, page checksums,
// as wsi-cat writes) and the Parquet back to an Arrow stream, one process each.
const python = join(ROOT, '.venv/bin/python');
let arrow = null;
if (existsSync(python)) {
  const script = join(dir, 'pa.py');
  writeFileSync(
    script,
    `import sys, pyarrow as pa, pyarrow.parquet as pq
src, dst, mode = sys.argv[1:4]
if mode == 'write':
    with pa.ipc.open_stream(src) as r, pq.ParquetWriter(dst, r.schema, compression='snappy', write_page_checksum=True) as w:
        for b in r:
            w.write_batch(b, row_group_size=100_000)
else:
    f = pq.ParquetFile(src)
    with pa.OSFile(dst, 'wb') as out, pa.ipc.new_stream(out, f.schema_arrow) as w:
        for b in f.iter_batches(batch_size=65536):
            w.write_batch(b)
`,
  );
  // Only the first stream of the input: pyarrow reads one IPC stream per reader.
  measure(`${cat} -q --head ${Math.floor(rows / 4)} ${input} > first.arrows`, dir);
  const firstMb = statSync(join(dir, 'first.arrows')).size / 1e6;
  const paWrite = measure(`T ${python} ${script} first.arrows pa.parquet write`, dir);
  const paRead = measure(`T ${python} ${script} pa.parquet pa-back.arrows read`, dir);
  const oursWrite = measure(`T ${cat} -q first.arrows --force -o ours.parquet`, dir);
  const oursRead = measure(`T ${cat} -q ours.parquet > ours-back.arrows`, dir);
  arrow = {
    pyarrowMB: +firstMb.toFixed(0),
    pyarrowWriteMBps: +(firstMb / paWrite.wall).toFixed(0),
    pyarrowReadMBps: +(firstMb / paRead.wall).toFixed(0),
    oursWriteMBps: +(firstMb / oursWrite.wall).toFixed(0),
    oursReadMBps: +(firstMb / oursRead.wall).toFixed(0),
    ratioWriteVsPyarrow: +(paWrite.wall / oursWrite.wall).toFixed(3),
    ratioReadVsPyarrow: +(paRead.wall / oursRead.wall).toFixed(3),
    pyarrowPeakRssMB: Math.round(Math.max(paWrite.peakRssMB, paRead.peakRssMB)),
    oursPeakRssMB: Math.round(Math.max(oursWrite.peakRssMB, oursRead.peakRssMB)),
  };
}
// Memory must not grow with the input: the same pipe on a tenth of the rows.
const small = join(dir, `patches-small.arrows`);
measure(`head -c ${Math.floor(statSync(input).size / 4)} ${input} > /dev/null`, dir);
if (!existsSync(small))
  measure(
    `node ${join(ROOT, 'tools/make-patches.mjs')} ${Math.max(1, Math.floor(rows / 10))} ${payload} 1 > ${small}`,
    dir,
  );
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
  ...(arrow ?? { pyarrow: 'not installed (tools/setup.sh --bench puts it into .venv)' }),
});
