import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TrackingError } from './errors';
import { MlflowRestClient } from './mlflow-rest';
import { createTracker } from './tracker';

interface Received {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: unknown;
  raw: Buffer;
}

type Handler = (req: Received) => { status?: number; json?: unknown; text?: string };

/** A stand-in MLflow server on 127.0.0.1 that records what arrives and answers from `handler`. */
class FakeServer {
  readonly received: Received[] = [];
  handler: Handler = () => ({ json: {} });
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const u = new URL(req.url ?? '/', 'http://x');
        const isJson = (req.headers['content-type'] ?? '').startsWith('application/json');
        const r: Received = {
          method: req.method ?? '',
          path: decodeURIComponent(u.pathname),
          query: Object.fromEntries(u.searchParams),
          headers: req.headers,
          body: isJson ? JSON.parse(raw.toString('utf8')) : undefined,
          raw,
        };
        this.received.push(r);
        const out = this.handler(r);
        res.statusCode = out.status ?? 200;
        if (out.text !== undefined) {
          res.setHeader('content-type', 'text/html');
          res.end(out.text);
        } else {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify(out.json ?? {}));
        }
      });
    });
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server?.close(() => r()));
  }

  posts(endpoint: string): Received[] {
    return this.received.filter((r) => r.path === `/api/2.0/mlflow/${endpoint}`);
  }
}

/** Answers like an MLflow 2 server with proxied artifacts and an empty store. */
function mlflowLike(artifactScheme = 'mlflow-artifacts:'): Handler {
  let runs = 0;
  return (r) => {
    if (r.path === '/api/2.0/mlflow/experiments/get-by-name') {
      return {
        status: 404,
        json: {
          error_code: 'RESOURCE_DOES_NOT_EXIST',
          message: `Could not find experiment with name '${r.query['experiment_name']}'`,
        },
      };
    }
    if (r.path === '/api/2.0/mlflow/experiments/create') return { json: { experiment_id: '7' } };
    if (r.path === '/api/2.0/mlflow/runs/create') {
      const id = `run${++runs}`;
      const uri =
        artifactScheme === 'mlflow-artifacts:'
          ? `mlflow-artifacts:/7/${id}/artifacts`
          : `s3://bucket/7/${id}/artifacts`;
      return {
        json: {
          run: {
            info: { run_id: id, run_uuid: id, experiment_id: '7', artifact_uri: uri, status: 'RUNNING' },
            data: {},
          },
        },
      };
    }
    if (r.path === '/api/2.0/mlflow/runs/update') return { json: { run_info: {} } };
    return { json: {} };
  };
}

