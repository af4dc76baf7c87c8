#!/usr/bin/env node
// The ablation table: per configuration, the held-out F2 at GIoU > 0.5 over all slides and over the
// slides with lesions, a 90% bootstrap interval over slides, the paired difference to the first
// configuration (same resampled slides for every row), and the mean IoU of matched boxes.
//   node tools/ablation-report.mjs [--markdown] [--json FILE] LABEL=DIR ...   (DIR holds eval.parquet)
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
let jsonOut;
const runs = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--json') jsonOut = args[++i];
  else if (args[i] === '--markdown') continue;
  else {
    const eq = args[i].indexOf('=');
    if (eq < 1) {
      process.stderr.write(`ablation-report: expected LABEL=DIR, got ${args[i]}\n`);
      process.exit(64);
    }
    runs.push({ label: args[i].slice(0, eq), dir: args[i].slice(eq + 1) });
  }
}
if (!runs.length) {
  process.stderr.write('usage: ablation-report.mjs [--json FILE] LABEL=DIR ...\n');
  process.exit(64);
}

const rowsOf = (file) =>
  execFileSync('node', [join(root, 'dist/apps/cat/main.js'), '-q', '--jsonl', file], { maxBuffer: 1 << 28 })
    .toString()
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .filter((r) => r.scope === 'slide');

const B = 4000;
// mulberry32: a seeded generator, so the interval is the same on every run.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const mean = (xs) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : NaN);
const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))];

const evals = runs.map((r) => ({
  ...r,
  rows: new Map(rowsOf(join(r.dir, 'eval.parquet')).map((x) => [x.slide_id, x])),
}));
const slides = [...evals[0].rows.keys()].sort();
for (const e of evals) {
  const missing = slides.filter((s) => !e.rows.has(s));
  if (missing.length || e.rows.size !== slides.length) {
    process.stderr.write(
      `ablation-report: ${e.dir}/eval.parquet does not cover the same held-out slides as ${evals[0].dir}\n`,
    );
    process.exit(65);
  }
}
const lesionSlides = slides.filter((s) => evals[0].rows.get(s).n_truth > 0);
const iouKey = Object.keys(evals[0].rows.get(slides[0])).find((k) => k === 'mean_iou');

// Paired bootstrap over the lesion slides: one set of resamples shared by every configuration.
const next = rng(20261207);
const draws = Array.from({ length: B }, () =>
  Array.from({ length: lesionSlides.length }, () => Math.floor(next() * lesionSlides.length)),
);
const f2 = (e, ids) => ids.map((s) => e.rows.get(s).fbeta);
const base = f2(evals[0], lesionSlides);
const table = evals.map((e) => {
  const v = f2(e, lesionSlides);
  const boots = draws.map((d) => mean(d.map((i) => v[i]))).sort((a, b) => a - b);
  const diffs = draws.map((d) => mean(d.map((i) => v[i] - base[i]))).sort((a, b) => a - b);
  // Over all matched boxes: each slide's mean weighted by its matches.
  const matched = slides.map((s) => e.rows.get(s)).filter((r) => Number.isFinite(r[iouKey]) && r.tp > 0);
  const tp = matched.reduce((n, r) => n + r.tp, 0);
  return {
    label: e.label,
    dir: e.dir,
    slides: slides.length,
    lesion_slides: lesionSlides.length,
    f2_all: mean(f2(e, slides)),
    f2_lesion: mean(v),
    f2_lesion_ci90: [quantile(boots, 0.05), quantile(boots, 0.95)],
    diff_vs_first: mean(v) - mean(base),
    diff_ci90: [quantile(diffs, 0.05), quantile(diffs, 0.95)],
    mean_matched_iou: iouKey && tp ? matched.reduce((n, r) => n + r[iouKey] * r.tp, 0) / tp : NaN,
  };
});

const f = (x) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');
const lines = [
  `held-out slides: ${slides.length}, with lesions: ${lesionSlides.length}; 90% intervals from ${B} paired bootstrap resamples of the lesion slides`,
  '',
  '| configuration | F2 all slides | F2 lesion slides [90% CI] | vs first [90% CI] | mean matched IoU |',
  '|---|---|---|---|---|',
  ...table.map(
    (t, i) =>
      `| ${t.label} | ${f(t.f2_all)} | ${f(t.f2_lesion)} [${f(t.f2_lesion_ci90[0])}, ${f(t.f2_lesion_ci90[1])}] | ${
        i === 0
          ? '-'
          : `${t.diff_vs_first >= 0 ? '+' : ''}${f(t.diff_vs_first)} [${f(t.diff_ci90[0])}, ${f(t.diff_ci90[1])}]`
      } | ${f(t.mean_matched_iou)} |`,
  ),
];
process.stdout.write(`${lines.join('\n')}\n`);
if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify(table, null, 2)}\n`);
