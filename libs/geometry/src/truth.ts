// Ground-truth boxes per slide from a DigiLut box CSV (train.csv, validation_truth.csv) or a QuPath
// GeoJSON export. GeoJSON polygons are scored by their bounding boxes, as DigiLut scores boxes.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { inputError, SlidepipeError } from '@slidepipe/cli';
import { prepareAnnotations } from './annotations';
import type { Box } from './box';
import { readDigilutBoxCsv } from './digilut-csv';
import { annotationsFromGeoJson } from './geojson';

export interface Truth {
  bySlide: Map<string, Box[]>;
  /** Problems with rows or features that were left out, for a warning. */
  skipped: string[];
}

/** Slide extensions stripped from a GeoJSON file name to find its slide ("abc_a.tif.geojson" -> "abc_a"). */
const SLIDE_EXT = /\.(tiff?|svs|ndpi|mrxs|scn|vms|vmu|bif|czi|qptiff)$/i;

export function slideOfGeoJsonPath(path: string): string {
  return basename(path).replace(/\.(geo)?json$/i, '').replace(SLIDE_EXT, '');
}

function add(t: Truth, slide: string, box: Box): void {
  const list = t.bySlide.get(slide);
  if (list) list.push(box);
  else t.bySlide.set(slide, [box]);
}

/** A DigiLut CSV: rows without a usable box (unparsable, x1 > x2, duplicates) are skipped and listed. */
function fromCsv(t: Truth, path: string, text: string): void {
  const csv = readDigilutBoxCsv(text, basename(path));
  for (const row of csv.rows) {
    if (!row.box || row.unusable) {
      t.skipped.push(`${basename(path)}:${row.line}: ${row.unusable ?? row.problems[0] ?? 'no box'}`);
      continue;
    }
    add(t, row.slideId, row.box);
  }
}

/**
 * A GeoJSON file: features carrying properties.slide_id (as wsi-boxes writes them) go to that
 * slide, others to the slide named by the file. Only features of `classNames` count when given.
 */
function fromGeoJson(t: Truth, path: string, text: string, classNames?: string[]): void {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw inputError(path, `not valid JSON: ${(e as Error).message}`);
  }
  const { annotations, skipped } = annotationsFromGeoJson(value, { unsupported: 'skip', classNames });
  for (const s of skipped) t.skipped.push(`${basename(path)}: feature #${s.index}: ${s.reason}`);
  // Annotations come in feature order, less the skipped ones: that gives each its feature.
  const features = Array.isArray(value) ? value : ((value as { features?: unknown[] }).features ?? [value]);
  const left = new Set(skipped.map((s) => s.index));
  const slides = features
    .filter((_, i) => !left.has(i))
    .map((f) => (f as { properties?: { slide_id?: unknown } } | null)?.properties?.slide_id);
  const fallback = slideOfGeoJsonPath(path);
  // Ids by position: QuPath names (the fallback id) repeat, and only the bounds matter here.
  const prepared = prepareAnnotations(annotations.map((a, k) => ({ ...a, id: String(k) }))).items;
  prepared.forEach((a, k) => add(t, typeof slides[k] === 'string' ? (slides[k] as string) : fallback, a.bounds));
}

/** Reads every truth file; a slide may get boxes from several files. */
export function loadTruth(paths: readonly string[], opts: { classNames?: string[] } = {}): Truth {
  const t: Truth = { bySlide: new Map(), skipped: [] };
  for (const path of paths) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new SlidepipeError('no-input', path, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message);
    }
    const head = text.replace(/^\uFEFF/, '').trimStart();
    try {
      if (/\.(geo)?json$/i.test(path) || head.startsWith('{') || head.startsWith('[')) fromGeoJson(t, path, text, opts.classNames);
      else fromCsv(t, path, text);
    } catch (e) {
      if (e instanceof SlidepipeError) throw e;
      throw inputError(path, (e as Error).message);
    }
  }
  return t;
}
