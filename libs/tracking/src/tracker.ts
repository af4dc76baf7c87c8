import { cpSync, mkdirSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { basename, join, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TrackingError } from './errors';
import { checkKey, checkMetric, checkStep, checkValueLength, stringifyParams, type Params } from './keys';
import {
  DEFAULT_EXPERIMENT_ID,
  MlflowFileStore,
  type FileRunInfo,
  type KeyValue,
  type MetricPoint,
  type RunStatus,
} from './mlflow-file-store';
import { MlflowRestClient, redact, type RestRunInfo } from './mlflow-rest';

export type EndStatus = Extract<RunStatus, 'FINISHED' | 'FAILED' | 'KILLED'>;

/** One MLflow run. Calls on a run are applied in the order they are made. */
export interface TrackedRun {
  readonly runId: string;
  readonly experimentId: string;
  readonly name: string;
  logMetric(key: string, value: number, step: number): Promise<void>;
  /** Several metrics at one step, in one write or one request. */
  logMetrics(values: Readonly<Record<string, number>>, step: number): Promise<void>;
  logParams(params: Params): Promise<void>;
  setTag(key: string, value: string): Promise<void>;
  /**
   * A file or directory. File store: copied into the run's artifacts/ (under artifactPath).
   * REST: uploaded when the server proxies artifacts (mlflow-artifacts: URIs); otherwise a
   * warning is printed and the local path is recorded in a `slidepipe.localArtifact/...` tag.
   */
  logArtifact(localPath: string, artifactPath?: string): Promise<void>;
  /** Ends the run (FINISHED by default); later calls throw. Ending twice is harmless. */
  end(status?: EndStatus): Promise<void>;
}

/** MLflow over the file store or the REST API, chosen by resolveTrackingTarget. */
export interface Tracker {
  readonly kind: 'file' | 'rest';
  /** Where runs go: the file-store root or the server URL (without credentials). */
  readonly location: string;
  /** The experiment runs are created in (found or created on first use). */
  experimentId(): Promise<string>;
  /** Creates a run, logs params, and (for a fold) tags it as a child of parentRunId. */
  startRun(name: string, params?: Params, parentRunId?: string): Promise<TrackedRun>;
}

export type TrackingTarget = { kind: 'file'; root: string } | { kind: 'rest'; uri: string };

/**
 * MLFLOW_TRACKING_URI as MLflow reads it: http(s) means a tracking server; a path or file: URI
 * means the file store there; unset means ./mlruns. Database and Databricks URIs need Python.
 */
export function resolveTrackingTarget(uri: string | undefined, cwd: string = process.cwd()): TrackingTarget {
  const u = uri?.trim();
  if (!u) return { kind: 'file', root: resolve(cwd, 'mlruns') };
  if (/^https?:\/\//i.test(u)) return { kind: 'rest', uri: u };
  if (/^file:/i.test(u)) {
    // file:///abs/path, or MLflow's relative form file:mlruns / file:./mlruns.
    if (/^file:\/\//i.test(u)) return { kind: 'file', root: fileURLToPath(u) };
    return { kind: 'file', root: resolve(cwd, decodeURIComponent(u.slice('file:'.length))) };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(u);
  if (scheme) {
    throw new TrackingError(
      'TRACKING_CONFIG',
      `tracking: MLFLOW_TRACKING_URI scheme ${JSON.stringify(scheme[1])} is not supported: expected http(s)://host:port, a file: URI or a directory path, got ${JSON.stringify(redact(u))}`,
    );
  }
  return { kind: 'file', root: resolve(cwd, u) };
}

export interface TrackerOptions {
  /** Environment to read MLFLOW_* from; defaults to process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Base for a relative MLFLOW_TRACKING_URI and the default ./mlruns. */
  cwd?: string;
  /** Experiment name; defaults to MLFLOW_EXPERIMENT_NAME, then MLFLOW_EXPERIMENT_ID, then "Default" (id 0). */
  experimentName?: string;
  /** mlflow.user tag and user_id; defaults to the login name. */
  userName?: string;
  /** mlflow.source.name tag; defaults to the running script. */
  sourceName?: string;
  /** Clock in ms since the epoch, for run times and metric timestamps. */
  now?: () => number;
  /** Where warnings go; defaults to stderr (stdout is for data). */
  warn?: (message: string) => void;
  /** REST only: per-request timeout, retries on 429/502/503/504 and network errors. */
  timeoutMs?: number;
  retries?: number;
  retryBaseDelayMs?: number;
}

function defaultUser(env: Readonly<Record<string, string | undefined>>): string {
  try {
    return userInfo().username;
  } catch {
    return env['USER'] ?? env['LOGNAME'] ?? 'unknown';
  }
}

function checkArtifactPath(artifactPath: string | undefined): void {
  if (artifactPath === undefined || artifactPath === '') return;
  const norm = posix.normalize(artifactPath);
  if (norm.startsWith('/') || norm === '..' || norm.startsWith('../')) {
    throw new TrackingError(
      'TRACKING_INVALID',
      `mlflow: artifact path must stay inside the run's artifacts, got ${JSON.stringify(artifactPath)}`,
    );
  }
}

function statOrThrow(localPath: string) {
  try {
    return statSync(localPath);
  } catch (cause) {
    throw new TrackingError('TRACKING_IO', `mlflow: cannot read artifact ${localPath}: ${(cause as Error).message}`, {
      cause,
    });
  }
}

/** Tags MLflow's own client sets on every run it creates. */
function standardTags(name: string, user: string, source: string, parentRunId?: string): KeyValue[] {
  const tags: KeyValue[] = [
    { key: 'mlflow.runName', value: name },
    { key: 'mlflow.user', value: user },
    { key: 'mlflow.source.name', value: source },
    { key: 'mlflow.source.type', value: 'LOCAL' },
  ];
  if (parentRunId) tags.push({ key: 'mlflow.parentRunId', value: parentRunId });
  return tags;
}

/**
 * Runs calls one after another, so metrics, tags and the final status keep their order.
 * Every method is async: a refused key is a rejected promise, never a synchronous throw.
 */
abstract class BaseRun implements TrackedRun {
  private queue: Promise<unknown> = Promise.resolve();
  private ended = false;
  abstract readonly runId: string;
  abstract readonly experimentId: string;
  constructor(
    readonly name: string,
    protected readonly now: () => number,
  ) {}

  protected enqueue(what: string, fn: () => Promise<void> | void): Promise<void> {
    if (this.ended) {
      return Promise.reject(
        new TrackingError('TRACKING_STATE', `mlflow: ${what} on run ${this.name} (${this.runId}) after end()`),
      );
    }
    const p = this.queue.then(fn);
    this.queue = p.catch(() => undefined);
    return p;
  }

  async logMetric(key: string, value: number, step: number): Promise<void> {
    return this.logMetrics({ [key]: value }, step);
  }

  async logMetrics(values: Readonly<Record<string, number>>, step: number): Promise<void> {
    checkStep(step);
    const timestamp = this.now();
    const metrics: MetricPoint[] = Object.entries(values).map(([key, value]) => {
      checkMetric(key, value, step);
      return { key, value, timestamp, step };
    });
    if (metrics.length === 0) return;
    return this.enqueue('logMetrics', () => this.write({ metrics }));
  }

  async logParams(params: Params): Promise<void> {
    const list = stringifyParams(params).map(([key, value]) => ({ key, value }));
    if (list.length === 0) return;
    return this.enqueue('logParams', () => this.write({ params: list }));
  }

  async setTag(key: string, value: string): Promise<void> {
    checkKey('tag', key);
    checkValueLength('tag', key, value);
    return this.enqueue('setTag', () => this.write({ tags: [{ key, value }] }));
  }

  async logArtifact(localPath: string, artifactPath?: string): Promise<void> {
    checkArtifactPath(artifactPath);
    return this.enqueue('logArtifact', () => this.artifact(resolve(localPath), artifactPath));
  }

  end(status: EndStatus = 'FINISHED'): Promise<void> {
    if (this.ended) return this.queue.then(() => undefined);
    const p = this.enqueue('end', () => this.finish(status, this.now()));
    this.ended = true;
    return p;
  }

  protected abstract write(batch: {
    metrics?: MetricPoint[];
    params?: KeyValue[];
    tags?: KeyValue[];
  }): Promise<void> | void;
  protected abstract artifact(localPath: string, artifactPath: string | undefined): Promise<void> | void;
  protected abstract finish(status: EndStatus, endTime: number): Promise<void> | void;
}

class FileRun extends BaseRun {
  readonly runId: string;
  readonly experimentId: string;
  constructor(
    private readonly store: MlflowFileStore,
    private readonly info: FileRunInfo,
    now: () => number,
    private readonly warn: (m: string) => void,
  ) {
    super(info.runName, now);
    this.runId = info.runId;
    this.experimentId = info.experimentId;
  }
  protected write(batch: { metrics?: MetricPoint[]; params?: KeyValue[]; tags?: KeyValue[] }): void {
    this.store.logBatch(this.info, batch);
  }
  protected artifact(localPath: string, artifactPath: string | undefined): void {
    const st = statOrThrow(localPath);
    const dir = this.store.artifactDir(this.info);
    if (!dir) {
      this.warn(
        `run ${this.name}: artifact ${localPath} not copied: the experiment stores artifacts at ${this.info.artifactUri}, which this file store cannot write`,
      );
      return;
    }
    const destDir = artifactPath ? join(dir, artifactPath) : dir;
    try {
      mkdirSync(destDir, { recursive: true });
      cpSync(localPath, join(destDir, basename(localPath)), { recursive: st.isDirectory() });
    } catch (cause) {
      throw new TrackingError(
        'TRACKING_IO',
        `mlflow: cannot copy artifact ${localPath} into ${destDir}: ${(cause as Error).message}`,
        { cause },
      );
    }
  }
  protected finish(status: EndStatus, endTime: number): void {
    this.store.updateRun(this.info, status, endTime);
  }
}

class RestRun extends BaseRun {
  readonly runId: string;
  readonly experimentId: string;
  constructor(
    private readonly client: MlflowRestClient,
    private readonly info: RestRunInfo,
    name: string,
    now: () => number,
    private readonly warn: (m: string) => void,
  ) {
    super(name, now);
    this.runId = info.runId;
    this.experimentId = info.experimentId;
  }
  protected write(batch: { metrics?: MetricPoint[]; params?: KeyValue[]; tags?: KeyValue[] }): Promise<void> {
    return this.client.logBatch(this.runId, batch);
  }
  protected async artifact(localPath: string, artifactPath: string | undefined): Promise<void> {
    const st = statOrThrow(localPath);
    const files: { file: string; dir: string | undefined }[] = [];
    if (st.isDirectory()) {
      // A directory keeps its own name under artifactPath, as in the file store.
      const walk = async (dir: string, rel: string): Promise<void> => {
        for (const e of await readdir(dir, { withFileTypes: true })) {
          const r = posix.join(rel, e.name);
          if (e.isDirectory()) await walk(join(dir, e.name), r);
          else files.push({ file: join(dir, e.name), dir: posix.dirname(r) });
        }
      };
      await walk(localPath, artifactPath ? posix.join(artifactPath, basename(localPath)) : basename(localPath));
    } else {
      files.push({ file: localPath, dir: artifactPath || undefined });
    }
    for (const f of files) {
      if (!(await this.client.uploadArtifact(this.info.artifactUri, f.file, f.dir))) {
        // The server does not proxy artifacts, and writing to its store (s3://, a server path)
        // would need that store's own client: record where the file is instead.
        const rel = [artifactPath, basename(localPath)].filter(Boolean).join('/');
        const key = `slidepipe.localArtifact/${rel}`
          .replace(/[^/\w.\- ]/g, '_')
          .replace(/\/+/g, '/')
          .slice(0, 250);
        this.warn(
          `run ${this.name}: artifact ${localPath} not uploaded (artifact URI ${this.info.artifactUri ?? 'unknown'} is not served by ${this.client.baseUrl}); its path is recorded in tag ${key}`,
        );
        await this.client.logBatch(this.runId, { tags: [{ key, value: `${hostname()}:${localPath}` }] });
        return;
      }
    }
  }
  protected finish(status: EndStatus, endTime: number): Promise<void> {
    return this.client.updateRun(this.runId, status, endTime);
  }
}

abstract class BaseTracker implements Tracker {
  abstract readonly kind: 'file' | 'rest';
  abstract readonly location: string;
  private experiment: Promise<string> | undefined;
  protected readonly now: () => number;
  protected readonly warn: (m: string) => void;
  protected readonly user: string;
  protected readonly source: string;
  constructor(protected readonly opts: TrackerOptions & { env: Readonly<Record<string, string | undefined>> }) {
    this.now = opts.now ?? Date.now;
    this.warn = opts.warn ?? ((m) => process.stderr.write(`tracking: ${m}\n`));
    this.user = opts.userName ?? defaultUser(opts.env);
    this.source = opts.sourceName ?? process.argv[1] ?? 'node';
  }

  experimentId(): Promise<string> {
    if (!this.experiment) {
      const name = this.opts.experimentName ?? this.opts.env['MLFLOW_EXPERIMENT_NAME'];
      const id = this.opts.env['MLFLOW_EXPERIMENT_ID'];
      this.experiment = name ? this.experimentByName(name) : this.experimentById(id || DEFAULT_EXPERIMENT_ID);
      // A failed look-up is tried again by the next run rather than cached.
      this.experiment.catch(() => (this.experiment = undefined));
    }
    return this.experiment;
  }

  async startRun(name: string, params?: Params, parentRunId?: string): Promise<TrackedRun> {
    const list = stringifyParams(params).map(([key, value]) => ({ key, value }));
    const experimentId = await this.experimentId();
    const run = await this.createRun(experimentId, name, standardTags(name, this.user, this.source, parentRunId));
    if (list.length) await run.logParams(Object.fromEntries(list.map((p) => [p.key, p.value])));
    return run;
  }

  protected abstract experimentByName(name: string): Promise<string>;
  protected abstract experimentById(id: string): Promise<string>;
  protected abstract createRun(experimentId: string, name: string, tags: KeyValue[]): Promise<TrackedRun>;
}

export class FileStoreTracker extends BaseTracker {
  readonly kind = 'file';
  readonly location: string;
  readonly store: MlflowFileStore;
  constructor(root: string, opts: TrackerOptions = {}) {
    super({ ...opts, env: opts.env ?? process.env });
    this.store = new MlflowFileStore(root, { now: this.now });
    this.location = this.store.root;
  }
  protected async experimentByName(name: string): Promise<string> {
    return this.store.getOrCreateExperiment(name);
  }
  protected async experimentById(id: string): Promise<string> {
    this.store.ensureRoot();
    if (!this.store.readExperiment(id)) {
      throw new TrackingError(
        'TRACKING_CONFIG',
        `tracking: no experiment ${id} in ${this.store.root} (MLFLOW_EXPERIMENT_ID)`,
      );
    }
    return id;
  }
  protected async createRun(experimentId: string, name: string, tags: KeyValue[]): Promise<TrackedRun> {
    const info = this.store.createRun({ experimentId, runName: name, userId: this.user, startTime: this.now(), tags });
    return new FileRun(this.store, info, this.now, this.warn);
  }
}

export class RestTracker extends BaseTracker {
  readonly kind = 'rest';
  readonly location: string;
  readonly client: MlflowRestClient;
  constructor(uri: string, opts: TrackerOptions = {}) {
    super({ ...opts, env: opts.env ?? process.env });
    const env = this.opts.env;
    this.client = new MlflowRestClient({
      trackingUri: uri,
      token: env['MLFLOW_TRACKING_TOKEN'] || undefined,
      username: env['MLFLOW_TRACKING_USERNAME'] || undefined,
      password: env['MLFLOW_TRACKING_PASSWORD'] || undefined,
      timeoutMs: opts.timeoutMs,
      retries: opts.retries,
      retryBaseDelayMs: opts.retryBaseDelayMs,
    });
    this.location = this.client.baseUrl;
  }
  protected experimentByName(name: string): Promise<string> {
    return this.client.getOrCreateExperiment(name);
  }
  protected async experimentById(id: string): Promise<string> {
    return id;
  }
  protected async createRun(experimentId: string, name: string, tags: KeyValue[]): Promise<TrackedRun> {
    const info = await this.client.createRun({
      experimentId,
      runName: name,
      startTime: this.now(),
      userId: this.user,
      tags,
    });
    return new RestRun(this.client, info, name, this.now, this.warn);
  }
}

/** The tracker MLFLOW_TRACKING_URI asks for (REST for http(s), else the file store, ./mlruns by default). */
export function createTracker(opts: TrackerOptions = {}): Tracker {
  const env = opts.env ?? process.env;
  const target = resolveTrackingTarget(env['MLFLOW_TRACKING_URI'], opts.cwd);
  return target.kind === 'rest'
    ? new RestTracker(target.uri, { ...opts, env })
    : new FileStoreTracker(target.root, { ...opts, env });
}
