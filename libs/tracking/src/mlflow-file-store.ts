import { randomInt, randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { TrackingError } from './errors';
import { checkKey, checkMetric, checkValueLength } from './keys';
import { parseFlatYaml, toYaml, type YamlScalar } from './yaml';

/** MLflow's RunStatus enum; the file store keeps the number in meta.yaml, REST sends the name. */
export const RUN_STATUS = { RUNNING: 1, SCHEDULED: 2, FINISHED: 3, FAILED: 4, KILLED: 5 } as const;
export type RunStatus = keyof typeof RUN_STATUS;

/** SourceType.LOCAL: what MLflow's file store writes for every run. */
const SOURCE_TYPE_LOCAL = 4;
export const DEFAULT_EXPERIMENT_ID = '0';
export const DEFAULT_EXPERIMENT_NAME = 'Default';

export interface MetricPoint {
  key: string;
  value: number;
  /** Milliseconds since the epoch. */
  timestamp: number;
  step: number;
}
export interface KeyValue {
  key: string;
  value: string;
}

/** What createRun wrote; updateRun rewrites meta.yaml from it. */
export interface FileRunInfo {
  runId: string;
  experimentId: string;
  runName: string;
  userId: string;
  startTime: number;
  artifactUri: string;
  runDir: string;
}

/** A metric value as Python's str(float) would write it, so `float()` reads it back. */
function formatMetricValue(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return String(v);
}

function io<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (cause) {
    if (cause instanceof TrackingError) throw cause;
    throw new TrackingError('TRACKING_IO', `mlflow: ${what}: ${(cause as Error).message}`, { cause });
  }
}

/** Writes meta.yaml through a temporary file, as MLflow does, so a reader never sees half of it. */
function writeYamlAtomic(dir: string, doc: Record<string, YamlScalar>): void {
  const tmp = join(dir, `.meta.yaml.${process.pid}.${randomUUID().slice(0, 8)}`);
  writeFileSync(tmp, toYaml(doc));
  renameSync(tmp, join(dir, 'meta.yaml'));
}

/**
 * MLflow's file-store layout (mlflow/store/tracking/file_store.py):
 *
 *   <root>/<experiment_id>/meta.yaml                 experiment
 *   <root>/<experiment_id>/<run_id>/meta.yaml        run info (status as a number)
 *   <root>/<experiment_id>/<run_id>/params/<key>     the value, no newline
 *   <root>/<experiment_id>/<run_id>/metrics/<key>    `<timestamp ms> <value> <step>` lines
 *   <root>/<experiment_id>/<run_id>/tags/<key>       the value, no newline
 *   <root>/<experiment_id>/<run_id>/artifacts/
 *
 * Keys may hold `/`, which become subfolders, exactly as in MLflow.
 */
export class MlflowFileStore {
  readonly root: string;
  private readonly now: () => number;

  constructor(root: string, opts: { now?: () => number } = {}) {
    this.root = resolve(root);
    this.now = opts.now ?? Date.now;
  }

  /** Creates the root with experiment 0 "Default" and `.trash`, as MLflow does when the root is new. */
  ensureRoot(): void {
    io(`cannot create the file store at ${this.root}`, () => {
      if (!existsSync(this.root)) {
        mkdirSync(this.root, { recursive: true });
        this.writeExperiment(DEFAULT_EXPERIMENT_ID, DEFAULT_EXPERIMENT_NAME);
      }
      mkdirSync(join(this.root, '.trash'), { recursive: true });
    });
  }

  experimentDir(experimentId: string): string {
    return join(this.root, experimentId);
  }

  /** The experiment's meta.yaml fields, or undefined when there is no such active experiment. */
  readExperiment(experimentId: string): Record<string, string | number | null> | undefined {
    const file = join(this.experimentDir(experimentId), 'meta.yaml');
    if (!existsSync(file)) return undefined;
    return io(`cannot read ${file}`, () => parseFlatYaml(readFileSync(file, 'utf8')));
  }

  /** The id of the active experiment with this name, if any. */
  findExperimentByName(name: string): string | undefined {
    this.ensureRoot();
    const entries = io(`cannot list ${this.root}`, () => readdirSync(this.root, { withFileTypes: true }));
    for (const e of entries) {
      if (!e.isDirectory() || e.name === '.trash' || e.name === 'models') continue;
      let meta: Record<string, string | number | null> | undefined;
      try {
        meta = this.readExperiment(e.name);
      } catch {
        continue; // MLflow skips malformed experiments too.
      }
      if (meta && meta['name'] === name && (meta['lifecycle_stage'] ?? 'active') === 'active') return e.name;
    }
    return undefined;
  }

  createExperiment(name: string): string {
    if (name.length === 0 || name.length > 500) {
      throw new TrackingError(
        'TRACKING_INVALID',
        `mlflow: experiment name must be 1 to 500 characters, got ${name.length}`,
      );
    }
    this.ensureRoot();
    // MLflow's ids are random 18-digit integers: no counter to race on between processes.
    for (;;) {
      let id = String(randomInt(1, 10));
      for (let i = 0; i < 17; i++) id += String(randomInt(0, 10));
      if (existsSync(this.experimentDir(id))) continue;
      this.writeExperiment(id, name);
      return id;
    }
  }

  getOrCreateExperiment(name: string): string {
    return this.findExperimentByName(name) ?? this.createExperiment(name);
  }

  private writeExperiment(id: string, name: string): void {
    const dir = this.experimentDir(id);
    const t = this.now();
    io(`cannot create experiment ${id} in ${this.root}`, () => {
      mkdirSync(dir, { recursive: true });
      writeYamlAtomic(dir, {
        artifact_location: pathToFileURL(dir).href,
        creation_time: t,
        experiment_id: id,
        last_update_time: t,
        lifecycle_stage: 'active',
        name,
      });
    });
  }

