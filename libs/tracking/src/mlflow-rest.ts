import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { TrackingError } from './errors';
import { checkKey, checkMetric, checkValueLength } from './keys';
import type { KeyValue, MetricPoint, RunStatus } from './mlflow-file-store';

export interface MlflowRestClientOptions {
  /** http(s)://host[:port][/prefix]; user:password in the URI become Basic authentication. */
  trackingUri: string;
  /** Bearer token (MLFLOW_TRACKING_TOKEN). */
  token?: string;
  /** Basic authentication (MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD). */
  username?: string;
  password?: string;
  /** Per-request limit; default 30 s (artifact uploads get 10 minutes). */
  timeoutMs?: number;
  /** Retries after 429/502/503/504 or a network failure; default 3. */
  retries?: number;
  /** First retry delay, doubled each time; default 500 ms. */
  retryBaseDelayMs?: number;
}

export interface RestExperiment {
  experimentId: string;
  name: string;
  artifactLocation?: string;
  lifecycleStage?: string;
}

export interface RestRunInfo {
  runId: string;
  experimentId: string;
  artifactUri?: string;
}

// Batch limits of runs/log-batch (mlflow/utils/validation.py).
const MAX_METRICS_PER_BATCH = 1000;
const MAX_PARAMS_TAGS_PER_BATCH = 100;
const MAX_ENTITIES_PER_BATCH = 1000;
const RETRY_STATUSES = new Set([429, 502, 503, 504]);

