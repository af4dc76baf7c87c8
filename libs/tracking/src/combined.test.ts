import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CombinedRun, paramsToMarkdown } from './combined';
import { createTracker } from './tracker';
import { readEvents, scalarsOf } from '@slidepipe/testing';

let dir: string;
let clock: number;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'combined-'));
  clock = 1_700_000_000_000;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function eventsIn(logDir: string) {
  const files = readdirSync(logDir);
  expect(files).toHaveLength(1);
  return readEvents(readFileSync(join(logDir, files[0] as string)));
}

/** MLflow metric files of a run as `key@step -> value`. */
function mlflowScalars(runDir: string, keys: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const key of keys) {
    for (const line of readFileSync(join(runDir, 'metrics', key), 'utf8')
      .trimEnd()
      .split('\n')) {
      const [, value, step] = line.split(' ');
      m.set(`${key}@${step}`, value === 'nan' ? NaN : Number(value));
    }
  }
  return m;
}

describe('CombinedRun', () => {
  it('writes the same scalars and steps to TensorBoard and MLflow for each fold', async () => {
    const root = join(dir, 'mlruns');
    const logs = join(dir, 'tb');
    const tracker = createTracker({
      env: { MLFLOW_TRACKING_URI: root },
      now: () => clock,
      userName: 'u',
      sourceName: 's',
    });
    const params = { lr: 0.001, loss: 'focal|gamma=2' };
    const cv = await CombinedRun.start({ name: 'cv', tracker, params, tensorboard: { now: () => clock } });
    expect(cv.tensorboard).toBeUndefined();
    const keys = ['loss', 'auc', 'ap', 'f1', 'f2', 'best_f2_threshold'];
    const folds: CombinedRun[] = [];
    for (let k = 0; k < 2; k++) {
      const fold = await cv.startChild(`fold-${k}`, {
        tensorboardDir: join(logs, `fold-${k}`),
        params: { fold: k, ...params },
      });
      for (let epoch = 0; epoch < 3; epoch++) {
        clock += 1000;
        const v = (i: number) => Math.fround((k + 1) * 0.1 + epoch * 0.01 + i * 0.001);
        await fold.logMetrics(Object.fromEntries(keys.map((key, i) => [key, v(i)])), epoch);
      }
      await fold.end();
      folds.push(fold);
    }
    await cv.logMetric('mean_auc', 0.5, 0);
    await cv.end();

    const expDir = join(root, '0');
    for (const [k, fold] of folds.entries()) {
      const events = eventsIn(join(logs, `fold-${k}`));
      expect(events[0]?.fileVersion).toBe('brain.Event:2');
      // hparams text first, then one event per epoch.
      expect(events[1]?.values[0]).toMatchObject({ tag: 'hparams', pluginName: 'text' });
      expect(events[1]?.values[0]?.tensor?.strings[0]).toContain('| loss | focal\\|gamma=2 |');
      const tb = scalarsOf(events);
      const ml = mlflowScalars(join(expDir, fold.runId as string), keys);
      expect(tb.size).toBe(keys.length * 3);
      expect([...tb.keys()].sort()).toEqual([...ml.keys()].sort());
      for (const [key, value] of tb) expect(ml.get(key)).toBe(value);
      expect(readFileSync(join(expDir, fold.runId as string, 'tags', 'mlflow.parentRunId'), 'utf8')).toBe(cv.runId);
    }
  });

  it('works with TensorBoard alone, and refuses a run with neither side', async () => {
    const run = await CombinedRun.start({
      name: 'tb-only',
      tensorboardDir: join(dir, 'tb'),
      tensorboard: { now: () => 0 },
    });
    expect(run.runId).toBeUndefined();
    await run.logMetrics({ loss: 0.25 }, 4);
    await run.setTag('ignored', 'x');
    await run.end();
    expect(scalarsOf(eventsIn(join(dir, 'tb')))).toEqual(new Map([['loss@4', 0.25]]));
    await expect(run.logMetric('loss', 1, 5)).rejects.toMatchObject({ reason: 'TRACKING_STATE' });
    await expect(CombinedRun.start({ name: 'none' })).rejects.toMatchObject({ reason: 'TRACKING_CONFIG' });
  });

  it('checks MLflow key rules before TensorBoard writes, so both sides stay equal', async () => {
    const tracker = createTracker({ env: { MLFLOW_TRACKING_URI: join(dir, 'mlruns') } });
    const run = await CombinedRun.start({ name: 'r', tracker, tensorboardDir: join(dir, 'tb') });
    await expect(run.logMetrics({ 'bad:key': 1 }, 1)).rejects.toMatchObject({ reason: 'TRACKING_INVALID' });
    await run.end();
    expect(eventsIn(join(dir, 'tb'))).toHaveLength(1);
  });
});

describe('paramsToMarkdown', () => {
  it('is a two-column table with escaped pipes and newlines', () => {
    expect(paramsToMarkdown({ a: 1, b: 'x|y\nz', c: undefined })).toBe(
      '| parameter | value |\n|---|---|\n| a | 1 |\n| b | x\\|y z |',
    );
  });
});
