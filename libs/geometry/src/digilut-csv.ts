// The DigiLut train CSV (box annotations), read with line numbers and per-row problems.
// Shared by wsi-label and wsi-split (issue 5); other tools reading the same files may use it.
import type { Box } from './box';
import { GeometryError } from './errors';

/** The columns of the DigiLut train CSV, in level-0 pixels; max_x/max_y are the slide's size. */
export const DIGILUT_BOX_COLUMNS = ['filename', 'x1', 'x2', 'y1', 'y2', 'max_x', 'max_y'] as const;

/** One data row of a DigiLut box CSV, with what is wrong with it (nothing is dropped here). */
export interface DigilutBoxRow {
  /** 1-based line in the file (the header is line 1). */
  readonly line: number;
  readonly filename: string;
  /** The file name without its extension: the slide_id of the slide's records. */
  readonly slideId: string;
  /**
   * Stable id: `<slide_id>:x<x1>-<x2>:y<y1>-<y2>` (no comma or space, so ids fit in comma lists
   * and shell words). It depends on the row's content only, so it survives reordering or removing
   * other rows (exclusion lists stay valid); duplicate rows share it, which is how duplicates are
   * found. Null when the coordinates do not parse.
   */
  readonly id: string | null;
  /** The box (half-open, level-0 px) as written, even when invalid; null when it does not parse. */
  readonly box: Box | null;
  readonly maxX: number | null;
  readonly maxY: number | null;
  /** Reasons the row cannot be used as is, e.g. "x1 > x2 (x1=500, x2=400)"; empty when valid. */
  readonly problems: readonly string[];
  /**
   * The problem that leaves the row without a usable box at all (empty filename, a value that is
   * not a number, inverted corners, a duplicate), or null: such rows cannot be scored or kept by
   * any policy, while the other problems (size, slide bounds) are a matter of policy.
   */
  readonly unusable: string | null;
}

export interface DigilutBoxCsv {
  readonly rows: readonly DigilutBoxRow[];
  /** Rows per slide_id, in file order. */
  readonly bySlide: ReadonlyMap<string, readonly DigilutBoxRow[]>;
}

/** The slide id of a DigiLut file name: "abc_a.tif" -> "abc_a" (only the last extension goes). */
export function slideIdOfFilename(filename: string): string {
  const base = filename.replace(/^.*[\\/]/, '');
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

export function digilutBoxId(slideId: string, box: Box): string {
  return `${slideId}:x${box.x1}-${box.x2}:y${box.y1}-${box.y2}`;
}

/**
 * Splits delimited text into lines of fields with their 1-based line numbers. Handles double
 * quotes (with "" escapes), CRLF and a UTF-8 BOM; skips blank lines. A quoted field may not span
 * lines (none of the DigiLut files needs that, and it keeps line numbers exact).
 */
export function splitDelimited(text: string, separator = ','): { line: number; fields: string[] }[] {
  const out: { line: number; fields: string[] }[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, i) => {
    if (raw.trim() === '') return;
    const fields: string[] = [];
    let field = '';
    let quoted = false;
    for (let j = 0; j < raw.length; j++) {
      const c = raw[j];
      if (quoted) {
        if (c === '"' && raw[j + 1] === '"') {
          field += '"';
          j++;
        } else if (c === '"') quoted = false;
        else field += c;
      } else if (c === '"' && field.trim() === '') {
        quoted = true;
        field = '';
      } else if (c === separator) {
        fields.push(field.trim());
        field = '';
      } else field += c;
    }
    fields.push(field.trim());
    out.push({ line: i + 1, fields });
  });
  return out;
}

/**
 * Reads a DigiLut train CSV (`filename,x1,x2,y1,y2,max_x,max_y`, columns found by name, extra
 * columns ignored). A missing column or an empty file is an error; every row is returned with
 * the problems found in it alone or against earlier rows: wrong field count, a value that is not
 * a finite number, x1 > x2 or y1 > y2, zero width or height, a negative corner, a corner beyond
 * max_x/max_y, max_x/max_y not positive or differing from an earlier row of the same slide, and
 * a duplicate of an earlier row. Checks against the slide itself (its real size) are the
 * caller's, since only the caller knows the slide.
 */
