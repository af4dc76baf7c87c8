// A streaming writer of tiled TIFF / BigTIFF files: tile data is appended as it is produced, and
// the directories (IFDs) with their tile offset arrays are written after the last tile, so memory
// holds only the offset tables whatever the image size.
//
// Layout: a 16-byte header slot at 0 (patched at the end: 8 bytes for TIFF, 16 for BigTIFF), then
// tile and strip data in the order given, then per image its out-of-line tag values and its IFD.
// Whether the file is BigTIFF is decided at the end, from the real size ('auto').
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { TAG, TYPE, TYPE_BYTES } from '@slidepipe/openslide/tiff-tags';
import type { BigTiffMode } from './plan';

/** Bytes per element of `Entry.values`: a RATIONAL is stored as two flat LONG elements. */
function elementBytes(type: number): number {
  return type === TYPE.RATIONAL ? TYPE_BYTES[TYPE.LONG] : TYPE_BYTES[type];
}

/** What every image of the file shares the description of: JPEG-compressed 8-bit RGB. */
export interface ImageSpec {
  widthPx: number;
  heightPx: number;
  /** Tiled images only; absent for a single-strip image (a thumbnail). */
  tilePx?: number;
  description?: string;
  subfileType: number;
  photometric: number;
  compression: number;
  /** Pixels per centimetre (ResolutionUnit = centimetre), or none. */
  pxPerCm?: number;
  /** JPEG chroma subsampling, with YCbCr photometric. */
  ycbcrSubsampling?: [number, number];
  software?: string;
}

interface ImageState {
  spec: ImageSpec;
  across: number;
  down: number;
  offsets: Float64Array;
  counts: Float64Array;
}

/** Where an appended block of bytes lies, so several tiles can share it (e.g. bare glass). */
export interface DataRef {
  offset: number;
  bytes: number;
}

interface Entry {
  tag: number;
  type: number;
  values: number[] | Uint8Array;
}

const BUFFER_BYTES = 8 << 20;

export class TiledTiffWriter {
  readonly path: string;
  private readonly tempPath: string;
  private fd: number;
  private readonly mode: BigTiffMode;
  private readonly images: ImageState[] = [];
  private position = 16;
  private buffer = Buffer.allocUnsafe(BUFFER_BYTES);
  private buffered = 0;
  private closed = false;

  /** Writes to a temporary file beside `path`, renamed into place by finish(). */
  constructor(path: string, mode: BigTiffMode = 'auto') {
    this.path = path;
    this.mode = mode;
    this.tempPath = join(dirname(path), `.${basename(path)}.partial`);
    this.fd = openSync(this.tempPath, 'w');
    this.append(new Uint8Array(16));
  }

  /** Declares an image; directories are written in declaration order. Returns its index. */
  addImage(spec: ImageSpec): number {
    const tiled = spec.tilePx !== undefined;
    const across = tiled ? Math.ceil(spec.widthPx / spec.tilePx!) : 1;
    const down = tiled ? Math.ceil(spec.heightPx / spec.tilePx!) : 1;
    const offsets = new Float64Array(across * down).fill(-1);
    this.images.push({ spec, across, down, offsets, counts: new Float64Array(across * down) });
    return this.images.length - 1;
  }

  tilesAcross(image: number): number {
    return this.images[image].across;
  }

  tilesDown(image: number): number {
    return this.images[image].down;
  }

  /** Appends bytes (a JPEG tile or strip) and says where they went. */
  appendData(data: Uint8Array): DataRef {
    const ref = { offset: this.position, bytes: data.length };
    this.append(data);
    return ref;
  }

  /** Points tile (col, row) of an image at data already appended. */
  setTile(image: number, col: number, row: number, ref: DataRef): void {
    const im = this.images[image];
    if (col < 0 || row < 0 || col >= im.across || row >= im.down) {
      throw new Error(`tiff: tile (${col}, ${row}) outside image ${image} (${im.across} x ${im.down} tiles)`);
    }
    im.offsets[row * im.across + col] = ref.offset;
    im.counts[row * im.across + col] = ref.bytes;
  }

  writeTile(image: number, col: number, row: number, data: Uint8Array): DataRef {
    const ref = this.appendData(data);
    this.setTile(image, col, row, ref);
    return ref;
  }

  /** The single strip of an untiled image. */
  writeStrip(image: number, data: Uint8Array): void {
    this.writeTile(image, 0, 0, data);
  }

  /** Bytes written so far. */
  get bytesWritten(): number {
    return this.position;
  }