let server: FakeServer;
let dir: string;
let clock: number;
beforeEach(async () => {
  server = new FakeServer();
  await server.start();
  dir = mkdtempSync(join(tmpdir(), 'rest-'));
  clock = 1_700_000_000_000;
});
afterEach(async () => {
  vi.restoreAllMocks();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

function restTracker(env: Record<string, string> = {}, warn: (m: string) => void = () => undefined) {
  return createTracker({
    env: { MLFLOW_TRACKING_URI: server.url, MLFLOW_EXPERIMENT_NAME: 'digilut', ...env },
    userName: 'tester',
    sourceName: 'wsi-train',
    now: () => clock,
    warn,
    retryBaseDelayMs: 0,
  });
}

describe('MLflow REST tracker', () => {
  it('sends the documented paths, methods and JSON bodies for a parent run and a fold run', async () => {
    server.handler = mlflowLike();
    const stdout = vi.spyOn(process.stdout, 'write');
    const t = restTracker();
    expect(t.kind).toBe('rest');
    const parent = await t.startRun('cv', { lr: 0.001, loss: 'focal' });
    clock += 100;
    const fold = await t.startRun('fold-0', { fold: 0 }, parent.runId);
    clock += 10;
    await fold.logMetrics({ loss: 0.5, auc: NaN, ap: Infinity }, 3);
    await fold.setTag('slidepipe.fold', '0');
    clock += 10;
    await fold.end('FAILED');
    await parent.end();

    const seq = server.received.map((r) => `${r.method} ${r.path}`);
    expect(seq).toEqual([
      'GET /api/2.0/mlflow/experiments/get-by-name',
      'POST /api/2.0/mlflow/experiments/create',
      'POST /api/2.0/mlflow/runs/create',
      'POST /api/2.0/mlflow/runs/log-batch',
      'POST /api/2.0/mlflow/runs/create',
      'POST /api/2.0/mlflow/runs/log-batch',
      'POST /api/2.0/mlflow/runs/log-batch',
      'POST /api/2.0/mlflow/runs/log-batch',
      'POST /api/2.0/mlflow/runs/update',
      'POST /api/2.0/mlflow/runs/update',
    ]);
    const [getByName, create, run1, params1, run2, params2, metrics, tag, end2, end1] = server.received;
    expect(getByName?.query).toEqual({ experiment_name: 'digilut' });
    expect(getByName?.raw.length).toBe(0);
    for (const r of server.received.slice(1)) expect(r.headers['content-type']).toBe('application/json');
    expect(create?.body).toEqual({ name: 'digilut' });
    const baseTags = [
      { key: 'mlflow.runName', value: 'cv' },
      { key: 'mlflow.user', value: 'tester' },
      { key: 'mlflow.source.name', value: 'wsi-train' },
      { key: 'mlflow.source.type', value: 'LOCAL' },
    ];
    expect(run1?.body).toEqual({
      experiment_id: '7',
      run_name: 'cv',
      start_time: 1_700_000_000_000,
      user_id: 'tester',
      tags: baseTags,
    });
    expect(params1?.body).toEqual({
      run_id: 'run1',
      metrics: [],
      params: [
        { key: 'lr', value: '0.001' },
        { key: 'loss', value: 'focal' },
      ],
      tags: [],
    });
    expect(run2?.body).toMatchObject({ experiment_id: '7', run_name: 'fold-0', start_time: 1_700_000_000_100 });
    expect((run2?.body as { tags: unknown[] }).tags).toContainEqual({ key: 'mlflow.parentRunId', value: 'run1' });
    expect((run2?.body as { tags: unknown[] }).tags).toContainEqual({ key: 'mlflow.runName', value: 'fold-0' });
    expect(params2?.body).toEqual({ run_id: 'run2', metrics: [], params: [{ key: 'fold', value: '0' }], tags: [] });
    // Non-finite doubles travel as protobuf JSON strings, which MLflow's server parses.
    expect(metrics?.body).toEqual({
      run_id: 'run2',
      metrics: [
        { key: 'loss', value: 0.5, timestamp: 1_700_000_000_110, step: 3 },
        { key: 'auc', value: 'NaN', timestamp: 1_700_000_000_110, step: 3 },
        { key: 'ap', value: 'Infinity', timestamp: 1_700_000_000_110, step: 3 },
      ],
      params: [],
      tags: [],
    });
    expect(tag?.body).toEqual({
      run_id: 'run2',
      metrics: [],
      params: [],
      tags: [{ key: 'slidepipe.fold', value: '0' }],
    });
    expect(end2?.body).toEqual({ run_id: 'run2', status: 'FAILED', end_time: 1_700_000_000_120 });
    expect(end1?.body).toEqual({ run_id: 'run1', status: 'FINISHED', end_time: 1_700_000_000_120 });
    // Nothing reaches stdout: it carries data in a pipe.
    expect(stdout).not.toHaveBeenCalled();
  });

  it('reuses an experiment the server already has', async () => {
    server.handler = (r) =>
      r.path.endsWith('/get-by-name')
        ? { json: { experiment: { experiment_id: '42', name: 'digilut', lifecycle_stage: 'active' } } }
        : r.path.endsWith('/runs/create')
          ? { json: { run: { info: { run_id: 'r', experiment_id: '42' } } } }
          : { json: {} };
    const t = restTracker();
    await t.startRun('a');
    await t.startRun('b');
    expect(server.posts('experiments/create')).toHaveLength(0);
    expect(server.posts('experiments/get-by-name')).toHaveLength(1);
    expect(server.posts('runs/create').map((r) => (r.body as { experiment_id: string }).experiment_id)).toEqual([
      '42',
      '42',
    ]);
  });

  it('turns a server error into a TrackingError with the server message', async () => {
    const base = mlflowLike();
    server.handler = (r) =>
      r.path.endsWith('/runs/log-batch')
        ? {
            status: 400,
            json: {
              error_code: 'INVALID_PARAMETER_VALUE',
              message: "Changing param values is not allowed. Param with key='lr' was already logged",
            },
          }
        : base(r);
    const run = await restTracker().startRun('cv');
    const err = await run.logParams({ lr: 0.2 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TrackingError);
    expect(err).toMatchObject({ reason: 'TRACKING_HTTP', status: 400, serverErrorCode: 'INVALID_PARAMETER_VALUE' });
    expect((err as Error).message).toBe(
      `mlflow: POST runs/log-batch failed with HTTP 400: INVALID_PARAMETER_VALUE: Changing param values is not allowed. Param with key='lr' was already logged (${server.url})`,
    );
    // The run's queue survives a failed call.
    server.handler = base;
    await run.logMetric('loss', 1, 1);
    await run.end();
    expect(server.posts('runs/update')).toHaveLength(1);
  });

  it('shows a proxy page in short when the answer is not JSON', async () => {
    server.handler = () => ({ status: 502, text: '<html><body>Bad Gateway</body></html>' });
    const client = new MlflowRestClient({ trackingUri: server.url, retries: 0 });
    await expect(client.createExperiment('x')).rejects.toThrow(/HTTP 502: <html><body>Bad Gateway<\/body><\/html>/);
  });

  it('retries 503 and then succeeds; gives up after the set number of retries', async () => {
    let n = 0;
    server.handler = () =>
      ++n <= 2
        ? { status: 503, json: { error_code: 'TEMPORARILY_UNAVAILABLE', message: 'busy' } }
        : { json: { experiment_id: '9' } };
    const client = new MlflowRestClient({ trackingUri: server.url, retries: 2, retryBaseDelayMs: 0 });
    await expect(client.createExperiment('x')).resolves.toBe('9');
    expect(server.received).toHaveLength(3);

    n = 0;
    server.received.length = 0;
    const impatient = new MlflowRestClient({ trackingUri: server.url, retries: 1, retryBaseDelayMs: 0 });
    await expect(impatient.createExperiment('x')).rejects.toMatchObject({ reason: 'TRACKING_HTTP', status: 503 });
    expect(server.received).toHaveLength(2);
  });

  it('does not retry a 500, which MLflow sends for a request it cannot process', async () => {
    server.handler = () => ({ status: 500, json: { error_code: 'INTERNAL_ERROR', message: 'boom' } });
    const client = new MlflowRestClient({ trackingUri: server.url, retries: 3, retryBaseDelayMs: 0 });
    await expect(client.updateRun('r', 'FINISHED', 1)).rejects.toThrow(/HTTP 500: INTERNAL_ERROR: boom/);
    expect(server.received).toHaveLength(1);
  });

  it('names an unreachable server', async () => {
    const url = server.url;
    await server.stop();
    const client = new MlflowRestClient({ trackingUri: url, retries: 0 });
    const err = await client.createExperiment('x').catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'TRACKING_NETWORK' });
    expect((err as Error).message).toMatch(new RegExp(`cannot reach ${url}.*ECONNREFUSED`));
    await server.start(); // for afterEach
  });

  it('sends credentials as headers and never shows them in messages', async () => {
    server.handler = () => ({ status: 403, json: { error_code: 'PERMISSION_DENIED', message: 'no' } });
    const withUser = new MlflowRestClient({
      trackingUri: server.url.replace('http://', 'http://ana:p%40ss@'),
      retries: 0,
    });
    const err = (await withUser.createExperiment('x').catch((e: unknown) => e)) as Error;
    expect(server.received[0]?.headers.authorization).toBe(`Basic ${Buffer.from('ana:p@ss').toString('base64')}`);
    expect(err.message).not.toMatch(/p%40ss|p@ss|ana/);
    expect(withUser.baseUrl).toBe(server.url);

    const t = restTracker({ MLFLOW_TRACKING_TOKEN: 'tok123' });
    await t.experimentId().catch(() => undefined);
    expect(server.received[1]?.headers.authorization).toBe('Bearer tok123');
  });

  it('splits a large batch within MLflow limits (1000 metrics, 100 params, 100 tags, 1000 in all)', async () => {
    server.handler = () => ({ json: {} });
    const client = new MlflowRestClient({ trackingUri: server.url });
    const metrics = Array.from({ length: 2050 }, (_, i) => ({ key: `m${i % 7}`, value: i, timestamp: 1, step: i }));
    const params = Array.from({ length: 150 }, (_, i) => ({ key: `p${i}`, value: String(i) }));
    await client.logBatch('r', { metrics, params });
    const sizes = server.received.map((r) => {
      const b = r.body as { metrics: unknown[]; params: unknown[]; tags: unknown[] };
      return [b.metrics.length, b.params.length, b.tags.length];
    });
    expect(sizes).toEqual([
      [900, 100, 0],
      [950, 50, 0],
      [200, 0, 0],
    ]);
    const steps = server.received.flatMap((r) =>
      (r.body as { metrics: { step: number }[] }).metrics.map((m) => m.step),
    );
    expect(steps).toEqual(metrics.map((m) => m.step));
  });

  it('uploads an artifact through the mlflow-artifacts proxy', async () => {
    server.handler = mlflowLike();
    const file = join(dir, 'head 0.onnx');
    writeFileSync(file, Buffer.from([0, 1, 2, 255]));
    const run = await restTracker().startRun('cv');
    await run.logArtifact(file, 'models/fold-0');
    const put = server.received.find((r) => r.method === 'PUT');
    expect(put?.path).toBe('/api/2.0/mlflow-artifacts/artifacts/7/run1/artifacts/models/fold-0/head 0.onnx');
    expect([...(put?.raw ?? [])]).toEqual([0, 1, 2, 255]);
  });

  it('records the local path in a tag, with a warning, when the server does not proxy artifacts', async () => {
    server.handler = mlflowLike('s3:');
    const file = join(dir, 'head.onnx');
    writeFileSync(file, 'x');
    const warnings: string[] = [];
    const run = await restTracker({}, (m) => warnings.push(m)).startRun('cv');
    await run.logArtifact(file, 'models');
    expect(server.received.some((r) => r.method === 'PUT')).toBe(false);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/not uploaded.*s3:\/\/bucket.*slidepipe\.localArtifact\/models\/head\.onnx/);
    const last = server.posts('runs/log-batch').at(-1)?.body as { tags: { key: string; value: string }[] };
    expect(last.tags).toEqual([
      { key: 'slidepipe.localArtifact/models/head.onnx', value: expect.stringMatching(new RegExp(`:${file}$`)) },
    ]);
  });
});
