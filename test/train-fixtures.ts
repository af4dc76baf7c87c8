// Shared by the embed, train and predict end-to-end tests: a small synthetic cohort (labelled JPEG
// patches whose labels are learnable from texture, and a split table), an asynchronous shell (the
// tests' HTTP server must keep answering while a tool runs), a TensorBoard event-file reader
// written here independently of libs/tracking, and a fake MLflow tracking server.
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeSyntheticCohort, type CohortFiles } from '../apps/embed/src/testing/he-synth';
import { shellPrelude, type ShellResult } from './helpers';

export const TOOLS = ['cat', 'embed', 'train', 'predict'];

/**
 * 4 patients x 2 slides x `patches` patches of 48 px, about a third positive, folds 0..3 by
 * patient; lesions are faint (strength 0.15), so a head has something to learn.
 */
export function writeCohort(dir: string, patches = 40, strength = 0.15): Promise<CohortFiles> {
  return writeSyntheticCohort(dir, { patients: 4, patchesPerSlide: patches, px: 48, positiveShare: 0.3, seed: 11, folds: 4, strength });
}

/** Like helpers.sh, but without blocking the event loop. */
export function shAsync(script: string, opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<ShellResult> {
  return new Promise((resolve, reject) => {
    const p = spawn('bash', ['-o', 'pipefail', '-c', `${shellPrelude(TOOLS)}\n${script}`], { cwd: opts.cwd, env: { ...process.env, ...opts.env } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout.on('data', (d: Buffer) => out.push(d));
    p.stderr.on('data', (d: Buffer) => err.push(d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ status: code ?? 128, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() }));
  });
}

// ---- TensorBoard event files: TFRecord frames around Event protobufs ----------------------------

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function maskedCrc32c(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  c = (c ^ 0xffffffff) >>> 0;
  return (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0;
}

interface Field {
  no: number;
  wire: number;
  varint?: bigint;
  bytes?: Uint8Array;
  fixed?: Buffer;
}

function fields(buf: Uint8Array): Field[] {
  const out: Field[] = [];
  let i = 0;
  const varint = () => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[i++];
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return v;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const tag = Number(varint());
    const f: Field = { no: tag >> 3, wire: tag & 7 };
    if (f.wire === 0) f.varint = varint();
    else if (f.wire === 2) {
      const n = Number(varint());
      f.bytes = buf.subarray(i, i + n);
      i += n;
    } else if (f.wire === 1) {
      f.fixed = Buffer.from(buf.subarray(i, i + 8));
      i += 8;
    } else if (f.wire === 5) {
      f.fixed = Buffer.from(buf.subarray(i, i + 4));
      i += 4;
    } else throw new Error(`wire type ${f.wire}`);
    out.push(f);
  }
  return out;
}

export interface TbEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  /** Scalar summaries: tag -> simple_value. */
  scalars: Record<string, number>;
  texts: string[];
}

/** Every event of an event file; throws on a bad frame or CRC. */
export function readEventFile(buf: Buffer): TbEvent[] {
  const events: TbEvent[] = [];
  let off = 0;
  while (off < buf.length) {
    const len = Number(buf.readBigUInt64LE(off));
    if (buf.readUInt32LE(off + 8) !== maskedCrc32c(buf.subarray(off, off + 8))) throw new Error(`bad length CRC at ${off}`);
    const data = buf.subarray(off + 12, off + 12 + len);
    if (buf.readUInt32LE(off + 12 + len) !== maskedCrc32c(data)) throw new Error(`bad data CRC at ${off}`);
    off += 16 + len;
    // Event: wall_time = 1 (double), step = 2 (int64), file_version = 3, summary = 5.
    const ev: TbEvent = { wallTime: 0, step: 0, scalars: {}, texts: [] };
    for (const f of fields(data)) {
      if (f.no === 1) ev.wallTime = f.fixed!.readDoubleLE(0);
      else if (f.no === 2) ev.step = Number(f.varint);
      else if (f.no === 3) ev.fileVersion = Buffer.from(f.bytes!).toString();
      else if (f.no === 5) {
        // Summary.value = 1; Value.tag = 1, simple_value = 2 (float), tensor = 8.
        for (const v of fields(f.bytes!).filter((x) => x.no === 1)) {
          const vf = fields(v.bytes!);
          const tag = Buffer.from(vf.find((x) => x.no === 1)!.bytes!).toString();
          const simple = vf.find((x) => x.no === 2);
          if (simple) ev.scalars[tag] = simple.fixed!.readFloatLE(0);
          else ev.texts.push(tag);
        }
      }
    }
    events.push(ev);
  }
  return events;
}

// ---- a fake MLflow tracking server ----------------------------------------------------------------

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
        ? send(200, { experiment: { experiment_id: id, name: url.searchParams.get('experiment_name'), lifecycle_stage: 'active' } })
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
      return send(200, { run: { info: { run_id: runId, experiment_id: exp, artifact_uri: `mlflow-artifacts:/${exp}/${runId}/artifacts` } } });
    }
    if (req.method === 'POST' && (api === 'runs/log-batch' || api === 'runs/update')) return send(200, {});
    if (req.method === 'PUT' && url.pathname.startsWith('/api/2.0/mlflow-artifacts/artifacts/')) return send(200, {});
    send(404, { error_code: 'ENDPOINT_NOT_FOUND', message: `${req.method} ${url.pathname}` });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { uri: `http://127.0.0.1:${port}`, calls, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
