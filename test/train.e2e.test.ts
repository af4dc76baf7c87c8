// wsi-train through real pipes: synthetic cohort -> wsi-embed -> wsi-train; TensorBoard files read
// back with the tests' own reader, MLflow's file-store layout, the REST calls against a fake
// server, resuming, and each bad input as one clear line.
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openRecordSink } from '@slidepipe/io';
import { makeBatch, schemaFor, type StreamMeta } from '@slidepipe/schema';
import { sh, tmp } from './helpers';
import { fakeMlflowServer, readEventFile } from '@slidepipe/testing';
import { shAsync, writeCohort } from './train-fixtures';

let dir: string;
const FLAGS = '--epochs 12 --patience 4 --hidden 32 --batch-size 64 --lr 0.003 --seed 5';

beforeAll(async () => {
  dir = tmp('slidepipe-train-e2e-');
  await writeCohort(dir);
  const r = sh('wsi-cat patches/*.arrows | wsi-embed -q -o emb.parquet', { cwd: dir });
  if (r.status !== 0) throw new Error(r.stderr);
});

const yaml = (path: string) =>
  Object.fromEntries(
    readFileSync(path, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]),
  );

describe('wsi-train', () => {
  it('learns every fold of a synthetic cohort and logs each epoch to TensorBoard and the MLflow file store', async () => {
    const r = sh(`wsi-train emb.parquet --splits splits.arrows -o models ${FLAGS} --experiment e2e`, {
      cwd: dir,
      env: { MLFLOW_TRACKING_URI: join(dir, 'mlruns') },
    });
    expect(r.stderr).not.toMatch(/Error|^\s+at /m);
    expect(r.status).toBe(0);
    const m = JSON.parse(readFileSync(join(dir, 'models/ensemble.json'), 'utf8'));
    expect(m.backbone.name).toBe('he-features-v1');
    expect(m.folds.map((f: { fold: number }) => f.fold)).toEqual([0, 1, 2, 3]);
    for (const f of m.folds) expect(f.metrics.auc, `fold ${f.fold}`).toBeGreaterThan(0.8);
    expect(readdirSync(join(dir, 'models')).sort()).toEqual([
      'ensemble.json',
      'fold-0.onnx',
      'fold-1.onnx',
      'fold-2.onnx',
      'fold-3.onnx',
      'logs',
    ]);

    // TensorBoard: one event file per fold; scalars per epoch, the best epoch's AUC as in the manifest.
    for (const f of m.folds) {
      const tbDir = join(dir, 'models/logs', `fold-${f.fold}`);
      const files = readdirSync(tbDir);
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/^events\.out\.tfevents\.\d+\./);
      const events = readEventFile(readFileSync(join(tbDir, files[0])));
      expect(events[0].fileVersion).toBe('brain.Event:2');
      const scalars = events.filter((e) => Object.keys(e.scalars).length && e.scalars.val_auc !== undefined);
      expect(scalars.map((e) => e.step)).toEqual(Array.from({ length: f.epochs_run }, (_, i) => i + 1));
      expect(Object.keys(scalars[0].scalars).sort()).toEqual(
        [
          'train_loss',
          'val_ap',
          'val_auc',
          'val_best_f2',
          'val_best_f2_threshold',
          'val_f1',
          'val_f2',
          'val_loss',
          'val_threshold',
        ].sort(),
      );
      expect(scalars[f.best_epoch - 1].scalars.val_auc).toBeCloseTo(f.metrics.auc, 5);
      expect(scalars[f.best_epoch - 1].scalars.val_ap).toBeCloseTo(f.metrics.ap, 5);
      expect(events.some((e) => e.texts.includes('hparams'))).toBe(true);
    }

    // MLflow file store: the experiment, a parent "cv" run and one child per fold.
    const root = join(dir, 'mlruns');
    const expId = readdirSync(root).find(
      (d) => existsSync(join(root, d, 'meta.yaml')) && yaml(join(root, d, 'meta.yaml')).name === 'e2e',
    )!;
    expect(expId).toBeDefined();
    const runs = readdirSync(join(root, expId)).filter((d) => statSync(join(root, expId, d)).isDirectory());
    const runInfo = runs.map((id) => ({
      id,
      meta: yaml(join(root, expId, id, 'meta.yaml')),
      tag: (k: string) => readFileSync(join(root, expId, id, 'tags', k), 'utf8'),
    }));
    expect(runInfo.map((r) => r.meta.run_name).sort()).toEqual(['cv', 'fold-0', 'fold-1', 'fold-2', 'fold-3']);
    const cv = runInfo.find((r) => r.meta.run_name === 'cv')!;
    for (const run of runInfo) {
      expect(run.meta.status, run.meta.run_name).toBe('3');
      expect(run.meta.experiment_id.replace(/['"]/g, '')).toBe(expId);
      const params = join(root, expId, run.id, 'params');
      expect(readFileSync(join(params, 'loss'), 'utf8')).toBe('bce');
      expect(readFileSync(join(params, 'hidden'), 'utf8')).toBe('32');
      expect(readFileSync(join(params, 'backbone'), 'utf8')).toBe('he-features-v1');
      if (run !== cv) {
        expect(run.tag('mlflow.parentRunId')).toBe(cv.id);
        const lines = readFileSync(join(root, expId, run.id, 'metrics', 'val_auc'), 'utf8')
          .trim()
          .split('\n');
        lines.forEach((l, i) => expect(l).toMatch(new RegExp(`^\\d{13} [0-9.e-]+ ${i + 1}$`)));
      }
    }
    expect(readFileSync(join(root, expId, cv.id, 'metrics', 'val_auc_mean'), 'utf8')).toMatch(/^\d{13} [0-9.e-]+ 0\n$/);
    expect(existsSync(join(root, expId, cv.id, 'artifacts', 'ensemble.json'))).toBe(true);
  });

  it('keeps finished folds when run again, and gives byte-identical heads for the same seed', () => {
    const before = readdirSync(join(dir, 'models'))
      .filter((f) => f.endsWith('.onnx'))
      .map((f) => statSync(join(dir, 'models', f)).mtimeMs);
    const again = sh(`wsi-train emb.parquet --splits splits.arrows -o models ${FLAGS} --no-mlflow`, { cwd: dir });
    expect(again.status).toBe(0);
    expect(again.stderr.match(/already trained with this recipe and data: kept/g)).toHaveLength(4);
    expect(again.stderr).not.toMatch(/epoch \d+\//);
    expect(
      readdirSync(join(dir, 'models'))
        .filter((f) => f.endsWith('.onnx'))
        .map((f) => statSync(join(dir, 'models', f)).mtimeMs),
    ).toEqual(before);
    const twin = sh(`wsi-train emb.parquet --splits splits.arrows -o twin -q ${FLAGS} --no-mlflow --no-tensorboard`, {
      cwd: dir,
    });
    expect(twin.status).toBe(0);
    for (const k of [0, 1, 2, 3])
      expect(
        readFileSync(join(dir, `twin/fold-${k}.onnx`)).equals(readFileSync(join(dir, `models/fold-${k}.onnx`))),
      ).toBe(true);
    const changed = sh(`wsi-train emb.parquet --splits splits.arrows -o models -q ${FLAGS} --lr 0.01 --no-mlflow`, {
      cwd: dir,
    });
    expect(changed.status).toBe(73);
    expect(changed.stderr.trim()).toMatch(
      /^wsi-train: models\/fold-0\.onnx: holds a head trained on other data or with other parameters: give --force/,
    );
  });

  it('sends the documented REST calls to an MLflow tracking server', async () => {
    const server = await fakeMlflowServer();
    try {
      const r = await shAsync(
        `wsi-train emb.parquet --splits splits.arrows -o rest-models -q ${FLAGS} --epochs 3 --experiment e2e-rest --no-tensorboard`,
        {
          cwd: dir,
          env: { MLFLOW_TRACKING_URI: server.uri },
        },
      );
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const calls = server.calls;
      const paths = (m: string, p: string) => calls.filter((c) => c.method === m && c.path === `/api/2.0/mlflow/${p}`);
      expect(paths('GET', 'experiments/get-by-name')[0].query).toEqual({ experiment_name: 'e2e-rest' });
      expect(paths('POST', 'experiments/create').map((c) => c.body)).toEqual([{ name: 'e2e-rest' }]);
      const creates = paths('POST', 'runs/create').map(
        (c) =>
          c.body as {
            experiment_id: string;
            run_name: string;
            start_time: number;
            tags: { key: string; value: string }[];
          },
      );
      expect(creates.map((c) => c.run_name)).toEqual(['cv', 'fold-0', 'fold-1', 'fold-2', 'fold-3']);
      for (const c of creates) {
        expect(c.experiment_id).toBe('100');
        expect(Number.isInteger(c.start_time)).toBe(true);
        expect(c.tags).toContainEqual({ key: 'mlflow.runName', value: c.run_name });
        if (c.run_name !== 'cv') expect(c.tags).toContainEqual({ key: 'mlflow.parentRunId', value: 'run1' });
      }
      const batches = paths('POST', 'runs/log-batch').map(
        (c) =>
          c.body as {
            run_id: string;
            metrics: { key: string; value: number; timestamp: number; step: number }[];
            params: { key: string; value: string }[];
            tags: unknown[];
          },
      );
      for (const b of batches) expect(Object.keys(b).sort()).toEqual(['metrics', 'params', 'run_id', 'tags']);
      const params = batches.filter((b) => b.run_id === 'run2').flatMap((b) => b.params);
      expect(params).toContainEqual({ key: 'loss', value: 'bce' });
      expect(params).toContainEqual({ key: 'fold', value: '0' });
      const auc = batches
        .filter((b) => b.run_id === 'run2')
        .flatMap((b) => b.metrics)
        .filter((mm) => mm.key === 'val_auc');
      expect(auc.map((mm) => mm.step)).toEqual([1, 2, 3]);
      for (const mm of auc) {
        expect(typeof mm.value).toBe('number');
        expect(Number.isInteger(mm.timestamp)).toBe(true);
      }
      const updates = paths('POST', 'runs/update').map(
        (c) => c.body as { run_id: string; status: string; end_time: number },
      );
      expect(updates.map((u) => u.run_id).sort()).toEqual(['run1', 'run2', 'run3', 'run4', 'run5']);
      for (const u of updates) {
        expect(u.status).toBe('FINISHED');
        expect(Number.isInteger(u.end_time)).toBe(true);
      }
      expect(
        calls.some(
          (c) =>
            c.method === 'PUT' && c.path === '/api/2.0/mlflow-artifacts/artifacts/100/run1/artifacts/ensemble.json',
        ),
      ).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('refuses NaN embeddings and a split table that misses slides, each with one line', async () => {
    const meta: StreamMeta = {
      record: 'embedding',
      version: 1,
      slide: { slide_id: 'p000_a', patient_id: 'p000', width0: 1, height0: 1, mpp0: 0.25 },
      facts: { dim: 2, backbone: { name: 'x', sha256: 'f'.repeat(64), dim: 2 } },
      provenance: [],
    };
    const sink = openRecordSink(join(dir, 'nan.arrows'), { force: true });
    const b = makeBatch(schemaFor(meta), {
      slide_id: ['p000_a', 'p000_a'],
      x0: Int32Array.of(0, 256),
      y0: Int32Array.of(0, 0),
      w0: Int32Array.of(256, 256),
      h0: Int32Array.of(256, 256),
      col: Int32Array.of(0, 1),
      row: Int32Array.of(0, 0),
      label: [0, 1],
      embedding: [Float32Array.of(0, 1), Float32Array.of(NaN, 1)],
    });
    await sink.begin(b.schema, meta);
    await sink.write(b);
    await sink.close();
    const nan = sh('wsi-train nan.arrows --splits splits.arrows -o bad -q --no-mlflow', { cwd: dir });
    expect(nan.status).toBe(65);
    expect(nan.stderr.trim().split('\n')).toHaveLength(1);
    expect(nan.stderr).toMatch(/^wsi-train: nan\.arrows: slide p000_a patch x0=256 y0=0: embedding component 0 is NaN/);

    const cut = sh(
      'wsi-cat -q --head 5 splits.arrows -o few-splits.arrows && wsi-train emb.parquet --splits few-splits.arrows -o bad -q --no-mlflow',
      { cwd: dir },
    );
    expect(cut.status).toBe(65);
    expect(cut.stderr.trim().split('\n')).toHaveLength(1);
    expect(cut.stderr).toMatch(
      /^wsi-train: few-splits\.arrows: the split table misses 3 slides of the embeddings: p002_b, p003_a, p003_b$/m,
    );
    expect(existsSync(join(dir, 'bad/ensemble.json'))).toBe(false);
  });
});
