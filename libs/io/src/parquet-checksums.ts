// Page CRC32 checksums (PageHeader.crc in the Parquet format): hyparquet-writer leaves the field
// empty and hyparquet does not check it, so the writer re-serialises each page header of a row
// group with its checksum before the bytes reach the file, and the reader checks every page that
// carries one. The checksum covers the page bytes after the header, as parquet-mr, Arrow C++ and
// DuckDB compute it.
import { crc32 } from 'node:zlib';
import type { ColumnChunk, PageHeader, RowGroup } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';
import { ByteWriter } from 'hyparquet-writer';
import { writePageHeader } from 'hyparquet-writer/src/datapage.js';

/** Page locations of one column chunk, as hyparquet-writer keeps them for the offset index. */
export interface PendingOffsetIndex {
  chunk: ColumnChunk;
  offsetIndex?: { page_locations: { offset: bigint; compressed_page_size: number }[] };
}

const chunkStart = (c: ColumnChunk) => Number(c.meta_data!.dictionary_page_offset ?? c.meta_data!.data_page_offset);

/**
 * Rewrites the bytes of one row group (`bytes`, which start at file offset `base`) with a
 * checksum in every page header, and moves the offsets in its metadata and offset indexes to
 * match. Returns the new bytes; the caller writes them at `base`.
 */
export function addPageChecksums(
  bytes: Uint8Array,
  base: number,
  group: RowGroup,
  indexes: PendingOffsetIndex[],
): Uint8Array {
  const out = new ByteWriter(bytes.byteLength + group.columns.length * 64);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let written = 0;
  for (const c of group.columns) {
    const md = c.meta_data!;
    const start = chunkStart(c) - base;
    const end = start + Number(md.total_compressed_size);
    // Bytes between chunks (none today) are kept as they are.
    if (start > written) out.appendBytes(bytes.subarray(written, start));
    const locations = indexes.find((p) => p.chunk === c)?.offsetIndex?.page_locations;
    const newStart = base + out.offset;
    const reader = { view, offset: start };
    while (reader.offset < end) {
      const oldPage = base + reader.offset;
      const header: PageHeader = parquetHeader(reader);
      const payload = bytes.subarray(reader.offset, reader.offset + header.compressed_page_size);
      reader.offset += header.compressed_page_size;
      const newPage = base + out.offset;
      if (header.type !== 'DICTIONARY_PAGE' && BigInt(oldPage) === md.data_page_offset)
        md.data_page_offset = BigInt(newPage);
      writePageHeader(out, { ...header, crc: crc32(payload) | 0 });
      out.appendBytes(payload);
      const loc = locations?.find((l) => l.offset === BigInt(oldPage));
      if (loc) {
        loc.offset = BigInt(newPage);
        loc.compressed_page_size = base + out.offset - newPage;
      }
    }
    if (md.dictionary_page_offset !== undefined) md.dictionary_page_offset = BigInt(newStart);
    md.total_compressed_size = BigInt(base + out.offset - newStart);
    c.file_offset = BigInt(newStart);
    written = end;
  }
  if (written < bytes.byteLength) out.appendBytes(bytes.subarray(written));
  group.total_compressed_size = BigInt(out.offset);
  return out.getBytes();
}

/** The largest page slidepipe decodes: a damaged header must not make the reader allocate more. */
export const MAX_PAGE_BYTES = 1 << 30;

/**
 * Checks every page of a column chunk before it is decoded: the checksum where the page carries
 * one (files of other writers may have none), and its header against the chunk's metadata (value
 * counts add up, row counts within the row group, sizes within bounds), since the checksum does
 * not cover the header. `bytes` hold the chunk and start at file offset `base`. Returns the
 * problem, or null when the chunk is sound.
 */
