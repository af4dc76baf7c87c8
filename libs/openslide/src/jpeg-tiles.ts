// The fast path for the commonest slides: when a pyramid level is a TIFF directory of JPEG tiles
// (Aperio SVS, generic tiled TIFF), read the tiles' bytes and decode them with libjpeg-turbo
// straight to BGRX, instead of asking OpenSlide 3.4.1, which decodes through libtiff's RGBA
// interface, converts, caches and paints every tile with cairo: about three times the CPU per
// patch. Anything else (other vendors, other compressions, odd layouts) stays with OpenSlide.
// Pixels are identical to OpenSlide's at level 0 and at levels with whole downsamples (tested).
// Where a level's downsample is fractional (2.0003), rectangles snap to whole level pixels while
// OpenSlide shifts by the fraction and interpolates: a few grey levels apart on average.
import { open, type FileHandle } from 'node:fs/promises';
import { SlidepipeError } from '@slidepipe/core';
import { decodeJpegAsync } from '@slidepipe/jpeg';
import type { Slide } from './slide';
import { readTiffDirectories, TiffFormatError, type TiffDirectory } from './tiff';
import { COMPRESSION_JPEG, PHOTOMETRIC_RGB, PHOTOMETRIC_YCBCR } from './tiff-tags';

// Vendors whose levels are exactly the file's tiled TIFF directories.
const TIFF_VENDORS = new Set(['aperio', 'generic-tiff']);
const WHITE = 255;
// An Adobe APP14 marker with transform 0 ("no colour transform"): tells libjpeg that the three
// components are R, G, B. Aperio's "JPEG/RGB" tiles (photometric RGB) carry component ids 0, 1, 2
// and no marker, which libjpeg would otherwise take for YCbCr; libtiff sets the colour space
// itself from the photometric tag.
const ADOBE_RGB_MARKER = Buffer.from([
  0xff, 0xee, 0x00, 0x0e, 0x41, 0x64, 0x6f, 0x62, 0x65, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00,
]);

export interface JpegTileLevel extends TiffDirectory {
  tileWidth: number;
  tileHeight: number;
  tileOffsets: Float64Array;
  tileByteCounts: Float64Array;
}

/** The TIFF directory holding `level` as plain JPEG tiles, or the reason the fast path does not apply. */
export function findJpegTileLevel(
  slide: Pick<Slide, 'path' | 'vendor' | 'levelDimensions'>,
  level: number,
): JpegTileLevel | string {
  if (!TIFF_VENDORS.has(slide.vendor ?? '')) return `vendor ${slide.vendor ?? 'unknown'} is read through OpenSlide`;
  let dirs: TiffDirectory[];
  try {
    dirs = readTiffDirectories(slide.path);
  } catch (e) {
    if (e instanceof TiffFormatError) return e.message;
    throw e;
  }
  const { width, height } = slide.levelDimensions[level];
  const dir = dirs.find((d) => d.width === width && d.height === height && d.tileWidth !== undefined);
  if (!dir) return `no tiled TIFF directory of ${width}x${height} px for level ${level}`;
  if (dir.compression !== COMPRESSION_JPEG) return `level ${level} has TIFF compression ${dir.compression}, not JPEG`;
  if (dir.photometric !== PHOTOMETRIC_YCBCR && dir.photometric !== PHOTOMETRIC_RGB)
    return `level ${level} has photometric ${dir.photometric}`;
  if (dir.samplesPerPixel !== 3 || (dir.planarConfig ?? 1) !== 1 || !(dir.bitsPerSample ?? [8]).every((b) => b === 8)) {
    return `level ${level} is not 8-bit interleaved RGB`;
  }
  const across = Math.ceil(dir.width / dir.tileWidth!);
  const down = Math.ceil(dir.height / dir.tileHeight!);
  if (dir.tileOffsets?.length !== across * down || dir.tileByteCounts?.length !== across * down)
    return `level ${level} has a tile table of the wrong length`;
  if (dir.jpegTables && !(dir.jpegTables[0] === 0xff && dir.jpegTables[1] === 0xd8))
    return `level ${level} has malformed JPEG tables`;
  return dir as JpegTileLevel;
}

/** Pixels read by JpegTileReader.readRegion: BGRX rows of `rowBytes`, the rectangle at `offset`. */
export interface TileRegion {
  data: Buffer;
  rowBytes: number;
  offset: number;
}

/** Reads rectangles of one level by decoding its JPEG tiles. */
export class JpegTileReader {
  private readonly across: number;
  private readonly down: number;
  // What goes before each tile's bytes (after dropping the tile's own SOI): SOI, the Adobe
  // marker for RGB tiles, the shared tables without their SOI and EOI.
  private readonly prefix: Buffer;

  private constructor(
    private readonly file: FileHandle,
    private readonly dir: JpegTileLevel,
    private readonly path: string,
  ) {
    this.across = Math.ceil(dir.width / dir.tileWidth);
    this.down = Math.ceil(dir.height / dir.tileHeight);
    const tables = dir.jpegTables;
    this.prefix = Buffer.concat([
      Buffer.from([0xff, 0xd8]),
      ...(dir.photometric === PHOTOMETRIC_RGB ? [ADOBE_RGB_MARKER] : []),
      ...(tables ? [tables.subarray(2, tables.length - 2)] : []),
    ]);
  }

