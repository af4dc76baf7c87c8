// Stream metadata: record type and version, slide facts, stream facts and provenance, carried as
// string key/values (Arrow schema metadata, Parquet key/value metadata).
import { createHash } from 'node:crypto';
import { recordDef, type RecordName } from './records';

export const META_RECORD = 'slidepipe.record';
export const META_VERSION = 'slidepipe.record_version';
export const META_SLIDE = 'slidepipe.slide';
export const META_FACTS = 'slidepipe.facts';
export const META_PROVENANCE = 'slidepipe.provenance';
export const META_FIELDS = 'slidepipe.fields';
/**
 * facts.aggregate of patch-score streams whose every score comes from the one fold head that never
 * saw the slide (wsi-predict --out-of-fold); wsi-sample --hard-negatives accepts only these.
 */
export const OUT_OF_FOLD = 'out-of-fold';

export interface SlideFacts {
  slide_id: string;
  patient_id: string;
  /** Level-0 size in pixels. */
  width0: number;
  height0: number;
  /** Level-0 resolution in micrometres per pixel, or null when the slide has none. */
  mpp0: number | null;
  path?: string;
  vendor?: string;
}

export interface ProvenanceEntry {
  tool: string;
  version: string;
  argv: string[];
  params: Record<string, unknown>;
  /** ISO time the tool started. */
  time: string;
  /**
   * In a table of many slides: how many runs this entry stands for (the same tool, version and
   * parameters on other inputs); argv and time are the first run's, the per-input parameters
   * are left out, and `inputs_sha256` is a digest of every run's argv and per-input parameters.
   */
  runs?: number;
  inputs_sha256?: string;
}

/** Parameters that name a run's inputs rather than how it ran: they differ from slide to slide. */
export const PER_INPUT_PARAMS = ['slide', 'slide_id', 'patient_id', 'slides', 'inputs', 'input'] as const;

const shared = (e: ProvenanceEntry) =>
  Object.fromEntries(
    Object.entries(e.params ?? {}).filter(([k]) => !(PER_INPUT_PARAMS as readonly string[]).includes(k)),
  );

/**
 * The provenance of a table made of several slides' streams: entry k of every stream's chain that
 * ran the same tool, version and parameters (per-input parameters aside) on another slide becomes
 * one entry with a count and a digest, so N slides do not carry N copies of each tool's entry.
 * An entry found in several streams as it is (one run over several streams) counts once; an entry
 * of one run stays as it is.
 */
export function compactProvenance(chains: ProvenanceEntry[][]): ProvenanceEntry[] {
  const groups = new Map<string, Map<string, ProvenanceEntry>>();
  for (const chain of chains) {
    chain.forEach((e, k) => {
      const key = JSON.stringify([k, e.tool, e.version, shared(e)]);
      let runs = groups.get(key);
      if (!runs) groups.set(key, (runs = new Map()));
      runs.set(JSON.stringify(e), e);
    });
  }
  const out: ProvenanceEntry[] = [];
  const seen = new Set<string>();
  for (const runs of groups.values()) {
    const list = [...runs.values()];
    if (list.length === 1) {
      // The same entry may stand at another position of another chain: keep it once.
      const key = JSON.stringify(list[0]);
      if (!seen.has(key)) out.push(list[0]);
      seen.add(key);
      continue;
    }
    const [first] = list;
    const perRun = list
      .map(
        (e) =>
          e.inputs_sha256 ??
          JSON.stringify([
            e.argv,
            Object.entries(e.params ?? {}).filter(([k]) => (PER_INPUT_PARAMS as readonly string[]).includes(k)),
          ]),
      )
      .sort();
    out.push({
      tool: first.tool,
      version: first.version,
      argv: first.argv,
      params: shared(first),
      time: list.map((e) => e.time).sort()[0],
      runs: list.reduce((n, e) => n + (e.runs ?? 1), 0),
      inputs_sha256: createHash('sha256').update(perRun.join('\n')).digest('hex'),
    });
  }
  return out;
}

export interface StreamMeta {
  record: RecordName;
  version: number;
  slide: SlideFacts | null;
  /** Stream-wide facts such as tile_px, stride_px, dim, backbone: whatever a tool downstream needs. */
  facts: Record<string, unknown>;
  provenance: ProvenanceEntry[];
}

export class MetadataError extends Error {
  override name = 'MetadataError';
}

/**
 * What makes `id` unusable as a slide id, or null. Slide ids become file names (`{slide}` in
 * output paths, one Parquet file per slide), so they may not name another folder: no path
 * separator, not "." or "..", no control character, not empty, at most 255 bytes.
 */
export function slideIdProblem(id: unknown): string | null {
  if (typeof id !== 'string') return `slide id ${JSON.stringify(id)} is not a string`;
  if (id === '') return 'empty slide id';
  const shown = JSON.stringify(id);
  if (/[/\\]/.test(id)) return `slide id ${shown} contains a path separator`;
  if (id === '.' || id === '..') return `slide id ${shown} names a folder`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(id)) return `slide id ${shown} contains a control character`;
  if (Buffer.byteLength(id) > 255) return `slide id ${shown.slice(0, 40)}... is longer than 255 bytes`;
  return null;
}

