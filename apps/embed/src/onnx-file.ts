// Reads what a backbone loader needs from an .onnx file without loading its weights: the top-level
// fields of ModelProto (ir_version, graph present, metadata_props), walked with positional reads
// so a 1 GB model costs a few small reads. A file that does not parse as ModelProto is not a model.
import { closeSync, openSync, readSync, fstatSync } from 'node:fs';

export interface OnnxFileInfo {
  irVersion: number;
  producer: string;
  metadata: Record<string, string>;
}

// ModelProto field numbers (onnx/onnx.proto3).
const F_IR_VERSION = 1;
const F_PRODUCER_NAME = 2;
const F_GRAPH = 7;
const F_METADATA_PROPS = 14;
const MAX_STRING_FIELD = 16 << 20;

class NotAModel extends Error {}

class Reader {
  private pos = 0;
  private buf = Buffer.alloc(16);
  constructor(
    private readonly fd: number,
    readonly size: number,
  ) {}
  get offset(): number {
    return this.pos;
  }
  private byte(): number {
    if (this.pos >= this.size) throw new NotAModel('ends inside a field');
    readSync(this.fd, this.buf, 0, 1, this.pos++);
    return this.buf[0];
  }
  varint(): number {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
    }
    throw new NotAModel('malformed varint');
  }
  skip(n: number): void {
    if (n < 0 || this.pos + n > this.size) throw new NotAModel('a field runs past the end of the file');
    this.pos += n;
  }
  bytes(n: number): Buffer {
    if (n > MAX_STRING_FIELD) throw new NotAModel(`a ${n}-byte string field`);
    if (this.pos + n > this.size) throw new NotAModel('a field runs past the end of the file');
    const out = Buffer.alloc(n);
    if (n) readSync(this.fd, out, 0, n, this.pos);
    this.pos += n;
    return out;
  }
}

/** A StringStringEntryProto: key = 1, value = 2. */
function parseEntry(b: Buffer): [string, string] {
  let i = 0;
  const varint = () => {
    let v = 0;
    let mul = 1;
    for (;;) {
      if (i >= b.length) throw new NotAModel('malformed metadata entry');
      const x = b[i++];
      v += (x & 0x7f) * mul;
      if (x < 0x80) return v;
      mul *= 128;
    }
  };
  let key = '';
  let value = '';
  while (i < b.length) {
    const tag = varint();
    if ((tag & 7) !== 2) throw new NotAModel('malformed metadata entry');
    const len = varint();
    if (i + len > b.length) throw new NotAModel('malformed metadata entry');
    const s = b.subarray(i, i + len).toString('utf8');
    if (tag >> 3 === 1) key = s;
    else if (tag >> 3 === 2) value = s;
    i += len;
  }
  return [key, value];
}

/**
 * The top-level facts of an ONNX file. Throws an Error whose message says why the file is not an
 * ONNX model (bad wire format, no graph, no IR version).
 */
export function scanOnnxFile(path: string): OnnxFileInfo {
  const fd = openSync(path, 'r');
  try {
    const r = new Reader(fd, fstatSync(fd).size);
    if (r.size === 0) throw new NotAModel('the file is empty');
    let irVersion = 0;
    let graph = false;
    let producer = '';
    const metadata: Record<string, string> = {};
    while (r.offset < r.size) {
      const tag = r.varint();
      const field = Math.floor(tag / 8);
      const wire = tag & 7;
      if (field === 0) throw new NotAModel('field number 0');
      if (wire === 0) {
        const v = r.varint();
        if (field === F_IR_VERSION) irVersion = v;
      } else if (wire === 1) r.skip(8);
      else if (wire === 5) r.skip(4);
      else if (wire === 2) {
        const len = r.varint();
        if (field === F_METADATA_PROPS) {
          const [k, v] = parseEntry(r.bytes(len));
          metadata[k] = v;
        } else if (field === F_PRODUCER_NAME) producer = r.bytes(len).toString('utf8');
        else {
          if (field === F_GRAPH) graph = true;
          r.skip(len);
        }
      } else throw new NotAModel(`wire type ${wire}`);
    }
    if (!graph) throw new NotAModel('no graph');
    if (irVersion < 1) throw new NotAModel('no IR version');
    return { irVersion, producer, metadata };
  } catch (e) {
    if (e instanceof NotAModel) throw new Error(`not an ONNX model (${e.message})`);
    throw e;
  } finally {
    closeSync(fd);
  }
}
