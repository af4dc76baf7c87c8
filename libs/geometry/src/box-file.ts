// Ground truth as every tool reads it (wsi-label, wsi-split, wsi-eval, wsi-heatmap): a DigiLut box
// CSV or a QuPath GeoJSON export, read once with every problem of every annotation, checked per
// slide against the slide's facts, and kept or refused by one policy (--bad-boxes fail|drop).
// Every annotation that is not used is reported with its line: nothing is dropped silently.
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { type Annotation, AnnotationSet, prepareAnnotations } from './annotations';
import type { Box } from './box';
import { readDigilutBoxCsv } from './digilut-csv';
import { GeometryError } from './errors';
import { annotationsFromGeoJson } from './geojson';

export type BadBoxPolicy = 'fail' | 'drop';
export const BAD_BOX_POLICIES: readonly BadBoxPolicy[] = ['fail', 'drop'];

/** One annotation as read from the file, before the slide is known. */
export interface Candidate {
  /** Where it is, for messages: "train.csv:12" or "a.geojson:40 (feature #2)". */
  readonly where: string;
  /** Box id (see BoxFile.idRule); null when the row is too broken to have one. */
  readonly id: string | null;
  readonly annotation: Annotation | null;
  /** Bounds in level-0 px, when known. */
  readonly bounds: Box | null;
  /** The slide size the file states (DigiLut max_x/max_y), when it states one. */
  readonly statedSize: { readonly width0: number; readonly height0: number } | null;
  /** Problems found in the file alone. */
  readonly problems: readonly string[];
  /** GeoJSON: the slide a feature names in properties.slide_id (as wsi-boxes writes them). */
  readonly slide?: string;
}

export interface BoxFile {
  /** The path as given, for messages and provenance. */
  readonly path: string;
  readonly format: 'digilut-csv' | 'geojson';
  readonly sha256: string;
  /** How box ids are formed, for --help and provenance. */
  readonly idRule: string;
  readonly bySlide: ReadonlyMap<string, readonly Candidate[]>;
  /** Every id in the file, to check an exclusion list against. */
  readonly ids: ReadonlySet<string>;
}

export const CSV_ID_RULE = "<slide_id>:x<x1>-<x2>:y<y1>-<y2> (the row's own values, e.g. abc_a:x1000-1940:y2000-2940)";
export const GEOJSON_ID_RULE = 'the feature id (QuPath writes a UUID), else properties.name, else feature-<index>';

/** Slide extensions stripped from a GeoJSON file name to find its slide ("abc_a.tif.geojson"). */
const SLIDE_EXT = /\.(tiff?|svs|ndpi|mrxs|scn|vms|vmu|bif|czi|qptiff)$/i;

/** The slide a GeoJSON file belongs to by default: its name without .geojson/.json (and a slide extension). */
export function slideOfGeoJsonPath(path: string): string {
  return basename(path)
    .replace(/\.(geo)?json$/i, '')
    .replace(SLIDE_EXT, '');
}

export function isGeoJson(path: string, bytes: Uint8Array): boolean {
  if (/\.(geo)?json$/i.test(path)) return true;
  if (/\.csv$/i.test(path)) return false;
  const head = Buffer.from(bytes.subarray(0, 64))
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trimStart();
  return head.startsWith('{') || head.startsWith('[');
}

/**
 * Reads a box file. `geojsonSlide` names the slide of a GeoJSON file (QuPath exports one file per
 * image); by default it is the file name's stem. Structural errors (bad header, invalid JSON) throw.
 */
export function readBoxFile(
  path: string,
  bytes: Uint8Array,
  opts: { geojsonSlide?: string; classNames?: readonly string[] } = {},
): BoxFile {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const name = basename(path);
  const text = Buffer.from(bytes).toString('utf8');
  if (isGeoJson(path, bytes)) {
    const slide = opts.geojsonSlide ?? slideOfGeoJsonPath(path);
    const candidates = geoJsonCandidates(name, text, opts.classNames);
    const bySlide = new Map<string, Candidate[]>([[slide, []]]);
    for (const c of candidates) {
      const s = opts.geojsonSlide ?? c.slide ?? slide;
      let list = bySlide.get(s);
      if (!list) bySlide.set(s, (list = []));
      list.push(c);
    }
    return {
      path,
      format: 'geojson',
      sha256,
      idRule: GEOJSON_ID_RULE,
      bySlide,
      ids: new Set(candidates.map((c) => c.id).filter((id): id is string => id !== null)),
    };
  }
  const csv = readDigilutBoxCsv(text, name);
  const bySlide = new Map<string, Candidate[]>();
  for (const [slide, rows] of csv.bySlide) {
    bySlide.set(
      slide,
      rows.map((r) => ({
        where: `${name}:${r.line}`,
        id: r.id,
        annotation: r.id !== null && r.box ? { id: r.id, box: r.box } : null,
        bounds: r.box,
        statedSize: r.maxX !== null && r.maxY !== null ? { width0: r.maxX, height0: r.maxY } : null,
        problems: r.problems,
      })),
    );
  }
  return {
    path,
    format: 'digilut-csv',
    sha256,
    idRule: CSV_ID_RULE,
    bySlide,
    ids: new Set(csv.rows.map((r) => r.id).filter((id): id is string => id !== null)),
  };
}

/** 1-based lines where each Feature object starts, found by its "type": "Feature" member. */
function featureLines(text: string): number[] {
  const lines: number[] = [];
  const re = /"type"\s*:\s*"Feature"/g;
  let line = 1;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    for (let i = last; i < m.index; i++) if (text.charCodeAt(i) === 10) line++;
    last = m.index;
    lines.push(line);
  }
  return lines;
}