  static async open(path: string, dir: JpegTileLevel): Promise<JpegTileReader> {
    return new JpegTileReader(await open(path, 'r'), dir, path);
  }

  /** One tile as a complete JPEG stream. */
  private async tileJpeg(index: number): Promise<Buffer | null> {
    const length = this.dir.tileByteCounts[index];
    if (length === 0) return null;
    const head = this.prefix.length;
    // The tile's own SOI is already in the prefix.
    const skip = 2;
    const bytes = Buffer.allocUnsafe(head + length - skip);
    this.prefix.copy(bytes, 0);
    const at = this.dir.tileOffsets[index];
    const { bytesRead } = await this.file.read(bytes, head, length - skip, at + skip);
    if (bytesRead !== length - skip) throw this.tileError(index, 'the file ends inside it');
    return bytes;
  }

  /** Bytes a buffer needs for readRegion of a w x h rectangle anywhere (it is widened to whole tiles). */
  bufferBytes(w: number, h: number): number {
    const { tileWidth: tw, tileHeight: th } = this.dir;
    return (Math.floor((w - 1) / tw) + 2) * tw * (Math.floor((h - 1) / th) + 2) * th * 4;
  }

  /**
   * The w x h rectangle at level pixel (x, y) as BGRX. The rectangle is widened to whole tiles,
   * each decoded straight into its place in `into` (no copies); the result says where the asked
   * rectangle starts and the row stride. Areas outside the level, and tiles the file leaves
   * out, are white, as OpenSlide's reads composited on white are.
   */
  async readRegion(x: number, y: number, w: number, h: number, into: Buffer): Promise<TileRegion> {
    const { tileWidth: tw, tileHeight: th, width, height } = this.dir;
    const tx0 = Math.floor(x / tw);
    const ty0 = Math.floor(y / th);
    const tilesAcross = Math.floor((x + w - 1) / tw) - tx0 + 1;
    const tilesDown = Math.floor((y + h - 1) / th) - ty0 + 1;
    const outW = tilesAcross * tw;
    const outH = tilesDown * th;
    const rowBytes = outW * 4;
    if (into.byteLength < rowBytes * outH)
      throw new RangeError(`into: ${outW}x${outH} px need ${rowBytes * outH} bytes, got ${into.byteLength}`);
    const out = into.subarray(0, rowBytes * outH);
    const jobs: Promise<unknown>[] = [];
    for (let j = 0; j < tilesDown; j++) {
      for (let i = 0; i < tilesAcross; i++) {
        const tx = tx0 + i;
        const ty = ty0 + j;
        const at = (j * th * outW + i * tw) * 4;
        const index = ty * this.across + tx;
        const inside = tx >= 0 && ty >= 0 && tx < this.across && ty < this.down;
        if (!inside || this.dir.tileByteCounts[index] === 0) {
          for (let row = 0; row < th; row++) out.fill(WHITE, at + row * rowBytes, at + row * rowBytes + tw * 4);
          continue;
        }
        jobs.push(this.decodeTile(index, out.subarray(at), rowBytes));
      }
    }
    const done = await Promise.allSettled(jobs);
    const failed = done.find((d) => d.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    // Edge tiles are padded beyond the image: whiten what lies outside it.
    const ox = tx0 * tw;
    const oy = ty0 * th;
    const rightPx = Math.max(0, ox + outW - width);
    const firstRowBelow = Math.max(0, Math.min(outH, height - oy));
    for (let row = 0; row < firstRowBelow && rightPx > 0; row++)
      out.fill(WHITE, (row * outW + outW - rightPx) * 4, (row + 1) * rowBytes);
    if (firstRowBelow < outH) out.fill(WHITE, firstRowBelow * rowBytes);
    return { data: out, rowBytes, offset: ((y - oy) * outW + (x - ox)) * 4 };
  }

  /** A damaged tile reads like OpenSlide's errors: what failed, why, and the slide. */
  private tileError(index: number, cause: string): SlidepipeError {
    return new SlidepipeError(
      'bad-input',
      `cannot read tile ${index} of directory ${this.dir.index}`,
      `${cause} (slide ${this.path})`,
    );
  }

  private async decodeTile(index: number, into: Buffer, rowBytes: number): Promise<void> {
    const jpeg = await this.tileJpeg(index);
    const { tileWidth: tw, tileHeight: th } = this.dir;
    let tile;
    try {
      // A tile larger than the directory says fails the size check before anything is written;
      // a smaller one is refused below.
      tile = await decodeJpegAsync(jpeg!, {
        pixelFormat: 'bgrx',
        into: into.subarray(0, rowBytes * (th - 1) + tw * 4),
        rowBytes,
      });
    } catch (e) {
      throw this.tileError(index, (e as Error).message);
    }
    if (tile.width !== tw || tile.height !== th)
      throw this.tileError(index, `it decodes to ${tile.width}x${tile.height} px, expected ${tw}x${th}`);
  }

  close(): Promise<void> {
    return this.file.close();
  }
}