/** Throws MetadataError when `id` cannot be a slide id. */
export function assertSlideId(id: unknown): asserts id is string {
  const problem = slideIdProblem(id);
  if (problem) throw new MetadataError(problem);
}

export function encodeMeta(meta: StreamMeta): Map<string, string> {
  const m = new Map<string, string>();
  m.set(META_RECORD, meta.record);
  m.set(META_VERSION, String(meta.version));
  if (meta.slide) m.set(META_SLIDE, JSON.stringify(meta.slide));
  m.set(META_FACTS, JSON.stringify(meta.facts));
  m.set(META_PROVENANCE, JSON.stringify(meta.provenance));
  return m;
}

function parseJson(map: Map<string, string>, key: string): unknown {
  const raw = map.get(key);
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    throw new MetadataError(`metadata "${key}" is not valid JSON`);
  }
}

/** Reads slidepipe metadata; throws MetadataError when the stream is not a slidepipe record stream. */
export function decodeMeta(map: Map<string, string>): StreamMeta {
  const record = map.get(META_RECORD);
  if (record === undefined) {
    throw new MetadataError(`not a slidepipe record stream (no "${META_RECORD}" in the schema metadata)`);
  }
  const def = (() => {
    try {
      return recordDef(record);
    } catch (e) {
      throw new MetadataError((e as Error).message);
    }
  })();
  const version = Number(map.get(META_VERSION));
  if (!Number.isInteger(version) || version < 1) {
    throw new MetadataError(`bad record version "${map.get(META_VERSION)}" for record type ${record}`);
  }
  const slide = (parseJson(map, META_SLIDE) ?? null) as SlideFacts | null;
  const facts = (parseJson(map, META_FACTS) ?? {}) as Record<string, unknown>;
  const provenance = (parseJson(map, META_PROVENANCE) ?? []) as ProvenanceEntry[];
  if (!Array.isArray(provenance)) throw new MetadataError(`metadata "${META_PROVENANCE}" is not a list`);
  if (slide !== null) {
    if (typeof slide !== 'object') throw new MetadataError(`metadata "${META_SLIDE}" is not an object`);
    assertSlideId(slide.slide_id);
  }
  const listed = facts.slides;
  if (listed !== undefined) {
    if (!Array.isArray(listed)) throw new MetadataError('metadata facts.slides is not a list');
    for (const f of listed) assertSlideId((f as SlideFacts | null)?.slide_id);
  }
  return { record: def.name, version, slide, facts, provenance };
}

/** A copy of `meta` with one provenance entry appended; upstream entries are never rewritten. */
export function withProvenance(meta: StreamMeta, entry: ProvenanceEntry | null): StreamMeta {
  return { ...meta, provenance: entry ? [...meta.provenance, entry] : [...meta.provenance] };
}

/**
 * Merges the metadata of several streams of one record type (for example one per slide) into the
 * metadata of a single table: provenance entries are kept once each in first-seen order, slide facts
 * are listed under facts.slides when the streams came from different slides.
 */
export function mergeMeta(metas: StreamMeta[]): StreamMeta {
  if (metas.length === 0) throw new MetadataError('nothing to merge');
  const first = metas[0];
  const seen = new Set<string>();
  const provenance: ProvenanceEntry[] = [];
  const slides = new Map<string, SlideFacts>();
  const facts: Record<string, unknown> = {};
  for (const m of metas) {
    if (m.record !== first.record) {
      throw new MetadataError(`cannot merge record types ${first.record} and ${m.record}`);
    }
    for (const p of m.provenance) {
      const key = JSON.stringify(p);
      if (!seen.has(key)) {
        seen.add(key);
        provenance.push(p);
      }
    }
    if (m.slide) slides.set(m.slide.slide_id, m.slide);
    for (const s of (m.facts.slides as SlideFacts[] | undefined) ?? []) slides.set(s.slide_id, s);
    for (const [k, v] of Object.entries(m.facts)) {
      if (k === 'slides') continue;
      if (!(k in facts)) facts[k] = v;
      else if (JSON.stringify(facts[k]) !== JSON.stringify(v)) facts[k] = mergeConflict(facts[k], v);
    }
  }
  if (slides.size <= 1) {
    return { record: first.record, version: first.version, slide: [...slides.values()][0] ?? null, facts, provenance };
  }
  // A table of many slides keeps one entry per tool configuration; per-slide files keep full chains.
  return {
    record: first.record,
    version: first.version,
    slide: null,
    facts: { ...facts, slides: [...slides.values()] },
    provenance: compactProvenance(metas.map((m) => m.provenance)),
  };
}

const CONFLICT = '__differs__';
function mergeConflict(a: unknown, _b: unknown): unknown {
  // A fact that differs between merged streams (e.g. tissue method) is kept as a marker, not silently one value.
  return a === CONFLICT ? a : CONFLICT;
}

export function makeProvenance(
  tool: string,
  version: string,
  argv: string[],
  params: Record<string, unknown>,
): ProvenanceEntry {
  return { tool, version, argv, params, time: new Date().toISOString() };
}