function geoJsonCandidates(name: string, text: string, classNames?: readonly string[]): Candidate[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new GeometryError(
      'INVALID_GEOJSON',
      `${name}: not valid JSON (${(e as Error).message.replace(/\s+/g, ' ')})`,
    );
  }
  // Non-polygon features are kept as candidates with a problem, so the policy decides about them.
  let read: ReturnType<typeof annotationsFromGeoJson>;
  try {
    read = annotationsFromGeoJson(value, { unsupported: 'skip', classNames });
  } catch (e) {
    if (e instanceof GeometryError) throw new GeometryError(e.reason, `${name}: ${e.message}`);
    throw e;
  }
  const { annotations, skipped } = read;
  const features = Array.isArray(value) ? value : ((value as { features?: unknown[] } | null)?.features ?? [value]);
  const slideOf = (index: number) => {
    const id = (features[index] as { properties?: { slide_id?: unknown } } | null)?.properties?.slide_id;
    return typeof id === 'string' ? id : undefined;
  };
  const total = annotations.length + skipped.length;
  const lines = featureLines(text);
  const where = (index: number) =>
    lines.length === total ? `${name}:${lines[index]} (feature #${index})` : `${name} feature #${index}`;
  const skippedAt = new Map(skipped.map((s) => [s.index, s.reason]));
  const out: Candidate[] = [];
  const firstOfId = new Map<string, number>();
  const firstOfShape = new Map<string, number>();
  let next = 0;
  for (let index = 0; index < total; index++) {
    const reason = skippedAt.get(index);
    // Features of classes not asked for are not annotations of this truth, not bad ones.
    if (reason !== undefined && classNames && reason.startsWith('classification ')) continue;
    if (reason !== undefined) {
      out.push({ where: where(index), id: null, annotation: null, bounds: null, statedSize: null, problems: [reason] });
      continue;
    }
    const annotation = annotations[next++];
    const problems: string[] = [];
    let bounds: Box | null = null;
    try {
      bounds = prepareAnnotations([annotation]).items[0].bounds;
    } catch (e) {
      problems.push((e as Error).message.replace(/^annotation "[^"]*": /, ''));
    }
    const shape = 'geometry' in annotation ? JSON.stringify(annotation.geometry.coordinates) : '';
    const sameId = firstOfId.get(annotation.id);
    if (sameId !== undefined)
      problems.push(`duplicate id ${JSON.stringify(annotation.id)} (first at ${where(sameId)})`);
    else firstOfId.set(annotation.id, index);
    const sameShape = firstOfShape.get(shape);
    if (sameShape !== undefined) problems.push(`duplicate of feature #${sameShape} (same coordinates)`);
    else firstOfShape.set(shape, index);
    out.push({
      where: where(index),
      id: annotation.id,
      annotation,
      bounds,
      statedSize: null,
      problems,
      slide: slideOf(index),
    });
  }
  return out;
}

/** The slide facts wsi-label checks annotations against. */
export interface SlideSize {
  readonly width0: number;
  readonly height0: number;
}

export interface RejectedAnnotation {
  readonly where: string;
  readonly id: string | null;
  readonly problems: readonly string[];
}

export interface SlideAnnotations {
  readonly slideId: string;
  readonly set: AnnotationSet;
  /** Ids of the annotations in the set. */
  readonly used: readonly string[];
  readonly excluded: readonly { where: string; id: string }[];
  /** Annotations with problems (dropped under --bad-boxes drop; fatal under fail). */
  readonly rejected: readonly RejectedAnnotation[];
}

/**
 * The annotations of one slide: file problems plus checks against the slide's real size (from the
 * stream metadata, null when the stream does not carry it), minus excluded ids.
 */
export function slideAnnotations(
  file: BoxFile,
  slideId: string,
  size: SlideSize | null,
  exclude: ReadonlySet<string>,
): SlideAnnotations {
  const used: Annotation[] = [];
  const excluded: { where: string; id: string }[] = [];
  const rejected: RejectedAnnotation[] = [];
  for (const c of file.bySlide.get(slideId) ?? []) {
    if (c.id !== null && exclude.has(c.id)) {
      excluded.push({ where: c.where, id: c.id });
      continue;
    }
    const problems = [...c.problems];
    if (size && c.statedSize && (c.statedSize.width0 !== size.width0 || c.statedSize.height0 !== size.height0)) {
      problems.push(
        `slide size in the file (max_x=${c.statedSize.width0}, max_y=${c.statedSize.height0}) differs from the slide's ${size.width0} x ${size.height0} px (stream metadata)`,
      );
    }
    const b = c.bounds;
    if (
      size &&
      b &&
      b.x1 <= b.x2 &&
      b.y1 <= b.y2 &&
      (b.x1 < 0 || b.y1 < 0 || b.x2 > size.width0 || b.y2 > size.height0)
    ) {
      const text = `outside the slide: bounds x ${b.x1}..${b.x2}, y ${b.y1}..${b.y2} on a ${size.width0} x ${size.height0} px slide`;
      if (!problems.some((p) => p.startsWith('outside the slide'))) problems.push(text);
    }
    if (problems.length || !c.annotation) rejected.push({ where: c.where, id: c.id, problems });
    else used.push(c.annotation);
  }
  return { slideId, set: prepareAnnotations(used), used: used.map((a) => a.id), excluded, rejected };
}
