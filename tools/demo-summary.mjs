#!/usr/bin/env node
// The demo's closing summary: what was processed, per-fold validation metrics, the held-out
// DigiLut metric next to the random baseline, and where every output is.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const [out, seconds, fixtures, config] = process.argv.slice(2);
const root = new URL('..', import.meta.url).pathname;
const cat = (...args) =>
  execFileSync('node', [join(root, 'dist/apps/cat/main.js'), '-q', ...args], {
    cwd: out,
    maxBuffer: 1 << 28,
  }).toString();
const jsonl = (file) =>
  cat('--jsonl', file)
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
const rel = (p) => relative(process.env.INIT_CWD ?? root, join(out, p)) || '.';
const fmt = (x) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');

const slides = readdirSync(join(out, 'cohort')).filter((f) => f.endsWith('.tif'));
const patchFiles = readdirSync(join(out, 'patches'))
  .filter((f) => f.endsWith('.parquet') && !f.startsWith('.'))
  .map((f) => `patches/${f}`);
const patches = Number(
  cat('--count', ...patchFiles)
    .trim()
    .split('\n')
    .pop(),
);
const ensemble = JSON.parse(readFileSync(join(out, 'models/ensemble.json'), 'utf8'));
const mean = (rows) => rows.find((r) => r.scope === 'mean');
const model = mean(jsonl('eval.parquet'));
const chance = mean(jsonl('random-eval.parquet'));

const lines = [];
lines.push('', `slidepipe demo finished in ${seconds} s`);
const real = readdirSync(join(out, 'real')).filter((f) => f.endsWith('.parquet'));
// A step that did nothing says why rather than printing zero.
const realText = real.length
  ? `+ ${real.length} real fixture slides`
  : `no real fixture slide tiled: none found in ${fixtures}`;
lines.push(`  slides processed: ${slides.length} (${realText}), patches: ${patches}`);
if (config) lines.push(`  configuration: ${config}`);
lines.push(`  backbone: ${ensemble.backbone?.name ?? '?'} (dim ${ensemble.dim ?? ensemble.backbone?.dim ?? '?'})`);
lines.push('  fold  val AUC  val AP   threshold');
for (const f of ensemble.folds ?? []) {
  const m = f.validation_metrics ?? f.metrics ?? {};
  lines.push(`  ${String(f.fold).padEnd(5)} ${fmt(m.auc).padEnd(8)} ${fmt(m.ap).padEnd(8)} ${fmt(f.threshold)}`);
}
lines.push(`  held-out slides: ${model ? readdirSync(join(out, 'scores')).length : 0}`);
lines.push(`  held-out mean F2 at GIoU > 0.5: ${fmt(model?.fbeta)}   (boxes placed at random: ${fmt(chance?.fbeta)})`);
// Lesion-free slides score 1 for both when no box is asked of them: also show the slides with lesions.
const lesionMean = (file) => {
  const rows = jsonl(file).filter((r) => r.scope === 'slide' && r.n_truth > 0);
  return rows.length ? rows.reduce((s, r) => s + r.fbeta, 0) / rows.length : NaN;
};
lines.push(
  `  ... over the held-out slides with lesions only: ${fmt(lesionMean('eval.parquet'))}   (random: ${fmt(lesionMean('random-eval.parquet'))})`,
);
// Older eval files (record version 1) have no IoU columns.
if (Number.isFinite(model?.mean_iou))
  lines.push(
    `  mean IoU of the matched boxes: ${fmt(model.mean_iou)}   (GIoU ${fmt(model.mean_giou)}; a match needs GIoU > 0.5)`,
  );
lines.push('  outputs:');
const outputs = [
  ['per-slide patches (Parquet)', 'patches/'],
  ['split table', 'splits.parquet'],
  ['training sample (patches)', 'train-sample.parquet'],
  ['stain target (wsi-stain)', 'stain.json'],
  ['first round: heads and out-of-fold scores', 'round1/'],
  ['training embeddings', 'train-embeddings.parquet'],
  ['models (one ONNX head per fold + ensemble.json)', 'models/'],
  ['patch scores (heat maps as records)', 'scores/'],
  ['boxes', 'boxes.parquet'],
  ['per-slide evaluation', 'eval.parquet'],
  ['heat-map PNGs', 'heatmaps/'],
  ['DigiLut submission CSV', 'submission.csv'],
  ['QuPath GeoJSON', 'geojson/'],
  ['MLflow runs (file store)', 'mlruns/'],
  ['TensorBoard logs', 'tensorboard/'],
  ['cohort contact sheet', 'cohort/contact-sheet.png'],
  ['real slides: patches and grid pictures', 'real/'],
];
for (const [what, p] of outputs) if (existsSync(join(out, p))) lines.push(`    ${what.padEnd(48)} ${rel(p)}`);
process.stdout.write(`${lines.join('\n')}\n`);
