#!/usr/bin/env node
// Box methods compared on accuracy, not speed: F2 at GIoU > 0.5 and the mean IoU of matched boxes,
// exactly N boxes per slide (--counts), for each recipe below with and without a size prior.
//   node tools/bench/boxes-methods.mjs [--slides N] [--seed S] [--demo DIR]
// On simulated slides with structured false positives (libs/testing simulateStructuredSlide:
// lesions inside medium-score plateaus, plateaus alone, two or three lesions close together,
// noise), and with --demo on a demo run's own heat maps (DIR/scores, DIR/cohort/validation.csv,
// DIR/truth.csv, prior DIR/cohort/train.csv). Not a *.bench.mjs: it reports accuracy, which
// has no baseline ratio; it prints a table and one JSON line per data set.
import { execFileSync, execSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuilt, ROOT, scratch, tool } from './lib.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const SLIDES = Number(arg('--slides', 80));
const SEED = Number(arg('--seed', 1));
const DEMO = arg('--demo', null);

export const RECIPES = [
  { name: 'components (default)', method: 'components' },
  { name: 'components --no-refine', method: 'components', extra: ['--no-refine'] },
  { name: 'dbscan', method: 'dbscan' },
  { name: 'merge', method: 'merge' },
  { name: 'peaks', method: 'peaks', prior: true },
  { name: 'peaks nms_iou=1 (no NMS)', method: 'peaks:nms_iou=1', prior: true },
  { name: 'peaks min_drop=0 (no merging)', method: 'peaks:min_drop=0', prior: true },
  { name: 'peaks min_drop=0.3', method: 'peaks:min_drop=0.3', prior: true },
  { name: 'peaks leak_z=1', method: 'peaks:leak_z=1', prior: true },
  { name: 'peaks leak_drop=0', method: 'peaks:leak_drop=0', prior: true },
  { name: 'peaks leak_drop=0.3', method: 'peaks:leak_drop=0.3', prior: true },
  { name: 'peaks leak_drop=0.3,leak_z=2', method: 'peaks:leak_drop=0.3,leak_z=2', prior: true },
  { name: 'peaks leak_z=2.5', method: 'peaks:leak_z=2.5', prior: true },
  { name: 'peaks smooth_strides=0', method: 'peaks:smooth_strides=0', prior: true },
  { name: 'peaks --refine-level 0.4', method: 'peaks', extra: ['--refine-level', '0.4'], prior: true },
  { name: 'peaks --refine-level 0.6', method: 'peaks', extra: ['--refine-level', '0.6'], prior: true },
];

function simulate(dir) {
  const src = join(ROOT, 'tools/bench/boxes-sim.ts');
  const out = join(ROOT, 'dist/bench/boxes-sim.mjs');
  // Bundled every run (a second or so): the generator lives in libs/testing, not in this folder.
  {
    mkdirSync(join(ROOT, 'dist/bench'), { recursive: true });
    execFileSync(
      join(ROOT, 'node_modules/.bin/esbuild'),
      [
        src,
        `--outfile=${out}`,
        '--bundle',
        '--platform=node',
        '--format=esm',
        '--target=node20',
        '--external:koffi',
        '--external:onnxruntime-node',
        '--external:sharp',
        '--external:@node-rs/crc32',
        "--banner:js=import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
        '--log-level=warning',
      ],
      { cwd: ROOT, stdio: 'inherit' },
    );
  }
  return JSON.parse(execFileSync('node', [out, dir, String(SLIDES), String(SEED)], { cwd: ROOT }).toString());
}

/** The mean row of wsi-eval for one recipe. */
function score(set, r, withPrior) {
  const args = ['-q', '-m', r.method, '--counts', set.counts, ...(r.extra ?? [])];
  if (withPrior) args.push('--size-prior', set.prior);
  const q = (a) => a.map((s) => `'${s}'`).join(' ');
  const csv = execSync(
    `${tool('cat')} -q ${q(set.scores)} | ${tool('boxes')} ${q(args)} | ${tool('eval')} -q --truth '${set.truth}' | ${tool('cat')} -q --csv`,
    { cwd: ROOT, shell: '/bin/bash', stdio: ['ignore', 'pipe', 'pipe'] },
  )
    .toString()
    .trim()
    .split('\n');
  const head = csv[0].split(',');
  const mean = csv.find((l) => l.startsWith('mean,')).split(',');
  const v = (k) => mean[head.indexOf(k)];
  return {
    f2: Number(v('fbeta')),
    iou: v('mean_iou') === '' ? null : Number(v('mean_iou')),
    tp: Number(v('tp')),
    fp: Number(v('fp')),
    fn: Number(v('fn')),
  };
}

function table(title, set) {
  const rows = [];
  for (const r of RECIPES) {
    for (const withPrior of r.prior ? [false, true] : [false]) {
      const s = score(set, r, withPrior);
      rows.push({ recipe: r.name + (withPrior ? ' + size prior' : ''), ...s });
    }
  }
  const w = Math.max(...rows.map((r) => r.recipe.length));
  process.stdout.write(`\n${title}\n${'recipe'.padEnd(w)}     F2   mean IoU   TP   FP   FN\n`);
  for (const r of rows)
    process.stdout.write(
      `${r.recipe.padEnd(w)}  ${r.f2.toFixed(3)}  ${r.iou === null ? '    -' : r.iou.toFixed(3)}  ${String(r.tp).padStart(7)}  ${String(r.fp).padStart(3)}  ${String(r.fn).padStart(3)}\n`,
    );
  process.stdout.write(`${JSON.stringify({ bench: 'boxes-methods', set: title, rows })}\n`);
}

ensureBuilt();
const dir = scratch('boxes-methods', 1e8);
const sim = simulate(dir);
table(
  `simulated: ${sim.slides} slides, ${sim.lesions} lesions, ${sim.patches} patch scores (seed ${SEED}, stride 256)`,
  {
    scores: [join(dir, 'scores.arrows')],
    counts: join(dir, 'validation.csv'),
    truth: join(dir, 'truth.csv'),
    prior: join(dir, 'prior.csv'),
  },
);
if (DEMO) {
  const scores = readdirSync(join(DEMO, 'scores'))
    .filter((f) => f.endsWith('.parquet'))
    .map((f) => join(DEMO, 'scores', f));
  table(`demo heat maps: ${DEMO} (${scores.length} held-out slides)`, {
    scores,
    counts: join(DEMO, 'cohort/validation.csv'),
    truth: join(DEMO, 'truth.csv'),
    prior: join(DEMO, 'cohort/train.csv'),
  });
}
