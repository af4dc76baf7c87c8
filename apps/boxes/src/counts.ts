// The DigiLut validation list (`filename,max_x,max_y,trustii_id`, one row per expected box): how
// many boxes each slide gets, their trustii_ids in file order, and the slide's size.
import { inputError } from '@slidepipe/cli';
import { slideIdOfFilename, splitDelimited } from '@slidepipe/geometry';
import type { ListedSlide } from './boxes';

export function parseCounts(text: string, source: string): Map<string, ListedSlide> {
  const lines = splitDelimited(text);
  if (!lines.length) throw inputError(source, 'empty file (expected the header filename,max_x,max_y,trustii_id)');
  const header = lines[0].fields.map((h) => h.toLowerCase());
  const at = (n: string) => header.indexOf(n);
  const [file, id, mx, my] = [at('filename'), at('trustii_id'), at('max_x'), at('max_y')];
  if (file < 0 || id < 0) {
    throw inputError(source, `expected the columns filename and trustii_id (and max_x, max_y), got ${JSON.stringify(lines[0].fields.join(','))}`);
  }
  const slides = new Map<string, ListedSlide>();
  const seen = new Set<string>();
  for (const { line, fields } of lines.slice(1)) {
    const filename = fields[file] ?? '';
    const trustii = fields[id] ?? '';
    if (!filename || !trustii) throw inputError(`${source}:${line}`, 'expected a filename and a trustii_id, got an empty field');
    if (seen.has(trustii)) throw inputError(`${source}:${line}`, `trustii_id ${trustii} appears twice`);
    seen.add(trustii);
    const size = (c: number): number | null => {
      if (c < 0 || (fields[c] ?? '') === '') return null;
      const v = Number(fields[c]);
      if (!(Number.isInteger(v) && v > 0)) throw inputError(`${source}:${line}`, `${header[c]}: expected a positive integer, got ${JSON.stringify(fields[c])}`);
      return v;
    };
    const slideId = slideIdOfFilename(filename);
    let s = slides.get(slideId);
    if (!s) slides.set(slideId, (s = { slideId, filename, trustiiIds: [], width0: size(mx), height0: size(my) }));
    s.trustiiIds.push(trustii);
  }
  return slides;
}
