import { mkdtempSync, readFileSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readOnnxMetadata } from '@slidepipe/models';
import { loadEmbeddings, loadSplits } from './data';
import { planFolds } from './folds';
import { embeddingStream, splitStream, streams } from '@slidepipe/testing';
import { trainCrossValidated, type HeadRecipe, type TrainOptions } from './train';

const slides = ['p1_a', 'p1_b', 'p2_a', 'p2_b', 'p3_a', 'p3_b'];

async function plan() {
  const t = await loadEmbeddings(streams(...slides.map((s) => embeddingStream(s, 40))));
  const splits = await loadSplits(streams(splitStream(slides.map((s) => ({ slide: s, fold: Number(s[1]) - 1 })))));
  return { t, plan: planFolds(t, splits, 'splits') };
}

const recipe: HeadRecipe = {
  hidden: [8],
  dropout: 0.1,
  optimizer: 'adamw',
  lr: 0.01,
  weightDecay: 1e-4,
  batchSize: 32,
  epochs: 8,
  patience: 3,
  loss: 'bce',
  alpha: 0.25,
  gamma: 2,
  posWeight: 1,
  balance: 'weight',
  threshold: 'best-f2',
  standardize: true,
  seed: 7,
};

function options(outDir: string, over: Partial<TrainOptions> = {}, log: string[] = []): TrainOptions {
  return {
    recipe,
    outDir,
    logsDir: null,
    force: false,
    threads: 1,
    log: {
      info: (m) => log.push(m),
      warn: (m) => log.push(`warning: ${m}`),
      progress: () => ({ tick: () => undefined, setTotal: () => undefined, done: () => undefined }),
    },
    provenance: [],
    ...over,
  };
}

describe('cross-validated training', () => {
  it('learns every fold, writes one head per fold and the manifest; same seed, same bytes; a finished fold is kept', async () => {
    const { t, plan: p } = await plan();
    const a = mkdtempSync(join(tmpdir(), 'slidepipe-train-a-'));
    const b = mkdtempSync(join(tmpdir(), 'slidepipe-train-b-'));
    const m = (await trainCrossValidated(t, p, options(a)))!;
    expect(m.folds.map((f) => f.fold)).toEqual([0, 1, 2]);
    for (const f of m.folds) expect(f.metrics.auc, `fold ${f.fold}`).toBeGreaterThan(0.8);
    const manifest = JSON.parse(readFileSync(join(a, 'ensemble.json'), 'utf8'));
    expect(manifest).toMatchObject({
      format: 'slidepipe-ensemble',
      version: 1,
      dim: 6,
      backbone: { name: 'test-backbone' },
      aggregate: 'mean-prob',
    });
    const meta = readOnnxMetadata(readFileSync(join(a, 'fold-1.onnx')));
    expect(meta).toMatchObject({
      'slidepipe.backbone.name': 'test-backbone',
      'slidepipe.backbone.sha256': 'a'.repeat(64),
      'slidepipe.train.fold': '1',
      'slidepipe.train.folds': '3',
    });
    expect(JSON.parse(meta['slidepipe.train.recipe'])).toMatchObject({ loss: 'bce', hidden: [8], balance: 'weight' });
    expect(Number(meta['slidepipe.train.threshold'])).toBe(m.folds[1].threshold);

    await trainCrossValidated(t, p, options(b));
    for (const k of [0, 1, 2])
      expect(readFileSync(join(b, `fold-${k}.onnx`)).equals(readFileSync(join(a, `fold-${k}.onnx`))), `fold ${k}`).toBe(
        true,
      );

    const before = statSync(join(a, 'fold-0.onnx')).mtimeMs;
    const log: string[] = [];
    const again = (await trainCrossValidated(t, p, options(a, {}, log)))!;
    expect(log.filter((l) => /already trained with this recipe and data: kept/.test(l))).toHaveLength(3);
    expect(log.some((l) => /epoch/.test(l))).toBe(false);
    expect(statSync(join(a, 'fold-0.onnx')).mtimeMs).toBe(before);
    expect(again.folds).toEqual(m.folds);
  });

  it('another seed gives other heads; another recipe in the same folder needs --force', async () => {
    const { t, plan: p } = await plan();
    const a = mkdtempSync(join(tmpdir(), 'slidepipe-train-c-'));
    await trainCrossValidated(t, p, options(a));
    const first = readFileSync(join(a, 'fold-0.onnx'));
    const other = { ...recipe, seed: 8 };
    await expect(trainCrossValidated(t, p, options(a, { recipe: other }))).rejects.toThrow(
      /fold-0\.onnx: holds a head trained on other data or with other parameters: give --force/,
    );
    await trainCrossValidated(t, p, options(a, { recipe: other, force: true }));
    expect(readFileSync(join(a, 'fold-0.onnx')).equals(first)).toBe(false);
    expect(existsSync(join(a, 'ensemble.json'))).toBe(true);
  });

  it('trains a subset of folds per call (parallel tasks) and writes the manifest once all are there, the heads as in one run', async () => {
    const { t, plan: p } = await plan();
    const whole = mkdtempSync(join(tmpdir(), 'slidepipe-train-d-'));
    const parts = mkdtempSync(join(tmpdir(), 'slidepipe-train-e-'));
    await trainCrossValidated(t, p, options(whole));
    const log: string[] = [];
    expect(await trainCrossValidated(t, p, options(parts, { only: [0, 2] }, log))).toBeUndefined();
    expect(existsSync(join(parts, 'ensemble.json'))).toBe(false);
    expect(log.at(-1)).toBe('ensemble.json not written yet: fold 1 still to train');
    const m = await trainCrossValidated(t, p, options(parts, { only: [1] }));
    expect(m?.folds.map((f) => f.fold)).toEqual([0, 1, 2]);
    for (const k of [0, 1, 2])
      expect(readFileSync(join(parts, `fold-${k}.onnx`)).equals(readFileSync(join(whole, `fold-${k}.onnx`)))).toBe(
        true,
      );
    await expect(trainCrossValidated(t, p, options(parts, { only: [7] }))).rejects.toThrow(
      /--folds: no fold 7 in the split table \(folds: 0, 1, 2\)/,
    );
  });
});
