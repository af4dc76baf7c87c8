// Just enough of TIFF (classic and BigTIFF, either byte order) to find the JPEG tiles of a
// pyramid level: image and tile sizes, compression, colour layout, tile offsets and byte counts,
// and the shared JPEG tables.
import { closeSync, openSync, readSync } from 'node:fs';
import { SlidepipeError } from '@slidepipe/core';
import { TAG, TYPE, TYPE_BYTES } from './tiff-tags';

/** One image file directory, with the tags this reader needs decoded (absent tags are undefined). */
export interface TiffDirectory {
  index: number;
  width: number;
  height: number;
  compression?: number;
  photometric?: number;
  samplesPerPixel?: number;
  bitsPerSample?: number[];
  planarConfig?: number;
  tileWidth?: number;
  tileHeight?: number;
  tileOffsets?: Float64Array;
  tileByteCounts?: Float64Array;
  jpegTables?: Buffer;
}

const MAX_DIRECTORIES = 64;

/** Not a TIFF, or one cut short: the direct reader then leaves the slide to OpenSlide. */
export class TiffFormatError extends SlidepipeError {
  override name = 'TiffFormatError';
  constructor(message: string) {
    super('bad-input', message, undefined, { reason: 'TIFF_FORMAT' });
  }
}

class Reader {
  private fd: number;
  constructor(readonly path: string) {
    this.fd = openSync(path, 'r');
  }
  bytes(at: number, n: number): Buffer {
    const b = Buffer.alloc(n);
    let got = 0;
    while (got < n) {
      const k = readSync(this.fd, b, got, n - got, at + got);
      if (k === 0) throw new TiffFormatError(`${this.path}: cut short at byte ${at + got}`);
      got += k;
    }
    return b;
  }
  close(): void {
    closeSync(this.fd);
  }
}

/** The directories of a TIFF file, first to last. Throws TiffFormatError when it is not a TIFF. */
export function readTiffDirectories(path: string): TiffDirectory[] {
  const r = new Reader(path);
  try {
    const head = r.bytes(0, 16);
    const order = head.toString('latin1', 0, 2);
    if (order !== 'II' && order !== 'MM') throw new TiffFormatError(`${path}: not a TIFF file`);
    const le = order === 'II';
    const u16 = (b: Buffer, at: number) => (le ? b.readUInt16LE(at) : b.readUInt16BE(at));
    const u32 = (b: Buffer, at: number) => (le ? b.readUInt32LE(at) : b.readUInt32BE(at));
    const u64 = (b: Buffer, at: number) => Number(le ? b.readBigUInt64LE(at) : b.readBigUInt64BE(at));
    const magic = u16(head, 2);
    if (magic !== 42 && magic !== 43) throw new TiffFormatError(`${path}: not a TIFF file (version ${magic})`);
    const big = magic === 43;
    const entryBytes = big ? 20 : 12;
    const inlineBytes = big ? 8 : 4;
    const dirs: TiffDirectory[] = [];
    let next = big ? u64(head, 8) : u32(head, 4);
    while (next !== 0 && dirs.length < MAX_DIRECTORIES) {
      const countBytes = r.bytes(next, big ? 8 : 2);
      const n = big ? u64(countBytes, 0) : u16(countBytes, 0);
      const start = next + (big ? 8 : 2);
      const raw = r.bytes(start, n * entryBytes + (big ? 8 : 4));
      const values = new Map<number, { type: number; count: number; data: () => Buffer }>();
      for (let i = 0; i < n; i++) {
        const e = i * entryBytes;
        const tag = u16(raw, e);
        const type = u16(raw, e + 2);
        const count = big ? u64(raw, e + 4) : u32(raw, e + 4);
        const valueAt = e + (big ? 12 : 8);
        const size = (TYPE_BYTES[type] ?? 1) * count;
        const data =
          size <= inlineBytes
            ? () => raw.subarray(valueAt, valueAt + size)
            : () => r.bytes(big ? u64(raw, valueAt) : u32(raw, valueAt), size);
        values.set(tag, { type, count, data });
      }
      next = big ? u64(raw, n * entryBytes) : u32(raw, n * entryBytes);
      const ints = (tag: number): number[] | undefined => {
        const v = values.get(tag);
        if (!v) return undefined;
        const b = v.data();
        const out: number[] = [];
        for (let k = 0; k < v.count; k++) {
          if (v.type === TYPE.SHORT) out.push(u16(b, 2 * k));
          else if (v.type === TYPE.LONG) out.push(u32(b, 4 * k));
          else if (v.type === TYPE.LONG8) out.push(u64(b, 8 * k));
          else throw new TiffFormatError(`${path}: tag ${tag} has type ${v.type}, expected an integer type`);
        }
        return out;
      };
      const one = (tag: number) => ints(tag)?.[0];
      const tables = values.get(TAG.JPEGTables);
      dirs.push({
        index: dirs.length,
        width: one(TAG.ImageWidth) ?? 0,
        height: one(TAG.ImageLength) ?? 0,
        compression: one(TAG.Compression),
        photometric: one(TAG.Photometric),
        samplesPerPixel: one(TAG.SamplesPerPixel),
        bitsPerSample: ints(TAG.BitsPerSample),
        planarConfig: one(TAG.PlanarConfiguration),
        tileWidth: one(TAG.TileWidth),
        tileHeight: one(TAG.TileLength),
        tileOffsets: values.has(TAG.TileOffsets) ? Float64Array.from(ints(TAG.TileOffsets)!) : undefined,
        tileByteCounts: values.has(TAG.TileByteCounts) ? Float64Array.from(ints(TAG.TileByteCounts)!) : undefined,
        jpegTables: tables ? Buffer.from(tables.data()) : undefined,
      });
    }
    return dirs;
  } finally {
    r.close();
  }
}
