// A fake MLflow tracking server for the end-to-end tests: answers the REST calls wsi-train makes.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedCall {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
}

/** Answers the REST calls of a tracking server (as MLflow 2 documents them) and records each. */
export async function fakeMlflowServer(): Promise<{ uri: string; calls: RecordedCall[]; close: () => Promise<void> }> {
  const calls: RecordedCall[] = [];
  const experiments = new Map<string, string>();
  let runs = 0;
  const readBody = (req: IncomingMessage) =>
    new Promise<Buffer>((resolve) => {
      const parts: Buffer[] = [];
      req.on('data', (d: Buffer) => parts.push(d));
      req.on('end', () => resolve(Buffer.concat(parts)));
    });
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const raw = await readBody(req);
    const json = req.headers['content-type'] === 'application/json';
    const body = json && raw.length ? JSON.parse(raw.toString()) : raw.length;
    calls.push({ method: req.method ?? '', path: url.pathname, query: Object.fromEntries(url.searchParams), body });
    const send = (status: number, obj: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(obj));
    };
    const api = url.pathname.replace(/^\/api\/2\.0\/mlflow\//, '');
    if (req.method === 'GET' && api === 'experiments/get-by-name') {
      const id = experiments.get(url.searchParams.get('experiment_name') ?? '');
      return id
        ? send(200, {
            experiment: { experiment_id: id, name: url.searchParams.get('experiment_name'), lifecycle_stage: 'active' },
          })
        : send(404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'no such experiment' });
    }
    if (req.method === 'POST' && api === 'experiments/create') {
      const id = String(100 + experiments.size);
      experiments.set((body as { name: string }).name, id);
      return send(200, { experiment_id: id });
    }
    if (req.method === 'POST' && api === 'runs/create') {
      const runId = `run${++runs}`;
      const exp = (body as { experiment_id: string }).experiment_id;
      return send(200, {
        run: {
          info: { run_id: runId, experiment_id: exp, artifact_uri: `mlflow-artifacts:/${exp}/${runId}/artifacts` },
        },
      });
    }
    if (req.method === 'POST' && (api === 'runs/log-batch' || api === 'runs/update')) return send(200, {});
    if (req.method === 'PUT' && url.pathname.startsWith('/api/2.0/mlflow-artifacts/artifacts/')) return send(200, {});
    send(404, { error_code: 'ENDPOINT_NOT_FOUND', message: `${req.method} ${url.pathname}` });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    uri: `http://127.0.0.1:${port}`,
    calls,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