  /**
   * Writes the directories, patches the header and renames the file into place. Fails, leaving no
   * file, if any tile was never written.
   */
  finish(): { bytes: number; bigTiff: boolean } {
    for (const [i, im] of this.images.entries()) {
      const missing = im.offsets.indexOf(-1);
      if (missing >= 0) {
        this.abort();
        throw new Error(
          `tiff: image ${i} tile ${missing % im.across},${Math.floor(missing / im.across)} was never written`,
        );
      }
    }
    const classicEnd = this.trailerEnd(false);
    const big = this.mode === 'always' || (this.mode === 'auto' && classicEnd > 0xffffffff);
    if (!big && classicEnd > 0xffffffff) {
      this.abort();
      throw new Error(`tiff: ${classicEnd} bytes do not fit a classic TIFF (use BigTIFF)`);
    }
    const firstIfd = this.writeTrailer(big);
    this.flush();
    const header = Buffer.alloc(16);
    header.write('II', 0, 'latin1');
    if (big) {
      header.writeUInt16LE(43, 2);
      header.writeUInt16LE(8, 4);
      header.writeUInt16LE(0, 6);
      header.writeBigUInt64LE(BigInt(firstIfd), 8);
    } else {
      header.writeUInt16LE(42, 2);
      header.writeUInt32LE(firstIfd, 4);
    }
    writeSync(this.fd, header, 0, 16, 0);
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.closed = true;
    renameSync(this.tempPath, this.path);
    return { bytes: this.position, bigTiff: big };
  }

  /** Closes and removes the partial file. */
  abort(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
    try {
      unlinkSync(this.tempPath);
    } catch {
      // already gone
    }
  }

  private append(data: Uint8Array): void {
    if (this.buffered + data.length > this.buffer.length) this.flush();
    if (data.length > this.buffer.length) {
      writeSync(this.fd, data, 0, data.length, this.position);
    } else {
      this.buffer.set(data, this.buffered);
      this.buffered += data.length;
    }
    this.position += data.length;
  }

  private flush(): void {
    if (this.buffered === 0) return;
    const start = this.position - this.buffered;
    let done = 0;
    while (done < this.buffered) done += writeSync(this.fd, this.buffer, done, this.buffered - done, start + done);
    this.buffered = 0;
  }

  private entries(im: ImageState, big: boolean): Entry[] {
    const s = im.spec;
    const tiled = s.tilePx !== undefined;
    const offsetType = big ? TYPE.LONG8 : TYPE.LONG;
    const e: Entry[] = [
      { tag: TAG.NewSubfileType, type: TYPE.LONG, values: [s.subfileType] },
      { tag: TAG.ImageWidth, type: TYPE.LONG, values: [s.widthPx] },
      { tag: TAG.ImageLength, type: TYPE.LONG, values: [s.heightPx] },
      { tag: TAG.BitsPerSample, type: TYPE.SHORT, values: [8, 8, 8] },
      { tag: TAG.Compression, type: TYPE.SHORT, values: [s.compression] },
      { tag: TAG.Photometric, type: TYPE.SHORT, values: [s.photometric] },
      { tag: TAG.SamplesPerPixel, type: TYPE.SHORT, values: [3] },
      { tag: TAG.PlanarConfiguration, type: TYPE.SHORT, values: [1] },
    ];
    if (s.description !== undefined)
      e.push({ tag: TAG.ImageDescription, type: TYPE.ASCII, values: ascii(s.description) });
    if (s.software !== undefined) e.push({ tag: TAG.Software, type: TYPE.ASCII, values: ascii(s.software) });
    if (s.pxPerCm !== undefined) {
      // Rational with a fixed denominator: exact enough, and the same bytes every run.
      const r = [Math.round(s.pxPerCm * 1000), 1000];
      e.push({ tag: TAG.XResolution, type: TYPE.RATIONAL, values: r });
      e.push({ tag: TAG.YResolution, type: TYPE.RATIONAL, values: r });
      e.push({ tag: TAG.ResolutionUnit, type: TYPE.SHORT, values: [3] });
    }
    if (s.ycbcrSubsampling) e.push({ tag: TAG.YCbCrSubsampling, type: TYPE.SHORT, values: s.ycbcrSubsampling });
    if (tiled) {
      e.push({ tag: TAG.TileWidth, type: TYPE.LONG, values: [s.tilePx!] });
      e.push({ tag: TAG.TileLength, type: TYPE.LONG, values: [s.tilePx!] });
      e.push({ tag: TAG.TileOffsets, type: offsetType, values: Array.from(im.offsets) });
      e.push({ tag: TAG.TileByteCounts, type: TYPE.LONG, values: Array.from(im.counts) });
    } else {
      e.push({ tag: TAG.StripOffsets, type: offsetType, values: [im.offsets[0]] });
      e.push({ tag: TAG.RowsPerStrip, type: TYPE.LONG, values: [s.heightPx] });
      e.push({ tag: TAG.StripByteCounts, type: TYPE.LONG, values: [im.counts[0]] });
    }
    return e.sort((a, b) => a.tag - b.tag);
  }

