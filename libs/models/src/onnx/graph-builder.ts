// A small builder for ONNX graphs over onnx-proto's generated classes. It knows nothing about
// neural networks: it names values, checks that each is produced once, and serialises.
import { endianness } from 'node:os';
// onnx-proto is CommonJS whose namespace Node cannot list as named exports: take the default.
import onnxProto from 'onnx-proto';
import { ModelError } from '../errors';
import type { onnx as OnnxTypes } from 'onnx-proto';

const { onnx } = onnxProto;
type ModelProto = OnnxTypes.ModelProto;
type INodeProto = OnnxTypes.INodeProto;
type IAttributeProto = OnnxTypes.IAttributeProto;
type ITensorProto = OnnxTypes.ITensorProto;
type IValueInfoProto = OnnxTypes.IValueInfoProto;

// Tensor bytes are written as raw_data, which ONNX defines as little-endian.
if (endianness() !== 'LE')
  throw new ModelError('INVALID_GRAPH', '@slidepipe/models: big-endian hosts are not supported');

/** Opset 17 with IR version 8: what onnx-proto (ONNX 1.10) describes and onnxruntime 1.30 runs. */
export const DEFAULT_OPSET = 17;
export const DEFAULT_IR_VERSION = 8;

export type DataType = 'float32' | 'float64' | 'int64' | 'int32' | 'uint8' | 'bool';
/** A dimension: a size, or a name for a symbolic (any-size) dimension such as the batch. */
export type Dim = number | string;

export type TensorValues = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

export interface TensorInit {
  dtype: DataType;
  dims: readonly number[];
  data: TensorValues;
}

/**
 * An attribute value. Plain numbers are ints and plain number arrays are ints; floats are
 * spelled `{ f }` / `{ floats }` because 1 and 1.0 are the same JS number.
 */
export type AttrValue =
  number | readonly number[] | string | { f: number } | { floats: readonly number[] } | { t: TensorInit };

/** Attributes by name; `object` keeps a stray string (an output name in the wrong place) out. */
export type Attrs = Readonly<Record<string, AttrValue>> & object;

export interface NodeOptions {
  /** Output names; a number asks for that many generated names. Default: one generated name. */
  outputs?: readonly string[] | number;
  name?: string;
  domain?: string;
}

export interface ModelOptions {
  opsetVersion?: number;
  irVersion?: number;
  producerName?: string;
  producerVersion?: string;
  docString?: string;
  /** Stored as metadata_props, in insertion order. */
  metadata?: Readonly<Record<string, string>>;
}

const DTYPE_CODE: Record<DataType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float64: onnx.TensorProto.DataType.DOUBLE,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
  uint8: onnx.TensorProto.DataType.UINT8,
  bool: onnx.TensorProto.DataType.BOOL,
};

const DTYPE_ARRAY: Record<DataType, string> = {
  float32: 'Float32Array',
  float64: 'Float64Array',
  int64: 'BigInt64Array',
  int32: 'Int32Array',
  uint8: 'Uint8Array',
  bool: 'Uint8Array',
};

export function tensorProto(name: string, t: TensorInit): ITensorProto {
  const count = t.dims.reduce((a, b) => a * b, 1);
  if (t.data.length !== count) {
    throw new ModelError(
      'INVALID_GRAPH',
      `tensor ${name}: expected ${count} values for dims [${t.dims.join(', ')}], received ${t.data.length}`,
    );
  }
  if (t.data.constructor.name !== DTYPE_ARRAY[t.dtype]) {
    throw new ModelError(
      'INVALID_GRAPH',
      `tensor ${name}: dtype ${t.dtype} needs a ${DTYPE_ARRAY[t.dtype]}, received ${t.data.constructor.name}`,
    );
  }
  return {
    name,
    dataType: DTYPE_CODE[t.dtype],
    dims: [...t.dims],
    // A copy, so later edits to the caller's array cannot change the graph.
    rawData: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength).slice(),
  };
}

function valueInfo(name: string, dtype: DataType, shape: readonly Dim[] | undefined): IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: DTYPE_CODE[dtype],
        shape: shape && {
          dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })),
        },
      },
    },
  };
}

function attribute(name: string, v: AttrValue): IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') {
    if (!Number.isInteger(v))
      throw new ModelError('INVALID_GRAPH', `attribute ${name}: ${v} is not an int; write { f: ${v} } for a float`);
    return { name, type: T.INT, i: v };
  }
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) {
    const ints = v as readonly number[];
    if (!ints.every(Number.isInteger))
      throw new ModelError('INVALID_GRAPH', `attribute ${name}: ints expected, received [${ints.join(', ')}]`);
    return { name, type: T.INTS, ints: [...ints] };
  }
  if ('f' in v) return { name, type: T.FLOAT, f: v.f };
  if ('floats' in v) return { name, type: T.FLOATS, floats: [...v.floats] };
  if ('t' in v) return { name, type: T.TENSOR, t: tensorProto(name, v.t) };
  throw new ModelError('INVALID_GRAPH', `attribute ${name}: unsupported value`);
}

