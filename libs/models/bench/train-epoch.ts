// Seconds per training epoch of the MLP head on random embeddings (a benchmark, not a test).
// Node 20 cannot run TypeScript, so bundle it first:
//   npx esbuild libs/models/bench/train-epoch.ts --bundle --platform=node --format=esm \
//     --external:onnxruntime-node --outfile=/tmp/train-epoch.mjs && node /tmp/train-epoch.mjs \
//     --rows 100000 --dim 512 --hidden 256 --batch 512 --threads 2 --epochs 3 --dropout 0
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { MlpTrainer } from '../src/index';
import { createRng, fillUniform } from '../src/random/rng';

const { values: a } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    dim: { type: 'string', default: '512' },
    hidden: { type: 'string', default: '256' },
    batch: { type: 'string', default: '512' },
    threads: { type: 'string', default: '2' },
    epochs: { type: 'string', default: '3' },
    dropout: { type: 'string', default: '0' },
    loss: { type: 'string', default: 'bce' },
  },
});
const rows = Number(a.rows);
const dim = Number(a.dim);
const hidden = a.hidden === '' ? [] : a.hidden.split(',').map(Number);
const rng = createRng(1);
const x = fillUniform(rng, new Float32Array(rows * dim), 1.7);
const y = new Float32Array(rows).map(() => (rng.next() >>> 0 < 0.1 * 2 ** 32 ? 1 : 0));
const trainer = MlpTrainer.create(
  dim,
  {
    hidden,
    batchSize: Number(a.batch),
    epochs: Number(a.epochs),
    dropout: Number(a.dropout),
    loss: a.loss as 'bce' | 'focal',
    seed: 1,
  },
  { threads: Number(a.threads) },
);
// CPU seconds as well as wall seconds: on a shared machine the wall clock mostly measures the
// neighbours, while CPU time / threads is what an idle machine would take.
const seconds: number[] = [];
const cpuSeconds: number[] = [];
let cpu = process.cpuUsage();
await trainer.fit(
  { x, y },
  {
    onEpochEnd: (r) => {
      const d = process.cpuUsage(cpu);
      cpu = process.cpuUsage();
      seconds.push(r.seconds);
      cpuSeconds.push((d.user + d.system) / 1e6);
    },
  },
);
const t0 = performance.now();
await trainer.predict(x);
const predictS = (performance.now() - t0) / 1000;
await trainer.dispose();
console.log(
  JSON.stringify({
    rows,
    dim,
    hidden,
    batch: Number(a.batch),
    threads: Number(a.threads),
    dropout: Number(a.dropout),
    loss: a.loss,
    secondsPerEpoch: seconds.map((s) => Number(s.toFixed(3))),
    cpuSecondsPerEpoch: cpuSeconds.map((s) => Number(s.toFixed(3))),
    loadAverage: loadavg()[0],
    predictSeconds: Number(predictS.toFixed(3)),
  }),
);
