// onnxruntime-node sessions with the settings every slidepipe graph wants. onnxruntime is loaded
// on first use, so importing this library (say, for its option schema) stays cheap.
import { createRequire } from 'node:module';
import type * as Ort from 'onnxruntime-node';
import { ModelError } from '../errors';

const requireCjs = createRequire(import.meta.url);
let ortModule: typeof Ort | undefined;

/** The onnxruntime-node module, loaded (synchronously, it is CommonJS) on first call. */
export function loadOrt(): typeof Ort {
  ortModule ??= requireCjs('onnxruntime-node') as typeof Ort;
  return ortModule;
}

export interface SessionOptions {
  /** Threads for one operator (onnxruntime's intra-op pool). Default 1: tools run side by side. */
  threads?: number;
  /** Let idle pool threads spin-wait (onnxruntime's default): only pays on a dedicated machine. */
  spin?: boolean;
  /**
   * Execution provider. 'cuda' needs onnxruntime's CUDA provider libraries; when they cannot load,
   * session creation fails (onnxruntime does not fall back by itself): the caller decides.
   */
  device?: 'cpu' | 'cuda';
  /** onnxruntime's own log threshold (0 verbose .. 4 fatal); default 3, errors only. */
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
}

export async function createSession(
  model: Uint8Array | string,
  opts: SessionOptions = {},
): Promise<Ort.InferenceSession> {
  const threads = opts.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) {
    throw new ModelError('INVALID_PARAMETER', `threads: expected an integer >= 1, received ${threads}`);
  }
  const { InferenceSession } = loadOrt();
  const options: Ort.InferenceSession.SessionOptions = {
    executionProviders: [opts.device ?? 'cpu'],
    logSeverityLevel: opts.logSeverityLevel ?? 3,
    intraOpNumThreads: threads,
    // Our graphs are chains; a second pool would only add idle threads.
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // Idle pool threads spin by default; on a machine shared with other tools (the normal case
    // for a pipe) spinning doubled CPU time and wall time per training epoch in our measurement.
    extra: { session: { intra_op: { allow_spinning: opts.spin ? '1' : '0' } } },
  };
  return typeof model === 'string' ? InferenceSession.create(model, options) : InferenceSession.create(model, options);
}

export function f32(data: Float32Array, dims: readonly number[]): Ort.Tensor {
  return new (loadOrt().Tensor)('float32', data, dims);
}

export function scalarF32(v: number): Ort.Tensor {
  return new (loadOrt().Tensor)('float32', Float32Array.of(v), []);
}

/** The float32 data of an output, checked so a graph change cannot slip through as garbage. */
export function outF32(out: Ort.InferenceSession.OnnxValueMapType, name: string): Float32Array {
  const t = out[name];
  if (!t || !(t instanceof loadOrt().Tensor) || t.type !== 'float32') {
    throw new ModelError('INVALID_GRAPH', `output ${name}: missing or not float32`);
  }
  return t.data as Float32Array;
}