/** Protobuf's JSON form of a double: non-finite values are the strings MLflow's server parses. */
function jsonDouble(v: number): number | string {
  if (Number.isFinite(v)) return v;
  if (Number.isNaN(v)) return 'NaN';
  return v > 0 ? 'Infinity' : '-Infinity';
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Splits one logical batch into requests within the server's per-request limits. */
export function splitBatch(batch: {
  metrics?: readonly MetricPoint[];
  params?: readonly KeyValue[];
  tags?: readonly KeyValue[];
}) {
  const metrics = [...(batch.metrics ?? [])];
  const params = [...(batch.params ?? [])];
  const tags = [...(batch.tags ?? [])];
  const out: { metrics: MetricPoint[]; params: KeyValue[]; tags: KeyValue[] }[] = [];
  while (metrics.length || params.length || tags.length) {
    const p = params.splice(0, MAX_PARAMS_TAGS_PER_BATCH);
    const t = tags.splice(0, MAX_PARAMS_TAGS_PER_BATCH);
    const m = metrics.splice(0, Math.min(MAX_METRICS_PER_BATCH, MAX_ENTITIES_PER_BATCH - p.length - t.length));
    out.push({ metrics: m, params: p, tags: t });
  }
  return out;
}

/**
 * The part of MLflow's REST API (mlflow/protos/service.proto) that a trainer needs, over the
 * global fetch. Nothing is printed: request bodies never reach stdout, and errors carry the
 * server's own error_code and message but never credentials.
 */
export class MlflowRestClient {
  /** The tracking URI without credentials, safe to print. */
  readonly baseUrl: string;
  private readonly authorization: string | undefined;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly retryBaseDelayMs: number;

  constructor(opts: MlflowRestClientOptions) {
    let url: URL;
    try {
      url = new URL(opts.trackingUri);
    } catch {
      throw new TrackingError(
        'TRACKING_CONFIG',
        `mlflow: tracking URI is not a valid URL: expected http(s)://host[:port], got ${JSON.stringify(redact(opts.trackingUri))}`,
      );
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TrackingError(
        'TRACKING_CONFIG',
        `mlflow: the REST client needs an http(s) tracking URI, got ${url.protocol}`,
      );
    }
    // fetch refuses URLs with credentials, and they must never appear in messages either.
    const user = decodeURIComponent(url.username);
    const pass = decodeURIComponent(url.password);
    url.username = '';
    url.password = '';
    url.search = '';
    url.hash = '';
    this.baseUrl = url.href.replace(/\/+$/, '');
    if (opts.token) this.authorization = `Bearer ${opts.token}`;
    else if (opts.username || user) {
      const u = opts.username ?? user;
      const p = opts.password ?? pass;
      this.authorization = `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
    }
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.retries = opts.retries ?? 3;
    this.retryBaseDelayMs = opts.retryBaseDelayMs ?? 500;
  }

  /** GET experiments/get-by-name; undefined when the server says RESOURCE_DOES_NOT_EXIST. */
  async getExperimentByName(name: string): Promise<RestExperiment | undefined> {
    try {
      const res = (await this.call('GET', 'experiments/get-by-name', { query: { experiment_name: name } })) as {
        experiment?: { experiment_id?: string; name?: string; artifact_location?: string; lifecycle_stage?: string };
      };
      const e = res.experiment;
      if (!e?.experiment_id)
        throw new TrackingError(
          'TRACKING_HTTP',
          `mlflow: GET experiments/get-by-name: the answer has no experiment (${this.baseUrl})`,
        );
      return {
        experimentId: String(e.experiment_id),
        name: e.name ?? name,
        artifactLocation: e.artifact_location,
        lifecycleStage: e.lifecycle_stage,
      };
    } catch (err) {
      if (err instanceof TrackingError && err.serverErrorCode === 'RESOURCE_DOES_NOT_EXIST') return undefined;
      throw err;
    }
  }

  /** POST experiments/create; returns the new experiment's id. */
  async createExperiment(name: string): Promise<string> {
    const res = (await this.call('POST', 'experiments/create', { body: { name } })) as { experiment_id?: string };
    if (!res.experiment_id)
      throw new TrackingError(
        'TRACKING_HTTP',
        `mlflow: POST experiments/create: the answer has no experiment_id (${this.baseUrl})`,
      );
    return String(res.experiment_id);
  }

  /** The active experiment with this name, created when missing (and found again if another client won the race). */
  async getOrCreateExperiment(name: string): Promise<string> {
    const found = await this.getExperimentByName(name);
    if (found && found.lifecycleStage !== 'deleted') return found.experimentId;
    if (found) {
      throw new TrackingError(
        'TRACKING_CONFIG',
        `mlflow: experiment ${JSON.stringify(name)} is deleted on ${this.baseUrl}: restore it or choose another name`,
      );
    }
    try {
      return await this.createExperiment(name);
    } catch (err) {
      if (err instanceof TrackingError && err.serverErrorCode === 'RESOURCE_ALREADY_EXISTS') {
        const again = await this.getExperimentByName(name);
        if (again) return again.experimentId;
      }
      throw err;
    }
  }

  /** POST runs/create. */
  async createRun(args: {
    experimentId: string;
    runName: string;
    startTime: number;
    userId?: string;
    tags?: readonly KeyValue[];
  }): Promise<RestRunInfo> {
    for (const t of args.tags ?? []) {
      checkKey('tag', t.key);
      checkValueLength('tag', t.key, t.value);
    }
    const body: Record<string, unknown> = {
      experiment_id: args.experimentId,
      run_name: args.runName,
      start_time: Math.trunc(args.startTime),
      tags: (args.tags ?? []).map((t) => ({ key: t.key, value: t.value })),
    };
    if (args.userId !== undefined) body['user_id'] = args.userId;
    const res = (await this.call('POST', 'runs/create', { body })) as {
      run?: { info?: { run_id?: string; run_uuid?: string; experiment_id?: string; artifact_uri?: string } };
    };
    const info = res.run?.info;
    const runId = info?.run_id ?? info?.run_uuid;
    if (!runId)
      throw new TrackingError('TRACKING_HTTP', `mlflow: POST runs/create: the answer has no run id (${this.baseUrl})`);
    return { runId, experimentId: String(info?.experiment_id ?? args.experimentId), artifactUri: info?.artifact_uri };
  }

  /** POST runs/log-batch, split into several requests when over MLflow's per-request limits. */
  async logBatch(
    runId: string,
    batch: { metrics?: readonly MetricPoint[]; params?: readonly KeyValue[]; tags?: readonly KeyValue[] },
  ): Promise<void> {
    for (const m of batch.metrics ?? []) checkMetric(m.key, m.value, m.step);
    for (const p of batch.params ?? []) {
      checkKey('param', p.key);
      checkValueLength('param', p.key, p.value);
    }
    for (const t of batch.tags ?? []) {
      checkKey('tag', t.key);
      checkValueLength('tag', t.key, t.value);
    }
    for (const part of splitBatch(batch)) {
      await this.call('POST', 'runs/log-batch', {
        body: {
          run_id: runId,
          metrics: part.metrics.map((m) => ({
            key: m.key,
            value: jsonDouble(m.value),
            timestamp: Math.trunc(m.timestamp),
            step: m.step,
          })),
          params: part.params.map((p) => ({ key: p.key, value: p.value })),
          tags: part.tags.map((t) => ({ key: t.key, value: t.value })),
        },
      });
    }
  }

  /** POST runs/update with the status name (FINISHED, FAILED, KILLED, ...) and end_time. */
  async updateRun(runId: string, status: RunStatus, endTime?: number): Promise<void> {
    const body: Record<string, unknown> = { run_id: runId, status };
    if (endTime !== undefined) body['end_time'] = Math.trunc(endTime);
    await this.call('POST', 'runs/update', { body });
  }

  /**
   * Uploads one file the way MLflow's client does for a server that proxies artifacts
   * (`mlflow server --serve-artifacts`, the default since MLflow 2): PUT to
   * /api/2.0/mlflow-artifacts/artifacts/<path in the run's mlflow-artifacts: URI>/<artifactPath>/<file>.
   * Returns false, without a request, when the run's artifact URI is not served by the
   * tracking server (s3://, a server-side path, ...).
   */
  async uploadArtifact(runArtifactUri: string | undefined, localFile: string, artifactPath?: string): Promise<boolean> {
    const target = this.artifactUrl(runArtifactUri);
    if (!target) return false;
    const segments = [...(artifactPath ? artifactPath.split('/').filter(Boolean) : []), basename(localFile)];
    const url = `${target}/${segments.map(encodeURIComponent).join('/')}`;
    const data = await readFile(localFile).catch((cause: Error) => {
      throw new TrackingError('TRACKING_IO', `mlflow: cannot read artifact ${localFile}: ${cause.message}`, { cause });
    });
    await this.send(
      'PUT',
      url,
      `PUT mlflow-artifacts/${segments.join('/')}`,
      data,
      'application/octet-stream',
      600_000,
    );
    return true;
  }

  private artifactUrl(uri: string | undefined): string | undefined {
    if (!uri) return undefined;
    if (uri.startsWith('mlflow-artifacts:')) {
      const u = new URL(uri);
      const base = new URL(this.baseUrl);
      // mlflow-artifacts://host:port/path names another server; mlflow-artifacts:/path means this one.
      const origin = u.host ? `${base.protocol}//${u.host}` : base.origin;
      const prefix = base.pathname.replace(/\/+$/, '');
      const path = u.pathname.replace(/^\/+/, '').replace(/\/+$/, '');
      return `${origin}${prefix}/api/2.0/mlflow-artifacts/artifacts/${path}`;
    }
    if (/^https?:\/\//i.test(uri)) return uri.replace(/\/+$/, '');
    return undefined;
  }

  private async call(
    method: 'GET' | 'POST',
    endpoint: string,
    opts: { query?: Record<string, string>; body?: unknown },
  ): Promise<unknown> {
    let url = `${this.baseUrl}/api/2.0/mlflow/${endpoint}`;
    if (opts.query) url += `?${new URLSearchParams(opts.query).toString()}`;
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const text = await this.send(
      method,
      url,
      `${method} ${endpoint}`,
      body,
      body === undefined ? undefined : 'application/json',
      this.timeoutMs,
    );
    if (text.trim() === '') return {};
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new TrackingError(
        'TRACKING_HTTP',
        `mlflow: ${method} ${endpoint}: the answer is not JSON: ${snippet(text)} (${this.baseUrl})`,
      );
    }
  }

  private async send(
    method: string,
    url: string,
    what: string,
    body: string | Buffer | undefined,
    contentType: string | undefined,
    timeoutMs: number,
  ): Promise<string> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (contentType) headers['content-type'] = contentType;
    if (this.authorization) headers['authorization'] = this.authorization;
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(timeoutMs) });
      } catch (cause) {
        if (attempt < this.retries) {
          await sleep(this.retryBaseDelayMs * 2 ** attempt);
          continue;
        }
        throw new TrackingError(
          'TRACKING_NETWORK',
          `mlflow: ${what}: cannot reach ${this.baseUrl}: ${networkReason(cause, timeoutMs)}`,
          { cause },
        );
      }
      const text = await res.text().catch(() => '');
      if (res.ok) return text;
      if (RETRY_STATUSES.has(res.status) && attempt < this.retries) {
        await sleep(this.retryBaseDelayMs * 2 ** attempt);
        continue;
      }
      let code: string | undefined;
      let message: string | undefined;
      try {
        const j = JSON.parse(text) as { error_code?: unknown; message?: unknown };
        if (typeof j.error_code === 'string') code = j.error_code;
        if (typeof j.message === 'string') message = j.message;
      } catch {
        // Proxies answer with HTML or plain text; a snippet of it is shown instead.
      }
      const detail = code || message ? `${code ?? 'error'}: ${message ?? ''}`.trim() : snippet(text) || res.statusText;
      throw new TrackingError(
        'TRACKING_HTTP',
        `mlflow: ${what} failed with HTTP ${res.status}: ${detail} (${this.baseUrl})`,
        {
          status: res.status,
          serverErrorCode: code,
        },
      );
    }
  }
}

function snippet(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > 300 ? `${t.slice(0, 300)}...` : t;
}

function networkReason(cause: unknown, timeoutMs: number): string {
  const e = cause as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  // undici says only "fetch failed"; the useful part (ECONNREFUSED, ENOTFOUND) is in its cause.
  const inner = e?.cause?.code ?? e?.cause?.message;
  return inner ? `${e?.message ?? 'error'} (${inner})` : (e?.message ?? String(cause));
}

/** A URI with any user:password removed, for messages. */
export function redact(uri: string): string {
  return uri.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
}