  createRun(args: {
    experimentId: string;
    runName: string;
    userId: string;
    startTime?: number;
    tags?: readonly KeyValue[];
  }): FileRunInfo {
    this.ensureRoot();
    const exp = this.readExperiment(args.experimentId);
    if (!exp) {
      throw new TrackingError('TRACKING_CONFIG', `mlflow: no experiment ${args.experimentId} in ${this.root}`);
    }
    if ((exp['lifecycle_stage'] ?? 'active') !== 'active') {
      throw new TrackingError('TRACKING_CONFIG', `mlflow: experiment ${args.experimentId} is deleted`);
    }
    const runId = randomUUID().replaceAll('-', '');
    const location = String(exp['artifact_location'] ?? pathToFileURL(this.experimentDir(args.experimentId)).href);
    const info: FileRunInfo = {
      runId,
      experimentId: args.experimentId,
      runName: args.runName,
      userId: args.userId,
      startTime: args.startTime ?? this.now(),
      artifactUri: `${location.replace(/\/+$/, '')}/${runId}/artifacts`,
      runDir: join(this.experimentDir(args.experimentId), runId),
    };
    io(`cannot create run ${runId} in ${this.root}`, () => {
      mkdirSync(info.runDir, { recursive: true });
      for (const sub of ['metrics', 'params', 'artifacts', 'tags'])
        mkdirSync(join(info.runDir, sub), { recursive: true });
      this.writeRunMeta(info, 'RUNNING', null);
    });
    // MLflow always records the run name as a tag too.
    const tags = [
      { key: 'mlflow.runName', value: args.runName },
      ...(args.tags ?? []).filter((t) => t.key !== 'mlflow.runName'),
    ];
    this.logBatch(info, { tags });
    return info;
  }

  logBatch(
    run: FileRunInfo,
    batch: { metrics?: readonly MetricPoint[]; params?: readonly KeyValue[]; tags?: readonly KeyValue[] },
  ): void {
    // Validate everything first, so a bad key writes nothing.
    for (const m of batch.metrics ?? []) checkMetric(m.key, m.value, m.step);
    const seen = new Map<string, string>();
    for (const p of batch.params ?? []) {
      checkKey('param', p.key);
      checkValueLength('param', p.key, p.value);
      if (seen.has(p.key) && seen.get(p.key) !== p.value) {
        throw new TrackingError(
          'TRACKING_INVALID',
          `mlflow: param ${p.key} appears twice in one batch with different values`,
        );
      }
      seen.set(p.key, p.value);
      this.checkParamUnchanged(run, p);
    }
    for (const t of batch.tags ?? []) {
      checkKey('tag', t.key);
      checkValueLength('tag', t.key, t.value);
    }
    io(`cannot write to run ${run.runId} (${run.runDir})`, () => {
      for (const p of batch.params ?? []) this.writeParam(run, p);
      if (batch.metrics?.length) {
        // One append per key keeps the lines of one batch together.
        const byKey = new Map<string, string>();
        for (const m of batch.metrics) {
          const line = `${Math.trunc(m.timestamp)} ${formatMetricValue(m.value)} ${m.step}\n`;
          byKey.set(m.key, (byKey.get(m.key) ?? '') + line);
        }
        for (const [key, lines] of byKey) {
          const file = join(run.runDir, 'metrics', key);
          mkdirSync(join(file, '..'), { recursive: true });
          appendFileSync(file, lines);
        }
      }
      for (const t of batch.tags ?? []) {
        const file = join(run.runDir, 'tags', t.key);
        mkdirSync(join(file, '..'), { recursive: true });
        writeFileSync(file, t.value);
      }
    });
  }

  // Parameters are immutable in MLflow: logging the same value again is fine, a new one is not.
  private checkParamUnchanged(run: FileRunInfo, p: KeyValue): void {
    const file = join(run.runDir, 'params', p.key);
    if (!existsSync(file)) return;
    const old = io(`cannot read ${file}`, () => readFileSync(file, 'utf8'));
    if (old !== p.value) {
      throw new TrackingError(
        'TRACKING_INVALID',
        `mlflow: param ${p.key} of run ${run.runId} was already logged as ${JSON.stringify(old)}; parameters cannot change (got ${JSON.stringify(p.value)})`,
      );
    }
  }

  private writeParam(run: FileRunInfo, p: KeyValue): void {
    const file = join(run.runDir, 'params', p.key);
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, p.value);
  }

  updateRun(run: FileRunInfo, status: RunStatus, endTime: number | null): void {
    io(`cannot update run ${run.runId}`, () => this.writeRunMeta(run, status, endTime));
  }

  /** Local directory of the run's artifacts, or undefined when the experiment stores them elsewhere (s3://...). */
  artifactDir(run: FileRunInfo): string | undefined {
    return run.artifactUri.startsWith('file:') ? fileURLToPath(run.artifactUri) : undefined;
  }

  private writeRunMeta(run: FileRunInfo, status: RunStatus, endTime: number | null): void {
    writeYamlAtomic(run.runDir, {
      artifact_uri: run.artifactUri,
      deleted_time: null,
      end_time: endTime,
      entry_point_name: '',
      experiment_id: run.experimentId,
      lifecycle_stage: 'active',
      run_id: run.runId,
      run_name: run.runName,
      run_uuid: run.runId,
      source_name: '',
      source_type: SOURCE_TYPE_LOCAL,
      source_version: '',
      start_time: run.startTime,
      status: RUN_STATUS[status],
      tags: [],
      user_id: run.userId,
    });
  }
}
