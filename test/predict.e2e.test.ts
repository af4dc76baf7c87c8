// wsi-predict through real pipes: patches -> wsi-embed -> wsi-predict per slide, the aggregates,
// out-of-fold scores, and the refusals (another backbone, a model folder missing a fold, slides
// the split table gives no out-of-fold head).
import { cpSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { rocAuc } from '@slidepipe/metrics';
import { openRecordSink } from '@slidepipe/io';
import { GraphBuilder } from '@slidepipe/models';
import { makeBatch, schemaFor, type StreamMeta } from '@slidepipe/schema';
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

interface SplitRow {
  slide_id: string;
  patient_id: string;
  set: string;
  fold: number;
  has_lesion: boolean;
  n_boxes: number;
}

/** Writes a split table (a changed copy of the cohort's), as wsi-split would. */
async function writeSplits(path: string, rs: SplitRow[]): Promise<void> {
  const meta: StreamMeta = { record: 'split', version: 1, slide: null, facts: { folds: 4 }, provenance: [] };
  const schema = schemaFor(meta);
  const sink = openRecordSink(path, { force: true });
  await sink.begin(schema, meta);
  await sink.write(
    makeBatch(schema, {
      slide_id: rs.map((r) => r.slide_id),
      patient_id: rs.map((r) => r.patient_id),
      set: rs.map((r) => r.set),
      fold: Int32Array.from(rs, (r) => r.fold),
      has_lesion: rs.map((r) => r.has_lesion),
      n_boxes: Int32Array.from(rs, (r) => r.n_boxes),
    }),
  );
  await sink.close();
}

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

  it('--out-of-fold scores each training slide with the head validated on its fold', () => {
    const splits = rows(sh('wsi-cat --jsonl splits.arrows', { cwd: dir }).stdout) as unknown as SplitRow[];
    const foldOf = new Map(splits.map((r) => [r.slide_id, r.fold]));
    const r = sh(
      'wsi-predict -q --models models --out-of-fold --splits splits.arrows emb.parquet -o oof.parquet && wsi-cat --jsonl oof.parquet && wsi-cat --schema oof.parquet > oof-schema.json',
      { cwd: dir },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const out = rows(r.stdout);
    expect(out).toHaveLength(320);
    const schema = JSON.parse(sh('cat oof-schema.json', { cwd: dir }).stdout.toString());
    const meta = Array.isArray(schema) ? schema[0] : schema;
    expect(meta.record).toBe('patch-score');
    expect(meta.facts.aggregate).toBe('out-of-fold');
    const foldIds: number[] = meta.facts.fold_ids;
    expect([...foldIds].sort()).toEqual([0, 1, 2, 3]);
    const entry = meta.provenance.find((p: { tool: string }) => p.tool === 'wsi-predict');
    expect(entry.params).toMatchObject({ aggregate: 'out-of-fold', splits: 'splits.arrows' });
    // The same heads' probabilities as the ensemble's run, the score the one of the slide's fold.
    const ens = rows(sh('wsi-predict -q --models models emb.parquet | wsi-cat --jsonl', { cwd: dir }).stdout);
    expect(ens).toHaveLength(out.length);
    let differs = 0;
    out.forEach((o, i) => {
      expect(o.fold_scores).toEqual(ens[i].fold_scores);
      const k = foldIds.indexOf(foldOf.get(o.slide_id)!);
      expect(k).toBeGreaterThanOrEqual(0);
      // Both float32; wsi-cat --jsonl prints a list's values at float64 precision.
      expect(Math.fround(o.score)).toBe(Math.fround(o.fold_scores[k]));
      if (Math.abs(o.score - ens[i].score) > 1e-6) differs++;
    });
    expect(differs).toBeGreaterThan(out.length / 2);
    // One slide at a time: its fold's head and threshold are recorded.
    const one = sh(
      'wsi-embed -q patches/p001_a.arrows | wsi-predict -q --models models --out-of-fold --splits splits.arrows | wsi-cat --schema',
      { cwd: dir },
    );
    expect(one.status, one.stderr).toBe(0);
    const facts = JSON.parse(one.stdout.toString()).facts;
    expect(facts).toMatchObject({ aggregate: 'out-of-fold', oof_fold: foldOf.get('p001_a') });
    expect(facts.threshold).toBe(facts.fold_thresholds[foldIds.indexOf(foldOf.get('p001_a')!)]);
  });

  it('--out-of-fold refuses test-set slides, slides missing from the table and folds without a head, with one line', async () => {
    const splits = rows(sh('wsi-cat --jsonl splits.arrows', { cwd: dir }).stdout) as unknown as SplitRow[];
    await writeSplits(
      join(dir, 'with-test.arrows'),
      splits.map((r) => (r.patient_id === 'p000' ? { ...r, set: 'test', fold: -1 } : r)),
    );
    await writeSplits(
      join(dir, 'missing.arrows'),
      splits.filter((r) => r.slide_id !== 'p002_b'),
    );
    await writeSplits(
      join(dir, 'five-folds.arrows'),
      splits.map((r) => (r.patient_id === 'p003' ? { ...r, fold: 4 } : r)),
    );
    const oof = (table: string, input: string) =>
      sh(`wsi-predict --models models --out-of-fold --splits ${table} ${input} -o refused.parquet`, { cwd: dir });
    const test = oof('with-test.arrows', 'emb.parquet');
    expect(test.status).toBe(65);
    expect(test.stderr.trim().split('\n')).toHaveLength(1);
    expect(test.stderr.trim()).toBe(
      'wsi-predict: emb.parquet: slide p000_a is in set "test" of with-test.arrows: out-of-fold scores are for training slides only (score it without --out-of-fold)',
    );
    expect(existsSync(join(dir, 'refused.parquet'))).toBe(false);
    const missing = oof('missing.arrows', 'emb.parquet');
    expect(missing.status).toBe(65);
    expect(missing.stderr.trim()).toBe(
      'wsi-predict: emb.parquet: slide p002_b is not in the split table missing.arrows: no out-of-fold head for it',
    );
    const other = oof('five-folds.arrows', 'emb.parquet');
    expect(other.status).toBe(65);
    expect(other.stderr.trim()).toMatch(
      /^wsi-predict: emb\.parquet: slide p003_a is in fold 4 of five-folds\.arrows but the models in models have heads for folds [0-3], [0-3], [0-3], [0-3]: trained on another split\?$/,
    );
    expect(existsSync(join(dir, 'refused.parquet'))).toBe(false);
  });

  it('--out-of-fold without --splits, --splits alone and --aggregate with --out-of-fold are usage errors', () => {
    const run = (args: string) => sh(`wsi-predict --models models ${args} emb.parquet > /dev/null`, { cwd: dir });
    const noSplits = run('--out-of-fold');
    expect(noSplits.status).toBe(64);
    expect(noSplits.stderr.trim()).toBe(
      'wsi-predict: --out-of-fold: needs --splits (the split table the models were trained on)',
    );
    const alone = run('--splits splits.arrows');
    expect(alone.status).toBe(64);
    expect(alone.stderr.trim()).toBe('wsi-predict: --splits: is read only with --out-of-fold');
    const agg = run('--out-of-fold --splits splits.arrows --aggregate max');
    expect(agg.status).toBe(64);
    expect(agg.stderr).toMatch(/^wsi-predict: --aggregate: out-of-fold scores come from one head per slide/);
  });
});