export function readDigilutBoxCsv(text: string, source = 'CSV'): DigilutBoxCsv {
  const lines = splitDelimited(text);
  if (lines.length === 0) throw invalid(`${source}: empty file (expected the header ${DIGILUT_BOX_COLUMNS.join(',')})`);
  const header = lines[0].fields.map((h) => h.toLowerCase());
  const at = DIGILUT_BOX_COLUMNS.map((name) => header.indexOf(name));
  const missing = DIGILUT_BOX_COLUMNS.filter((_, i) => at[i] < 0);
  if (missing.length) {
    throw invalid(
      `${source}:${lines[0].line}: expected the header ${DIGILUT_BOX_COLUMNS.join(',')}, received ${JSON.stringify(lines[0].fields.join(','))} (missing ${missing.join(', ')})`,
    );
  }
  const rows: DigilutBoxRow[] = [];
  const bySlide = new Map<string, DigilutBoxRow[]>();
  const firstLineOfId = new Map<string, number>();
  const sizeOfSlide = new Map<string, { maxX: number; maxY: number; line: number }>();
  for (const { line, fields } of lines.slice(1)) {
    const problems: string[] = [];
    let unusable: string | null = null;
    const fatal = (p: string) => {
      problems.push(p);
      unusable ??= p;
    };
    const filename = fields[at[0]] ?? '';
    const slideId = slideIdOfFilename(filename);
    if (filename === '') fatal('empty filename');
    if (fields.length !== header.length) problems.push(`${fields.length} fields, expected ${header.length}`);
    const num = (k: number): number | null => {
      const raw = fields[at[k]];
      const v = raw === undefined || raw === '' ? NaN : Number(raw);
      if (!Number.isFinite(v)) {
        fatal(`${DIGILUT_BOX_COLUMNS[k]} is not a number (${JSON.stringify(raw ?? '')})`);
        return null;
      }
      return v;
    };
    const [x1, x2, y1, y2, maxX, maxY] = [1, 2, 3, 4, 5, 6].map(num);
    let box: Box | null = null;
    let id: string | null = null;
    if (x1 !== null && x2 !== null && y1 !== null && y2 !== null) {
      box = { x1, y1, x2, y2 };
      id = digilutBoxId(slideId, box);
      if (x1 > x2) fatal(`x1 > x2 (x1=${x1}, x2=${x2})`);
      if (y1 > y2) fatal(`y1 > y2 (y1=${y1}, y2=${y2})`);
      if (x1 === x2) problems.push(`zero width (x1 = x2 = ${x1})`);
      if (y1 === y2) problems.push(`zero height (y1 = y2 = ${y1})`);
      if (Math.min(x1, x2, y1, y2) < 0) problems.push(`outside the slide: negative corner (${fmt(box)})`);
      if (maxX !== null && Math.max(x1, x2) > maxX)
        problems.push(`outside the slide: x ${Math.max(x1, x2)} > max_x ${maxX}`);
      if (maxY !== null && Math.max(y1, y2) > maxY)
        problems.push(`outside the slide: y ${Math.max(y1, y2)} > max_y ${maxY}`);
      const first = firstLineOfId.get(id);
      if (first !== undefined) fatal(`duplicate of line ${first}`);
      else firstLineOfId.set(id, line);
    }
    if (maxX !== null && maxY !== null) {
      if (!(maxX > 0 && maxY > 0)) problems.push(`slide size max_x=${maxX}, max_y=${maxY} is not positive`);
      const size = sizeOfSlide.get(slideId);
      if (!size) sizeOfSlide.set(slideId, { maxX, maxY, line });
      else if (size.maxX !== maxX || size.maxY !== maxY) {
        problems.push(
          `max_x,max_y = ${maxX},${maxY} differ from line ${size.line} (${size.maxX},${size.maxY}) for the same slide`,
        );
      }
    }
    const row: DigilutBoxRow = { line, filename, slideId, id, box, maxX, maxY, problems, unusable };
    rows.push(row);
    let list = bySlide.get(slideId);
    if (!list) bySlide.set(slideId, (list = []));
    list.push(row);
  }
  return { rows, bySlide };
}

function fmt(b: Box): string {
  return `x1=${b.x1}, x2=${b.x2}, y1=${b.y1}, y2=${b.y2}`;
}

function invalid(message: string): GeometryError {
  return new GeometryError('INVALID_ANNOTATIONS', message);
}