  /** Where the file would end with this trailer (to choose between TIFF and BigTIFF). */
  private trailerEnd(big: boolean): number {
    let pos = this.position;
    for (const im of this.images) {
      pos = align(pos, big ? 8 : 2);
      for (const e of this.entries(im, big)) {
        const size = valueBytes(e);
        if (size > (big ? 8 : 4)) pos = align(pos + size, 2);
      }
      pos = align(pos, big ? 8 : 2) + ifdBytes(this.entries(im, big).length, big);
    }
    return pos;
  }

  /** Appends every image's out-of-line values and IFD; returns the first IFD's offset. */
  private writeTrailer(big: boolean): number {
    const ifdOffsets: number[] = [];
    const pending: { at: number; patch: Buffer }[] = [];
    for (const im of this.images) {
      this.pad(big ? 8 : 2);
      const entries = this.entries(im, big);
      // Values too large for the entry itself go first.
      const where = new Map<Entry, number>();
      for (const e of entries) {
        const size = valueBytes(e);
        if (size > (big ? 8 : 4)) {
          where.set(e, this.position);
          this.append(encodeValues(e));
          this.pad(2);
        }
      }
      this.pad(big ? 8 : 2);
      const ifdAt = this.position;
      ifdOffsets.push(ifdAt);
      const ifd = Buffer.alloc(ifdBytes(entries.length, big));
      let p = 0;
      if (big) {
        ifd.writeBigUInt64LE(BigInt(entries.length), 0);
        p = 8;
      } else {
        ifd.writeUInt16LE(entries.length, 0);
        p = 2;
      }
      for (const e of entries) {
        ifd.writeUInt16LE(e.tag, p);
        ifd.writeUInt16LE(e.type, p + 2);
        const count = e.type === TYPE.RATIONAL ? e.values.length / 2 : e.values.length;
        if (big) ifd.writeBigUInt64LE(BigInt(count), p + 4);
        else ifd.writeUInt32LE(count, p + 4);
        const valueAt = p + (big ? 12 : 8);
        const out = where.get(e);
        if (out !== undefined) {
          if (big) ifd.writeBigUInt64LE(BigInt(out), valueAt);
          else ifd.writeUInt32LE(out, valueAt);
        } else {
          Buffer.from(encodeValues(e)).copy(ifd, valueAt);
        }
        p += big ? 20 : 12;
      }
      // The next-IFD pointer is patched once the next IFD's place is known.
      pending.push({ at: ifdAt + p, patch: ifd });
      this.append(ifd);
    }
    // Link the chain: each IFD's last field points at the next (0 ends it).
    this.flush();
    for (let i = 0; i < pending.length; i++) {
      const next = i + 1 < ifdOffsets.length ? ifdOffsets[i + 1] : 0;
      const b = Buffer.alloc(big ? 8 : 4);
      if (big) b.writeBigUInt64LE(BigInt(next));
      else b.writeUInt32LE(next);
      writeSync(this.fd, b, 0, b.length, pending[i].at);
    }
    return ifdOffsets[0];
  }

  private pad(to: number): void {
    const extra = align(this.position, to) - this.position;
    if (extra > 0) this.append(new Uint8Array(extra));
  }
}

function align(v: number, to: number): number {
  return Math.ceil(v / to) * to;
}

function ascii(s: string): Uint8Array {
  const b = Buffer.from(`${s}\0`, 'latin1');
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

function ifdBytes(count: number, big: boolean): number {
  return big ? 8 + 20 * count + 8 : 2 + 12 * count + 4;
}

function valueBytes(e: Entry): number {
  return e.values.length * elementBytes(e.type);
}

function encodeValues(e: Entry): Uint8Array {
  if (e.type === TYPE.ASCII) return e.values as Uint8Array;
  const vals = e.values as number[];
  const b = Buffer.alloc(vals.length * elementBytes(e.type));
  for (let i = 0; i < vals.length; i++) {
    switch (e.type) {
      case TYPE.SHORT:
        b.writeUInt16LE(vals[i], i * 2);
        break;
      case TYPE.LONG:
      case TYPE.RATIONAL:
        b.writeUInt32LE(vals[i], i * 4);
        break;
      case TYPE.LONG8:
        b.writeBigUInt64LE(BigInt(vals[i]), i * 8);
        break;
    }
  }
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}
