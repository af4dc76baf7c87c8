import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TrackingError } from './errors';
import { createTracker, resolveTrackingTarget, type Tracker } from './tracker';
import { readMetaYaml } from '@slidepipe/testing';

// The keys MLflow's FileStore writes (file_store.py: _create_experiment_with_id, create_run).
const EXPERIMENT_KEYS = [
  'artifact_location',
  'creation_time',
  'experiment_id',
  'last_update_time',
  'lifecycle_stage',
  'name',
];
const RUN_KEYS = [
  'artifact_uri',
  'deleted_time',
  'end_time',
  'entry_point_name',
  'experiment_id',
  'lifecycle_stage',
  'run_id',
  'run_name',
  'run_uuid',
  'source_name',
  'source_type',
  'source_version',
  'start_time',
  'status',
  'tags',
  'user_id',
];

let dir: string;
let clock: number;
const now = () => clock;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mlruns-'));
  clock = 1_700_000_000_000;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function tracker(root: string, experimentName?: string): Tracker {
  return createTracker({
    env: { MLFLOW_TRACKING_URI: root, ...(experimentName ? { MLFLOW_EXPERIMENT_NAME: experimentName } : {}) },
    userName: 'tester',
    sourceName: 'wsi-train',
    now,
    warn: (m) => {
      throw new Error(`unexpected warning: ${m}`);
    },
  });
}

const meta = (path: string) => readMetaYaml(readFileSync(join(path, 'meta.yaml'), 'utf8'));
const read = (...p: string[]) => readFileSync(join(...p), 'utf8');

describe('resolveTrackingTarget', () => {
  it('maps MLFLOW_TRACKING_URI to a store as MLflow does', () => {
    expect(resolveTrackingTarget(undefined, '/w')).toEqual({ kind: 'file', root: '/w/mlruns' });
    expect(resolveTrackingTarget('', '/w')).toEqual({ kind: 'file', root: '/w/mlruns' });
    expect(resolveTrackingTarget('runs/ml', '/w')).toEqual({ kind: 'file', root: '/w/runs/ml' });
    expect(resolveTrackingTarget('/abs/mlruns', '/w')).toEqual({ kind: 'file', root: '/abs/mlruns' });
    expect(resolveTrackingTarget('file:///abs/ml%20runs', '/w')).toEqual({ kind: 'file', root: '/abs/ml runs' });
    expect(resolveTrackingTarget('file:./mlruns', '/w')).toEqual({ kind: 'file', root: '/w/mlruns' });
    expect(resolveTrackingTarget('http://127.0.0.1:5000', '/w')).toEqual({
      kind: 'rest',
      uri: 'http://127.0.0.1:5000',
    });
    expect(resolveTrackingTarget('HTTPS://mlflow.example/prefix', '/w')).toEqual({
      kind: 'rest',
      uri: 'HTTPS://mlflow.example/prefix',
    });
  });

  it('refuses database and Databricks URIs, without echoing a password', () => {
    expect(() => resolveTrackingTarget('sqlite:///mlflow.db')).toThrow(/scheme "sqlite" is not supported/);
    expect(() => resolveTrackingTarget('databricks')).not.toThrow(); // a plain relative directory name
    let msg = '';
    try {
      resolveTrackingTarget('postgresql://user:s3cret@db/mlflow');
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/postgresql/);
    expect(msg).not.toContain('s3cret');
  });
});

