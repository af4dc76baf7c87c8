// Binary columns (JPEG patches, nearly all the bytes of a row group) are written as Parquet pages
// straight from the Arrow buffers: PLAIN, uncompressed, no statistics, as hyparquet-writer would
// write them, but without a JS object per value, without its doubling page buffers and without
// the copy that re-serialises each page header for its checksum. Each page goes out in one writev
// (header, levels, then length prefixes interleaved with slices of the Arrow values buffer).
import { writevSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import type { ColumnChunk, OffsetIndex } from 'hyparquet';
import { ByteWriter } from 'hyparquet-writer';
import { writePageHeader } from 'hyparquet-writer/src/datapage.js';
import { writeRleBitPackedHybrid } from 'hyparquet-writer/src/encoding.js';

/** The Arrow buffers of one Binary column slice (apache-arrow `Data<Binary>`). */
export interface BinaryData {
  offset: number;
  length: number;
  valueOffsets: Int32Array;
  values: Uint8Array;
  nullBitmap?: Uint8Array;
  nullCount: number;
}

/** What a column chunk adds to the row group and to the offset indexes at the end of the file. */
export interface WrittenChunk {
  chunk: ColumnChunk;
  offsetIndex?: OffsetIndex;
}

// Bounded well under IOV_MAX (1024), so a page of tiny values becomes several writev calls.
const MAX_IOV = 512;

/** Writes `pieces` at the current position of `fd`, however the kernel splits the write. */
export function writeAllv(fd: number, pieces: Uint8Array[]): number {
  let total = 0;
  for (let at = 0; at < pieces.length; at += MAX_IOV) {
    let batch = pieces.slice(at, at + MAX_IOV);
    let want = batch.reduce((s, p) => s + p.byteLength, 0);
    total += want;
    while (want > 0) {
      let n = writevSync(fd, batch);
      want -= n;
      if (want === 0) break;
      // A short write: drop what went out and go on from the middle of the piece it stopped in.
      let i = 0;
      while (n >= batch[i].byteLength) n -= batch[i++].byteLength;
      batch = [batch[i].subarray(n), ...batch.slice(i + 1)];
    }
  }
  return total;
}

/**
 * Writes one column chunk of BYTE_ARRAY values, `parts` in order, at file offset `offset` of
 * `fd`, in data pages (v2) of about `pageSize` bytes, each with its CRC32. `optional` columns
 * get definition levels; a null in a required column is an error.
 */
export function writeBinaryChunk(
  fd: number,
  offset: number,
  name: string,
  parts: BinaryData[],
  optional: boolean,
  pageSize: number,
): WrittenChunk {
  const start = offset;
  const locations: NonNullable<OffsetIndex['page_locations']> = [];
  let uncompressed = 0;
  let numValues = 0;
  let rowsBefore = 0;
  // The page being gathered: its pieces, definition levels and sizes.
  let pieces: Uint8Array[] = [];
  let levels = new Uint8Array(64);
  let pageValues = 0;
  let pageNulls = 0;
  let pageBytes = 0;
  let valueBytes = 0;
  let lengths = new DataView(new ArrayBuffer(4 * 64));
  let lengthsAt = 0;

  const flushPage = () => {
    let levelBytes = new Uint8Array(0);
    if (optional) {
      const lw = new ByteWriter(16 + (pageValues >> 3));
      writeRleBitPackedHybrid(lw, levels.subarray(0, pageValues), 1);
      levelBytes = lw.getBytes();
    }
    let crc = crc32(levelBytes);
    for (const p of pieces) crc = crc32(p, crc);
    const size = levelBytes.byteLength + pageBytes;
    const hw = new ByteWriter(64);
    writePageHeader(hw, {
      type: 'DATA_PAGE_V2',
      uncompressed_page_size: size,
      compressed_page_size: size,
      crc: crc | 0,
      data_page_header_v2: {
        num_values: pageValues,
        num_nulls: pageNulls,
        num_rows: pageValues,
        encoding: 'PLAIN',
        definition_levels_byte_length: levelBytes.byteLength,
        repetition_levels_byte_length: 0,
        is_compressed: false,
      },
    });
    const written = writeAllv(fd, [hw.getBytes(), levelBytes, ...pieces]);
    locations.push({ offset: BigInt(offset), compressed_page_size: written, first_row_index: BigInt(rowsBefore) });
    offset += written;
    uncompressed += written;
    rowsBefore += pageValues;
    pieces = [];
    pageValues = pageNulls = pageBytes = valueBytes = 0;
    // Written out: the prefix buffer is free again.
    lengthsAt = 0;
  };

  for (const d of parts) {
    const bitmap = d.nullCount > 0 ? d.nullBitmap : undefined;
    const offs = d.valueOffsets;
    for (let i = 0; i < d.length; i++) {
      const valid = !bitmap || (bitmap[(d.offset + i) >> 3] >> ((d.offset + i) & 7)) & 1;
      const a = offs[i];
      const len = valid ? offs[i + 1] - a : 0;
      // Pages cut as hyparquet-writer cuts them: the value that reaches pageSize starts the next.
      if (pageValues > 0 && valueBytes + len >= pageSize) flushPage();
      if (pageValues === levels.length) {
        const grown = new Uint8Array(levels.length * 2);
        grown.set(levels);
        levels = grown;
      }
      numValues++;
      if (!valid) {
        if (!optional) throw new Error(`parquet column "${name}": null in a column that is not nullable`);
        levels[pageValues++] = 0;
        pageNulls++;
        continue;
      }
      levels[pageValues++] = 1;
      // Length prefixes go in shared buffers: the pieces of a page point into them, so a full one
      // is left to them and a new one begun.
      if (lengthsAt === lengths.byteLength) {
        lengths = new DataView(new ArrayBuffer(lengths.byteLength * 2));
        lengthsAt = 0;
      }
      lengths.setUint32(lengthsAt, len, true);
      pieces.push(new Uint8Array(lengths.buffer, lengthsAt, 4), d.values.subarray(a, a + len));
      lengthsAt += 4;
      pageBytes += 4 + len;
      valueBytes += len;
    }
  }
  if (pageValues > 0 || locations.length === 0) flushPage();

  return {
    chunk: {
      meta_data: {
        type: 'BYTE_ARRAY',
        encodings: ['PLAIN'],
        path_in_schema: [name],
        codec: 'UNCOMPRESSED',
        num_values: BigInt(numValues),
        total_compressed_size: BigInt(offset - start),
        total_uncompressed_size: BigInt(uncompressed),
        data_page_offset: BigInt(start),
      },
      file_offset: BigInt(start),
    },
    // As hyparquet-writer: an offset index only for chunks of several pages.
    offsetIndex: locations.length > 1 ? { page_locations: locations } : undefined,
  };
}
