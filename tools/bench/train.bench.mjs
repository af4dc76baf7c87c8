// wsi-train: seconds per epoch of the MLP head (D -> 256 -> 1, dropout 0.2, AdamW, batches of 512)
// on 100,000 x 512 embeddings and 2 threads, against the 3 s aim and against python3-torch training
// the same head on the same rows and threads.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { measure, report, scratch, tool } from './lib.mjs';
import { ensureTools, fixtures, torchPython } from './embed-setup.mjs';

const THREADS = 2;
const EPOCHS = 3;
const trainRows = Number(process.env.BENCH_TRAIN_ROWS ?? 100_000);
const dim = 512;
const folds = 5;
// Fold 0 trains on the other 4 folds' rows: 100,000 of 125,000.
const rows = Math.round((trainRows * folds) / (folds - 1));
ensureTools('train');
const dir = scratch('train', rows * dim * 4 * 3);
const data = join(dir, `data-${rows}`);
if (!existsSync(join(data, 'splits.arrows'))) {
  const { mkdirSync } = await import('node:fs');
  mkdirSync(data, { recursive: true });
  await fixtures('embeddings', data, rows, dim, folds);
}

const log = join(dir, 'train.log');
const run = measure(
  `T ${tool('train')} ${join(data, 'emb.arrows')} --splits ${join(data, 'splits.arrows')} -o ${join(dir, 'models')} --force --folds 0 --epochs ${EPOCHS} --patience 99 --hidden 256 --dropout 0.2 --batch-size 512 --balance none --threads ${THREADS} --no-mlflow --no-tensorboard 2> ${log}`,
  dir,
);
const epochs = [...readFileSync(log, 'utf8').matchAll(/fold 0 epoch \d+\/\d+: .*\((\d+\.\d+) s\)/g)].map((m) =>
  Number(m[1]),
);
const trained = Number(/fold 0: training on (\d+) patches/.exec(readFileSync(log, 'utf8'))?.[1]);
if (epochs.length !== EPOCHS) throw new Error(`expected ${EPOCHS} epoch lines in ${log}`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ours = median(epochs);

let torch = {};
const py = torchPython();
if (py.python) {
  const out = join(dir, 'torch.json');
  const first = rows / folds;
  const t = measure(
    `T ${py.python} ${join(import.meta.dirname, 'train-torch.py')} ${join(data, 'x.bin')} ${join(data, 'y.bin')} ${dim} ${first} ${THREADS} ${EPOCHS} > ${out}`,
    dir,
  );
  const r = JSON.parse(readFileSync(out, 'utf8'));
  torch = { version: r.torch, rows: r.rows, epochS: +median(r.epoch_s).toFixed(2), peakRssMB: Math.round(t.peakRssMB) };
} else torch = { reason: py.reason };

report({
  bench: 'train',
  threads: THREADS,
  rows: trained,
  dim,
  epochS: +ours.toFixed(2),
  epochsS: epochs,
  aimS: 3,
  ratioVsAim: +(3 / ours).toFixed(3),
  torch,
  ratioVsTorch: torch.reason ? null : +(torch.epochS / ours).toFixed(3),
  wallS: +run.wall.toFixed(1),
  peakRssMB: Math.round(run.peakRssMB),
});
