// The two other DigiLut files: the validation list (`filename,max_x,max_y,trustii_id`, one row per
// expected box) and a submission (`trustii_id,filename,x1,x2,y1,y2`, one box per trustii_id).
import { inputError } from '@slidepipe/core';
import type { Box } from './box';
import { slideIdOfFilename, splitDelimited } from './digilut-csv';

/** A slide of the validation list: its boxes' trustii_ids in file order and its size when given. */
export interface ListedSlide {
  slideId: string;
  filename: string;
  trustiiIds: string[];
  width0: number | null;
  height0: number | null;
}

export function readDigilutValidationCsv(text: string, source: string): Map<string, ListedSlide> {
  const lines = splitDelimited(text);
  if (!lines.length) throw inputError(source, 'empty file (expected the header filename,max_x,max_y,trustii_id)');
  const header = lines[0].fields.map((h) => h.toLowerCase());
  const at = (n: string) => header.indexOf(n);
  const [file, id, mx, my] = [at('filename'), at('trustii_id'), at('max_x'), at('max_y')];
  if (file < 0 || id < 0) {
    throw inputError(
      source,
      `expected the columns filename and trustii_id (and max_x, max_y), got ${JSON.stringify(lines[0].fields.join(','))}`,
    );
  }
  const slides = new Map<string, ListedSlide>();
  const seen = new Set<string>();
  for (const { line, fields } of lines.slice(1)) {
    const filename = fields[file] ?? '';
    const trustii = fields[id] ?? '';
    if (!filename || !trustii)
      throw inputError(`${source}:${line}`, 'expected a filename and a trustii_id, got an empty field');
    if (seen.has(trustii)) throw inputError(`${source}:${line}`, `trustii_id ${trustii} appears twice`);
    seen.add(trustii);
    const size = (c: number): number | null => {
      if (c < 0 || (fields[c] ?? '') === '') return null;
      const v = Number(fields[c]);
      if (!(Number.isInteger(v) && v > 0))
        throw inputError(
          `${source}:${line}`,
          `${header[c]}: expected a positive integer, got ${JSON.stringify(fields[c])}`,
        );
      return v;
    };
    const slideId = slideIdOfFilename(filename);
    let s = slides.get(slideId);
    if (!s) slides.set(slideId, (s = { slideId, filename, trustiiIds: [], width0: size(mx), height0: size(my) }));
    s.trustiiIds.push(trustii);
  }
  return slides;
}

const BOX_COLUMNS = ['x1', 'x2', 'y1', 'y2'] as const;

/**
 * Which DigiLut box file the first line of `head` opens: a submission (the four corners and a
 * trustii_id or filename), the train/truth box CSV (also max_x, max_y), or neither (null).
 */
export function digilutCsvKind(head: string): 'submission' | 'boxes' | null {
  const first = head.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
  const cols = first.split(',').map((c) => c.trim().replace(/^"|"$/g, '').toLowerCase());
  if (!BOX_COLUMNS.every((c) => cols.includes(c)) || !(cols.includes('trustii_id') || cols.includes('filename')))
    return null;
  return cols.includes('max_x') && cols.includes('max_y') ? 'boxes' : 'submission';
}

export interface Submission {
  /** Boxes per slide in file order; with a validation list, every listed slide (answered or not). */
  bySlide: Map<string, Box[]>;
  /** trustii_ids of the validation list with no row in the submission. */
  unanswered: string[];
}

/**
 * A DigiLut submission, columns found by name (the published header and the winners' files order
 * them differently). Each row's slide is its filename; with the validation list, a trustii_id
 * names the slide too (an empty filename is filled in, a filename that disagrees is an error).
 * A row without a usable box, a trustii_id twice or one the list does not know stops the read.
 */
export function readDigilutSubmissionCsv(
  text: string,
  source: string,
  validation?: Map<string, ListedSlide>,
): Submission {
  const lines = splitDelimited(text);
  if (!lines.length) throw inputError(source, 'empty file (expected the header trustii_id,filename,x1,x2,y1,y2)');
  const header = lines[0].fields.map((h) => h.toLowerCase());
  const at = (n: string) => header.indexOf(n);
  const [file, id] = [at('filename'), at('trustii_id')];
  const corners = BOX_COLUMNS.map(at);
  if (corners.some((c) => c < 0) || (file < 0 && id < 0)) {
    throw inputError(
      source,
      `expected the columns x1,x2,y1,y2 and filename or trustii_id, got ${JSON.stringify(lines[0].fields.join(','))}`,
    );
  }
  if (file < 0 && !validation)
    throw inputError(
      source,
      'has no filename column: give the validation list (--validation) to map trustii_id to slides',
    );
  const slideOfTrustii = new Map<string, string>();
  for (const s of validation?.values() ?? []) for (const t of s.trustiiIds) slideOfTrustii.set(t, s.slideId);
  const bySlide = new Map<string, Box[]>();
  for (const s of validation?.keys() ?? []) bySlide.set(s, []);
  const answered = new Set<string>();
  for (const { line, fields } of lines.slice(1)) {
    const where = `${source}:${line}`;
    if (fields.length !== header.length) throw inputError(where, `${fields.length} fields, expected ${header.length}`);
    const trustii = id >= 0 ? fields[id] : '';
    const filename = file >= 0 ? fields[file] : '';
    let slide = filename ? slideIdOfFilename(filename) : null;
    if (trustii && validation) {
      const listed = slideOfTrustii.get(trustii);
      if (!listed) throw inputError(where, `trustii_id ${trustii} is not in the validation list`);
      if (slide !== null && slide !== listed)
        throw inputError(
          where,
          `trustii_id ${trustii} belongs to ${listed} in the validation list, not to ${filename}`,
        );
      slide = listed;
    }
    if (trustii) {
      if (answered.has(trustii)) throw inputError(where, `trustii_id ${trustii} appears twice`);
      answered.add(trustii);
    }
    if (slide === null)
      throw inputError(
        where,
        validation ? 'no filename and no trustii_id' : 'empty filename (give --validation to map trustii_id to slides)',
      );
    const [x1, x2, y1, y2] = corners.map((c, k) => {
      const v = fields[c] === '' ? NaN : Number(fields[c]);
      if (!Number.isFinite(v))
        throw inputError(where, `${BOX_COLUMNS[k]} is not a number (${JSON.stringify(fields[c])})`);
      return v;
    });
    if (x1 > x2 || y1 > y2) throw inputError(where, `inverted box (x1=${x1}, x2=${x2}, y1=${y1}, y2=${y2})`);
    let list = bySlide.get(slide);
    if (!list) bySlide.set(slide, (list = []));
    list.push({ x1, y1, x2, y2 });
  }
  const unanswered = [...slideOfTrustii.keys()].filter((t) => !answered.has(t));
  return { bySlide, unanswered };
}