export function checkPageChecksums(
  bytes: Uint8Array,
  base: number,
  chunk: ColumnChunk,
  groupRows: number,
): string | null {
  const md = chunk.meta_data!;
  const start = chunkStart(chunk) - base;
  const end = start + Number(md.total_compressed_size);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const reader = { view, offset: start };
  const column = md.path_in_schema.join('.');
  const declared = Number(md.num_values);
  let values = 0;
  let dictionary = false;
  while (reader.offset < end) {
    const at = base + reader.offset;
    let header: PageHeader;
    try {
      header = parquetHeader(reader);
    } catch (e) {
      return `column "${column}": unreadable page header at byte ${at} (${(e as Error).message})`;
    }
    const size = header.compressed_page_size;
    const full = header.uncompressed_page_size;
    if (!(Number.isInteger(size) && size >= 0 && reader.offset + size <= end))
      return `column "${column}": page at byte ${at} runs past its column chunk`;
    if (!(Number.isInteger(full) && full >= 0 && full <= MAX_PAGE_BYTES))
      return `column "${column}": page at byte ${at} claims ${full} bytes uncompressed`;
    if (md.codec === 'UNCOMPRESSED' && full !== size)
      return `column "${column}": uncompressed page at byte ${at} has two sizes (${size}, ${full})`;
    const v2 = header.data_page_header_v2;
    const n = header.data_page_header?.num_values ?? v2?.num_values;
    if (header.type === 'DATA_PAGE' || header.type === 'DATA_PAGE_V2') {
      if (!(Number.isInteger(n) && n! >= 0 && values + n! <= declared))
        return `column "${column}": page at byte ${at} holds ${n} values, more than its column chunk's ${declared}`;
      if (
        v2 &&
        !(
          Number.isInteger(v2.num_rows) &&
          v2.num_rows >= 0 &&
          v2.num_rows <= groupRows &&
          Number.isInteger(v2.num_nulls) &&
          v2.num_nulls >= 0 &&
          v2.num_nulls <= v2.num_values
        )
      ) {
        return `column "${column}": page at byte ${at} claims ${v2.num_rows} rows, ${v2.num_nulls} nulls in a row group of ${groupRows}`;
      }
      // The thrift fields the decoder needs; a damaged header can drop any of them.
      const levels = v2 ? v2.definition_levels_byte_length + v2.repetition_levels_byte_length : 0;
      if (
        v2 &&
        !(
          Number.isInteger(levels) &&
          v2.definition_levels_byte_length >= 0 &&
          v2.repetition_levels_byte_length >= 0 &&
          levels <= Math.min(size, full)
        )
      ) {
        return `column "${column}": page at byte ${at} has level lengths ${v2.definition_levels_byte_length}, ${v2.repetition_levels_byte_length} for ${size} bytes`;
      }
      const encoding = v2?.encoding ?? header.data_page_header?.encoding;
      if (typeof encoding !== 'string') return `column "${column}": page at byte ${at} has an unknown encoding`;
      // A damaged footer can lose the dictionary page offset: indices would decode as values.
      if ((encoding === 'RLE_DICTIONARY' || encoding === 'PLAIN_DICTIONARY') && !dictionary)
        return `column "${column}": dictionary-encoded page at byte ${at} without a dictionary page`;
      values += n!;
    } else if (header.type === 'DICTIONARY_PAGE') {
      const entries = header.dictionary_page_header?.num_values;
      if (!(Number.isInteger(entries) && entries! >= 0 && entries! <= Math.max(declared, 1)))
        return `column "${column}": dictionary page at byte ${at} holds ${entries} entries for ${declared} values`;
      if (values > 0 || dictionary) return `column "${column}": dictionary page at byte ${at} after the first page`;
      dictionary = true;
    }
    if (header.crc !== undefined) {
      const got = crc32(bytes.subarray(reader.offset, reader.offset + size)) | 0;
      if (got !== header.crc) return `column "${column}": page checksum mismatch at byte ${at}`;
    }
    reader.offset += size;
  }
  if (values !== declared) return `column "${column}": its pages hold ${values} values, its metadata says ${declared}`;
  return null;
}

/** What is wrong with where a row group's column chunks lie (overlapping, outside the data), or null. */
export function chunkLayoutProblem(columns: ColumnChunk[], fileBytes: number): string | null {
  if (!Array.isArray(columns) || !columns.length) return 'a row group without columns';
  const bad = columns.findIndex((c) => !c?.meta_data || !Array.isArray(c.meta_data.path_in_schema));
  if (bad >= 0) return `column chunk ${bad} without its metadata`;
  const ranges = columns
    .map((c) => [...chunkRange(c), c.meta_data!.path_in_schema.join('.')] as const)
    .sort((a, b) => a[0] - b[0]);
  for (const [i, [start, end, name]] of ranges.entries()) {
    if (!(Number.isInteger(start) && start >= 4 && end >= start && end <= fileBytes - 8))
      return `column "${name}": chunk at bytes ${start}..${end} outside the file's data`;
    if (i > 0 && start < ranges[i - 1][1]) return `columns "${ranges[i - 1][2]}" and "${name}" overlap`;
  }
  return null;
}

/** The byte range [start, end) of a column chunk in the file. */
export function chunkRange(chunk: ColumnChunk): [number, number] {
  const start = chunkStart(chunk);
  return [start, start + Number(chunk.meta_data!.total_compressed_size)];
}
