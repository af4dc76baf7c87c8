// A trainer's state as bytes: an 8-byte magic, a u32 little-endian header length, a JSON header,
// then the float32 tensors (little-endian, 4-byte aligned). Everything needed to continue, or to
// skip, training: recipe, parameters, Adam moments, counters and RNG positions.
import { z } from 'zod';
import { ModelError } from '../errors';
import { mlpTrainOptionsSchema } from './options';

const MAGIC = 'SPMLPST1';
const FORMAT = 'slidepipe-mlp-head-state';
const VERSION = 1;

const rngStateSchema = z.array(z.number().int()).length(4);

const headerSchema = z.object({
  format: z.literal(FORMAT),
  version: z.literal(VERSION),
  inputDim: z.number().int().min(1),
  options: mlpTrainOptionsSchema.strict(),
  epoch: z.number().int().min(0),
  step: z.number().int().min(0),
  finished: z.boolean(),
  history: z.array(z.object({ epoch: z.number().int(), loss: z.number() })),
  rng: z.object({ shuffle: rngStateSchema, dropout: rngStateSchema }),
  tensors: z.array(z.object({ name: z.string(), length: z.number().int().min(0) })),
});

export type TrainerStateHeader = z.output<typeof headerSchema>;

export interface TrainerState {
  header: Omit<TrainerStateHeader, 'format' | 'version' | 'tensors'>;
  /** Tensors by name, in a stable order. */
  tensors: Map<string, Float32Array>;
}

export function encodeState(state: TrainerState): Uint8Array {
  const names = [...state.tensors.keys()];
  const header: TrainerStateHeader = {
    format: FORMAT,
    version: VERSION,
    ...state.header,
    tensors: names.map((name) => ({ name, length: (state.tensors.get(name) as Float32Array).length })),
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const dataStart = align4(12 + json.length);
  const total = dataStart + names.reduce((s, n) => s + 4 * (state.tensors.get(n) as Float32Array).length, 0);
  const out = new Uint8Array(total);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, 12);
  let offset = dataStart;
  for (const n of names) {
    const t = state.tensors.get(n) as Float32Array;
    out.set(new Uint8Array(t.buffer, t.byteOffset, t.byteLength), offset);
    offset += t.byteLength;
  }
  return out;
}

export function decodeState(bytes: Uint8Array): TrainerState {
  const bad = (why: string): never => {
    throw new ModelError('INVALID_STATE', `MLP trainer state: ${why}`);
  };
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) {
    bad(`expected a file starting with ${MAGIC}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const jsonLength = view.getUint32(8, true);
  if (12 + jsonLength > bytes.length) bad('truncated header');
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + jsonLength)));
  } catch (e) {
    bad(`header is not JSON (${(e as Error).message})`);
  }
  const parsed = headerSchema.safeParse(raw);
  if (!parsed.success) bad(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const { format: _f, version: _v, tensors: table, ...header } = (parsed as { data: TrainerStateHeader }).data;
  let offset = align4(12 + jsonLength);
  const needed = offset + table.reduce((s, t) => s + 4 * t.length, 0);
  if (needed !== bytes.length) bad(`expected ${needed} bytes, received ${bytes.length}`);
  const tensors = new Map<string, Float32Array>();
  for (const t of table) {
    // Copied out: the input may be unaligned (a Buffer slice) and may be reused by the caller.
    const copy = new Uint8Array(bytes.subarray(offset, offset + 4 * t.length));
    tensors.set(t.name, new Float32Array(copy.buffer));
    offset += 4 * t.length;
  }
  return { header, tensors };
}

function align4(n: number): number {
  return (n + 3) & ~3;
}