describe('MLflow file store', () => {
  it('writes a parent run and nested fold runs in the layout MLflow reads', async () => {
    const root = join(dir, 'mlruns');
    const t = tracker(root, 'digilut-mlp');
    const params = {
      lr: 0.001,
      folds: 2,
      loss: 'focal',
      hidden: [256, 64],
      balanced: true,
      seed: null,
      unused: undefined,
    };
    const parent = await t.startRun('cv', params);
    const folds = [];
    for (let k = 0; k < 2; k++) {
      clock += 1000;
      const fold = await t.startRun(`fold-${k}`, { fold: k, ...params }, parent.runId);
      for (let epoch = 1; epoch <= 3; epoch++) {
        clock += 10;
        await fold.logMetrics(
          { loss: 1 / epoch, auc: k === 1 && epoch === 1 ? NaN : 0.5 + epoch / 10, 'f2/best_threshold': 0.25 },
          epoch,
        );
      }
      await fold.setTag('slidepipe.fold', String(k));
      folds.push(fold);
    }
    await folds[0]?.end();
    clock += 5;
    await folds[1]?.end('FAILED');
    await parent.logMetric('mean_auc', 0.8, 0);
    const model = join(dir, 'head.json');
    writeFileSync(model, '{"w":[1,2]}');
    await parent.logArtifact(model, 'models');
    await parent.end();

    // New root: experiment 0 "Default" and .trash, as MLflow creates them.
    expect(statSync(join(root, '.trash')).isDirectory()).toBe(true);
    const def = meta(join(root, '0'));
    expect(Object.keys(def).sort()).toEqual(EXPERIMENT_KEYS);
    expect(def).toMatchObject({
      experiment_id: '0',
      name: 'Default',
      lifecycle_stage: 'active',
      artifact_location: pathToFileURL(join(root, '0')).href,
    });

    // The named experiment: one more directory with a numeric id.
    const expIds = readdirSync(root).filter((d) => d !== '.trash' && d !== '0');
    expect(expIds).toHaveLength(1);
    const expId = expIds[0] as string;
    expect(expId).toMatch(/^[1-9]\d{17}$/);
    expect(parent.experimentId).toBe(expId);
    const expDir = join(root, expId);
    const exp = meta(expDir);
    expect(Object.keys(exp).sort()).toEqual(EXPERIMENT_KEYS);
    expect(exp).toEqual({
      artifact_location: pathToFileURL(expDir).href,
      creation_time: 1_700_000_000_000,
      experiment_id: expId,
      last_update_time: 1_700_000_000_000,
      lifecycle_stage: 'active',
      name: 'digilut-mlp',
    });

    const runDirs = readdirSync(expDir)
      .filter((d) => d !== 'meta.yaml')
      .sort();
    expect(runDirs).toEqual([parent.runId, ...folds.map((f) => f.runId)].sort());

    // Parent run.
    const pDir = join(expDir, parent.runId);
    const pMeta = meta(pDir);
    expect(Object.keys(pMeta).sort()).toEqual(RUN_KEYS);
    expect(pMeta).toMatchObject({
      artifact_uri: `${pathToFileURL(expDir).href}/${parent.runId}/artifacts`,
      experiment_id: expId,
      lifecycle_stage: 'active',
      run_id: parent.runId,
      run_uuid: parent.runId,
      run_name: 'cv',
      status: 3,
      source_type: 4,
      start_time: 1_700_000_000_000,
      tags: [],
      user_id: 'tester',
      deleted_time: null,
    });
    expect(pMeta['end_time']).toBe(clock);
    expect(parent.runId).toMatch(/^[0-9a-f]{32}$/);
    expect(readdirSync(pDir).sort()).toEqual(['artifacts', 'meta.yaml', 'metrics', 'params', 'tags']);
    expect(read(pDir, 'params', 'lr')).toBe('0.001');
    expect(read(pDir, 'params', 'folds')).toBe('2');
    expect(read(pDir, 'params', 'loss')).toBe('focal');
    expect(read(pDir, 'params', 'hidden')).toBe('[256,64]');
    expect(read(pDir, 'params', 'balanced')).toBe('true');
    expect(read(pDir, 'params', 'seed')).toBe('null');
    expect(existsSync(join(pDir, 'params', 'unused'))).toBe(false);
    expect(read(pDir, 'tags', 'mlflow.runName')).toBe('cv');
    expect(read(pDir, 'tags', 'mlflow.user')).toBe('tester');
    expect(read(pDir, 'tags', 'mlflow.source.name')).toBe('wsi-train');
    expect(read(pDir, 'tags', 'mlflow.source.type')).toBe('LOCAL');
    expect(existsSync(join(pDir, 'tags', 'mlflow.parentRunId'))).toBe(false);
    expect(read(pDir, 'metrics', 'mean_auc')).toBe(`${clock} 0.8 0\n`);
    expect(read(pDir, 'artifacts', 'models', 'head.json')).toBe('{"w":[1,2]}');

    // Fold runs: children of the parent, one metric line per epoch.
    for (const [k, fold] of folds.entries()) {
      const fDir = join(expDir, fold.runId);
      const fMeta = meta(fDir);
      expect(Object.keys(fMeta).sort()).toEqual(RUN_KEYS);
      expect(fMeta['run_name']).toBe(`fold-${k}`);
      expect(fMeta['status']).toBe(k === 0 ? 3 : 4);
      expect(read(fDir, 'tags', 'mlflow.parentRunId')).toBe(parent.runId);
      expect(read(fDir, 'tags', 'mlflow.runName')).toBe(`fold-${k}`);
      expect(read(fDir, 'tags', 'slidepipe.fold')).toBe(String(k));
      expect(read(fDir, 'params', 'fold')).toBe(String(k));
      const start = 1_700_000_000_000 + 1000 * (k + 1) + 30 * k;
      expect(fMeta['start_time']).toBe(start);
      expect(read(fDir, 'metrics', 'loss')).toBe(`${start + 10} 1 1\n${start + 20} 0.5 2\n${start + 30} ${1 / 3} 3\n`);
      // Python's float() reads MLflow's "nan" back.
      const auc = read(fDir, 'metrics', 'auc').trimEnd().split('\n');
      expect(auc[0]).toBe(`${start + 10} ${k === 1 ? 'nan' : '0.6'} 1`);
      for (const line of auc) expect(line).toMatch(/^\d+ (nan|-?inf|-?\d+(\.\d+)?(e[-+]\d+)?) \d+$/);
      // A key with "/" is a subfolder, as in MLflow.
      expect(read(fDir, 'metrics', 'f2', 'best_threshold').split('\n')).toHaveLength(4);
    }
  });

  it('finds an existing experiment by name instead of creating another, even with quotes in the name', async () => {
    const root = join(dir, 'mlruns');
    const name = "DigiLut: fold's #1";
    const a = await tracker(root, name).startRun('a');
    const b = await tracker(root, name).startRun('b');
    expect(b.experimentId).toBe(a.experimentId);
    expect(readdirSync(root).filter((d) => d !== '.trash')).toHaveLength(2);
    expect(meta(join(root, a.experimentId))['name']).toBe(name);
  });

  it('puts runs in experiment 0 when no experiment is named', async () => {
    const root = join(dir, 'mlruns');
    const run = await tracker(root).startRun('solo');
    expect(run.experimentId).toBe('0');
    expect(meta(join(root, '0', run.runId))['experiment_id']).toBe('0');
  });

  it('refuses keys that MLflow refuses or that would leave the run directory, writing nothing', async () => {
    const root = join(dir, 'mlruns');
    const run = await tracker(root).startRun('r');
    const runDir = join(root, '0', run.runId);
    await expect(run.logMetrics({ ok: 1, '../../escape': 2 }, 1)).rejects.toThrow(/invalid metric name/);
    await expect(run.logMetric('a:b', 1, 1)).rejects.toBeInstanceOf(TrackingError);
    await expect(run.logParams({ 'x/../y': 1 })).rejects.toThrow(/resolve to the path/);
    expect(readdirSync(join(runDir, 'metrics'))).toEqual([]);
    expect(readdirSync(join(runDir, 'params'))).toEqual([]);
    expect(existsSync(join(root, 'escape'))).toBe(false);
    await expect(run.logMetric('x', 1, 0.5)).rejects.toThrow(/step must be an integer/);
  });

  it('keeps parameters immutable, as MLflow does', async () => {
    const run = await tracker(join(dir, 'mlruns')).startRun('r', { lr: 0.1 });
    await run.logParams({ lr: 0.1 });
    await expect(run.logParams({ lr: 0.2 })).rejects.toThrow(/already logged as "0.1"/);
  });

  it('refuses calls after end() and keeps the final status', async () => {
    const root = join(dir, 'mlruns');
    const run = await tracker(root).startRun('r');
    await run.end('KILLED');
    await run.end('FINISHED');
    await expect(run.logMetric('x', 1, 1)).rejects.toMatchObject({ reason: 'TRACKING_STATE' });
    expect(meta(join(root, '0', run.runId))['status']).toBe(5);
  });

  it('copies a directory artifact with its structure', async () => {
    const root = join(dir, 'mlruns');
    const src = join(dir, 'models');
    mkdirSync(join(src, 'fold-0'), { recursive: true });
    writeFileSync(join(src, 'fold-0', 'head.onnx'), 'onnx');
    const run = await tracker(root).startRun('r');
    await run.logArtifact(src);
    expect(read(root, '0', run.runId, 'artifacts', 'models', 'fold-0', 'head.onnx')).toBe('onnx');
    await expect(run.logArtifact(join(dir, 'missing.bin'))).rejects.toThrow(/cannot read artifact/);
    await expect(run.logArtifact(join(src, 'fold-0', 'head.onnx'), '../outside')).rejects.toThrow(/inside the run/);
  });
});