export class GraphBuilder {
  private readonly nodes: INodeProto[] = [];
  private readonly inits: ITensorProto[] = [];
  private readonly inputs: IValueInfoProto[] = [];
  private readonly outputs: IValueInfoProto[] = [];
  private readonly defined = new Set<string>();
  private readonly scalarCache = new Map<string, string>();
  private counter = 0;

  constructor(readonly name = 'graph') {}

  /** A fresh value name that no other value in this graph has. */
  fresh(hint: string): string {
    let n: string;
    do n = `${hint}_${this.counter++}`;
    while (this.defined.has(n));
    return n;
  }

  private define(name: string): string {
    if (name === '') throw new ModelError('INVALID_GRAPH', 'value names must be non-empty');
    if (this.defined.has(name)) throw new ModelError('INVALID_GRAPH', `value ${name} is defined twice`);
    this.defined.add(name);
    return name;
  }

  has(name: string): boolean {
    return this.defined.has(name);
  }

  input(name: string, dtype: DataType, shape: readonly Dim[]): string {
    this.inputs.push(valueInfo(this.define(name), dtype, shape));
    return name;
  }

  /** Declares an existing value as a graph output; the shape may be left out. */
  output(name: string, dtype: DataType, shape?: readonly Dim[]): string {
    if (!this.defined.has(name)) throw new ModelError('INVALID_GRAPH', `output ${name} is not produced by the graph`);
    this.outputs.push(valueInfo(name, dtype, shape));
    return name;
  }

  initializer(name: string, t: TensorInit): string {
    this.inits.push(tensorProto(this.define(name), t));
    return name;
  }

  /** A float32 constant (an initializer); scalars are shared between uses. */
  constF(values: number | readonly number[], dims?: readonly number[]): string {
    if (typeof values === 'number') {
      const key = `f:${Object.is(values, -0) ? '-0' : values}:${dims?.join('x') ?? ''}`;
      const hit = this.scalarCache.get(key);
      if (hit) return hit;
      const name = this.initializer(this.fresh('const'), {
        dtype: 'float32',
        dims: dims ?? [],
        data: Float32Array.of(values),
      });
      this.scalarCache.set(key, name);
      return name;
    }
    return this.initializer(this.fresh('const'), {
      dtype: 'float32',
      dims: dims ?? [values.length],
      data: Float32Array.from(values),
    });
  }

  /** An int64 constant, typically axes or a shape. */
  constI64(values: readonly number[], dims?: readonly number[]): string {
    const key = `i:${values.join(',')}:${dims?.join('x') ?? ''}`;
    const hit = this.scalarCache.get(key);
    if (hit) return hit;
    const name = this.initializer(this.fresh('const'), {
      dtype: 'int64',
      dims: dims ?? [values.length],
      data: BigInt64Array.from(values.map((v) => BigInt(v))),
    });
    this.scalarCache.set(key, name);
    return name;
  }

  /** Adds a node and returns all its output names. An input '' marks an omitted optional input. */
  node(opType: string, inputs: readonly string[], attrs: Attrs = {}, opts: NodeOptions = {}): string[] {
    for (const i of inputs) {
      if (i !== '' && !this.defined.has(i))
        throw new ModelError('INVALID_GRAPH', `${opType}: input ${i} is not defined yet`);
    }
    const outs =
      typeof opts.outputs === 'object'
        ? opts.outputs.map((o) => this.define(o))
        : Array.from({ length: opts.outputs ?? 1 }, () => this.define(this.fresh(opType.toLowerCase())));
    this.nodes.push({
      opType,
      input: [...inputs],
      output: outs,
      name: opts.name ?? this.fresh(`${opType}_node`),
      domain: opts.domain ?? '',
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return outs;
  }

  /** Adds a single-output node and returns its output name (`output` names it). */
  op(opType: string, inputs: readonly string[], attrs: Attrs = {}, output?: string): string {
    return this.node(opType, inputs, attrs, output === undefined ? {} : { outputs: [output] })[0];
  }

  toModel(opts: ModelOptions = {}): ModelProto {
    return onnx.ModelProto.create({
      irVersion: opts.irVersion ?? DEFAULT_IR_VERSION,
      opsetImport: [{ domain: '', version: opts.opsetVersion ?? DEFAULT_OPSET }],
      producerName: opts.producerName ?? 'slidepipe',
      producerVersion: opts.producerVersion ?? '',
      docString: opts.docString ?? '',
      metadataProps: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.inits,
        input: this.inputs,
        output: this.outputs,
      },
    });
  }

  serialize(opts: ModelOptions = {}): Uint8Array {
    return onnx.ModelProto.encode(this.toModel(opts)).finish();
  }
}

/** Decodes a serialised model (for checks and for reading metadata back). */
export function decodeModel(bytes: Uint8Array): ModelProto {
  return onnx.ModelProto.decode(bytes);
}

/** The metadata_props of a serialised model as a plain object. */
export function readOnnxMetadata(bytes: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of decodeModel(bytes).metadataProps) out[p.key ?? ''] = p.value ?? '';
  return out;
}
