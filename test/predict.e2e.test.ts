// wsi-predict through real pipes: patches -> wsi-embed -> wsi-predict per slide, the aggregates,
// and the refusals (another backbone, a model folder missing a fold).
import { cpSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { rocAuc } from '@slidepipe/metrics';
import { GraphBuilder } from '@slidepipe/models';
import { sh, tmp } from './helpers';
import { writeCohort } from './train-fixtures';

let dir: string;

interface Row {
  slide_id: string;
  label: number | null;
  score: number;
  fold_scores: number[];
}

const rows = (jsonl: Buffer): Row[] =>
  jsonl
    .toString()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

beforeAll(async () => {
  dir = tmp('slidepipe-predict-e2e-');
  await writeCohort(dir);
  const r = sh(
    'wsi-cat -q patches/*.arrows | wsi-embed -q -o emb.parquet && wsi-train -q emb.parquet --splits splits.arrows -o models --epochs 8 --hidden 16 --batch-size 64 --lr 0.003 --no-mlflow --no-tensorboard',
    { cwd: dir },
  );
  if (r.status !== 0) throw new Error(r.stderr);
});

describe('wsi-predict', () => {
  it('scores each slide streamed from wsi-embed with every fold head; the ensemble ranks lesions first', () => {
    const r = sh(
      'for s in patches/*.arrows; do wsi-embed -q "$s" | wsi-predict -q --models models; done | wsi-cat -q -o scores.arrows && wsi-cat --jsonl scores.arrows && wsi-cat --schema scores.arrows > schema.json',
      { cwd: dir },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = rows(r.stdout);
    expect(out).toHaveLength(320);
    expect(new Set(out.map((o) => o.slide_id)).size).toBe(8);
    for (const o of out) {
      expect(o.fold_scores).toHaveLength(4);
      expect(o.score).toBeCloseTo(o.fold_scores.reduce((a, b) => a + b, 0) / 4, 5);
    }
    expect(
      rocAuc(
        out.map((o) => o.label as number),
        out.map((o) => o.score),
      ),
    ).toBeGreaterThan(0.85);
    const schema = JSON.parse(sh('cat schema.json', { cwd: dir }).stdout.toString());
    expect(schema).toHaveLength(8);
    expect(schema[0].record).toBe('patch-score');
    expect(schema[0].facts).toMatchObject({ folds: 4, aggregate: 'mean-prob', backbone: { name: 'he-features-v1' } });
    expect(schema[0].provenance.map((p: { tool: string }) => p.tool)).toEqual([
      'he-synth',
      'wsi-embed',
      'wsi-predict',
      'wsi-cat',
    ]);
  });

  it('aggregates by vote and by max on request', () => {
    const vote = rows(
      sh('wsi-predict -q --models models --aggregate vote emb.parquet | wsi-cat --jsonl --head 50', { cwd: dir })
        .stdout,
    );
    for (const o of vote) expect([0, 0.25, 0.5, 0.75, 1]).toContain(o.score);
    expect(new Set(vote.map((o) => o.score)).size).toBeGreaterThan(1);
    const max = rows(
      sh('wsi-predict -q --models models --aggregate max emb.parquet | wsi-cat --jsonl --head 50', { cwd: dir }).stdout,
    );
    for (const o of max) expect(o.score).toBeCloseTo(Math.max(...o.fold_scores), 6);
  });

  it('refuses embeddings of another backbone, and a model folder missing a fold, with one line', () => {
    const g = new GraphBuilder('pool');
    g.input('image', 'float32', ['N', 3, 16, 16]);
    g.op('GlobalAveragePool', ['image'], {}, 'f');
    g.output('f', 'float32', ['N', 3, 1, 1]);
    writeFileSync(join(dir, 'pool.onnx'), g.serialize());
    writeFileSync(join(dir, 'pool.json'), JSON.stringify({ name: 'pool', scale: 1, mean: [0, 0, 0], std: [1, 1, 1] }));
    const other = sh('wsi-embed -q --model pool.onnx patches/p000_a.arrows | wsi-predict --models models > /dev/null', {
      cwd: dir,
    });
    expect(other.status).toBe(65);
    expect(other.stderr.trim().split('\n')).toHaveLength(1);
    expect(other.stderr).toMatch(
      /^wsi-predict: <stdin>: embeddings from backbone pool \(sha256 [0-9a-f]{12}\.\.\.\) but the models in models were trained on he-features-v1/,
    );

    cpSync(join(dir, 'models'), join(dir, 'three-folds'), { recursive: true });
    rmSync(join(dir, 'three-folds/fold-2.onnx'));
    const missing = sh('wsi-predict --models three-folds emb.parquet > /dev/null', { cwd: dir });
    expect(missing.status).toBe(65);
    expect(missing.stderr.trim()).toBe(
      'wsi-predict: three-folds: fold 2 is missing (fold-2.onnx): ensemble.json lists folds 0, 1, 2, 3, the folder has 0, 1, 3',
    );
    const none = sh('wsi-predict --models patches emb.parquet > /dev/null', { cwd: dir });
    expect(none.status).toBe(65);
    expect(none.stderr.trim()).toBe(
      'wsi-predict: patches: no ensemble.json: not a wsi-train model folder (or training did not finish)',
    );
  });
});
