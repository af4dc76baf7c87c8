// Reading wsi-split's small inputs: a slide folder or list, DigiLut's presence and test lists.
import { readdirSync } from 'node:fs';
import { inputError } from '@slidepipe/cli';
import { slideIdOfFilename, splitDelimited } from '@slidepipe/geometry';

/** File name extensions of whole-slide images (OpenSlide's formats and plain TIFF). */
export const SLIDE_EXTENSIONS = [
  'tif',
  'tiff',
  'svs',
  'ndpi',
  'mrxs',
  'scn',
  'vms',
  'vmu',
  'bif',
  'svslide',
  'czi',
  'qptiff',
];
const SLIDE_FILE = new RegExp(`\\.(${SLIDE_EXTENSIONS.join('|')})$`, 'i');

/** Slide ids of the slide files in a folder (not recursive; hidden files ignored). */
export function slidesInFolder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => !e.name.startsWith('.') && SLIDE_FILE.test(e.name) && (e.isFile() || e.isSymbolicLink()))
    .map((e) => slideIdOfFilename(e.name))
    .sort();
}

/** `;` when the header uses it and no comma (DigiLut's presence_of_lesion.csv), else `,`. */
function separatorOf(text: string): string {
  const first = text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
  return first.includes(';') && !first.includes(',') ? ';' : ',';
}

const NAME_COLUMNS = ['filename', 'file_name', 'slide', 'slide_id'];

/** Which column names the slide, and whether its values are file names (extension to strip). */
function nameColumn(header: string[]): { at: number; isFile: boolean } | null {
  const lower = header.map((h) => h.toLowerCase());
  for (const name of NAME_COLUMNS) {
    const at = lower.indexOf(name);
    if (at >= 0) return { at, isFile: name !== 'slide_id' };
  }
  return null;
}

/**
 * A slide list: a CSV with a filename/file_name/slide/slide_id column (comma or semicolon), or a
 * plain list of file names or slide ids, one per line (extensions of slide files are stripped).
 */
export function slidesInList(text: string, source: string): string[] {
  const lines = splitDelimited(text, separatorOf(text));
  if (!lines.length) throw inputError(source, 'empty slide list');
  const col = nameColumn(lines[0].fields);
  if (!col) return lines.map((l) => l.fields[0]).map((n) => (SLIDE_FILE.test(n) ? slideIdOfFilename(n) : n));
  return lines.slice(1).map((l) => {
    const v = l.fields[col.at] ?? '';
    if (!v) throw inputError(`${source}:${l.line}`, 'empty slide name');
    return col.isFile ? slideIdOfFilename(v) : v;
  });
}

/** DigiLut presence_of_lesion.csv: `file_name;presence_of_lesion` with 0/1 (true/false accepted). */
export function readPresence(text: string, source: string): Map<string, boolean> {
  const lines = splitDelimited(text, separatorOf(text));
  if (!lines.length) throw inputError(source, 'empty presence list');
  const col = nameColumn(lines[0].fields);
  const lower = lines[0].fields.map((h) => h.toLowerCase());
  const at = ['presence_of_lesion', 'presence', 'has_lesion'].map((n) => lower.indexOf(n)).find((i) => i >= 0);
  if (!col || at === undefined) {
    throw inputError(
      `${source}:${lines[0].line}`,
      `expected a header with file_name and presence_of_lesion, received ${JSON.stringify(lines[0].fields.join(','))}`,
    );
  }
  const out = new Map<string, boolean>();
  for (const l of lines.slice(1)) {
    const name = l.fields[col.at] ?? '';
    const v = (l.fields[at] ?? '').toLowerCase();
    if (!name) throw inputError(`${source}:${l.line}`, 'empty slide name');
    if (!['0', '1', 'true', 'false'].includes(v))
      throw inputError(
        `${source}:${l.line}`,
        `expected presence 0 or 1, received ${JSON.stringify(l.fields[at] ?? '')}`,
      );
    const id = col.isFile ? slideIdOfFilename(name) : name;
    if (out.has(id)) throw inputError(`${source}:${l.line}`, `slide ${id} listed twice`);
    out.set(id, v === '1' || v === 'true');
  }
  return out;
}

/**
 * A test list: rows per slide. DigiLut's validation.csv (`filename,max_x,max_y,trustii_id`) has one
 * row per expected box, so its counts are box counts (countsBoxes); a plain list's are not.
 */
export function readTestList(text: string, source: string): { bySlide: Map<string, number>; countsBoxes: boolean } {
  const lines = splitDelimited(text, separatorOf(text));
  if (!lines.length) throw inputError(source, 'empty test list');
  const col = nameColumn(lines[0].fields);
  const countsBoxes = lines[0].fields.some((h) => h.toLowerCase() === 'trustii_id');
  const bySlide = new Map<string, number>();
  const names = col
    ? lines.slice(1).map((l) => ({ l, v: l.fields[col.at] ?? '' }))
    : lines.map((l) => ({ l, v: l.fields[0] }));
  for (const { l, v } of names) {
    if (!v) throw inputError(`${source}:${l.line}`, 'empty slide name');
    const id = col ? (col.isFile ? slideIdOfFilename(v) : v) : SLIDE_FILE.test(v) ? slideIdOfFilename(v) : v;
    bySlide.set(id, (bySlide.get(id) ?? 0) + 1);
  }
  return { bySlide, countsBoxes };
}
