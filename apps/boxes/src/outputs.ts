// The files people use: the DigiLut submission CSV and QuPath GeoJSON (written whole, atomically, by run).
import { usageError } from '@slidepipe/cli';
import { boxToPolygon, normalizeMultiPolygon, type PolygonCoords } from '@slidepipe/geometry';
import type { BoxRecord } from '@slidepipe/schema';
import type { SlideResult } from './boxes';

/** The DigiLut submission header; --columns reorders it (the published header and the winners' files disagree). */
export const SUBMISSION_COLUMNS = ['trustii_id', 'filename', 'x1', 'x2', 'y1', 'y2'] as const;
const EXTRA_COLUMNS = ['slide_id', 'rank', 'score', 'padded'] as const;
type Column = (typeof SUBMISSION_COLUMNS)[number] | (typeof EXTRA_COLUMNS)[number];

export function parseColumns(text: string): Column[] {
  const known: readonly string[] = [...SUBMISSION_COLUMNS, ...EXTRA_COLUMNS];
  const cols = text
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  const bad = cols.filter((c) => !known.includes(c));
  if (bad.length || !cols.length)
    throw usageError('--columns', `expected a comma list of ${known.join(', ')}, got ${JSON.stringify(text)}`);
  if (new Set(cols).size !== cols.length)
    throw usageError('--columns', `a column appears twice in ${JSON.stringify(text)}`);
  return cols as Column[];
}

const cell = (v: string | number | boolean | null) => {
  const s = v === null ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** One line per box (padded ones included: the submission needs every trustii_id answered). */
export function submissionCsv(results: readonly SlideResult[], columns: readonly Column[]): string {
  const lines = [columns.join(',')];
  for (const r of results) {
    const filename = r.filename ?? r.slide.slide_id;
    for (const b of r.boxes) {
      const value = (c: Column) =>
        c === 'filename' ? filename : (b as unknown as Record<string, string | number | boolean | null>)[c];
      lines.push(columns.map((c) => cell(value(c))).join(','));
    }
  }
  return `${lines.join('\n')}\n`;
}

export const PREDICTED_CLASS = { name: 'Lesion (predicted)', color: [220, 40, 40] };
export const CONTOUR_CLASS = (level: number) => ({ name: `Heat map >= ${level}`, color: [255, 190, 0] });

type Feature = { type: 'Feature'; id: string; geometry: object; properties: Record<string, unknown> };

function boxFeature(b: BoxRecord): Feature {
  return {
    type: 'Feature',
    id: `${b.slide_id}-box-${b.rank}`,
    geometry: { type: 'Polygon', coordinates: boxToPolygon(b) },
    properties: {
      objectType: 'annotation',
      name: `box ${b.rank}${b.trustii_id ? ` (trustii_id ${b.trustii_id})` : ''}`,
      classification: PREDICTED_CLASS,
      isLocked: false,
      measurements: { score: b.score, rank: b.rank },
      slide_id: b.slide_id,
      ...(b.trustii_id ? { trustii_id: b.trustii_id } : {}),
    },
  };
}

/** The area where patch scores reach `level`: each patch's grid cell (one stride around its centre), united. */
function contourFeature(r: SlideResult, level: number): Feature | null {
  const g = r.grid;
  if (!g || !g.n) return null;
  const cells: PolygonCoords[] = [];
  for (let i = 0; i < g.n; i++) {
    if (g.score[i] < level) continue;
    const cx = g.centreX0(i);
    const cy = g.centreY0(i);
    const x1 = Math.max(0, Math.round(cx - g.strideX0 / 2));
    const y1 = Math.max(0, Math.round(cy - g.strideY0 / 2));
    const x2 = Math.min(g.width0, Math.round(cx + g.strideX0 / 2));
    const y2 = Math.min(g.height0, Math.round(cy + g.strideY0 / 2));
    if (x2 > x1 && y2 > y1) cells.push(boxToPolygon({ x1, y1, x2, y2 }));
  }
  if (!cells.length) return null;
  return {
    type: 'Feature',
    id: `${r.slide.slide_id}-heat-${level}`,
    geometry: { type: 'MultiPolygon', coordinates: normalizeMultiPolygon(cells) },
    properties: {
      objectType: 'annotation',
      name: `patch score >= ${level}`,
      classification: CONTOUR_CLASS(level),
      isLocked: true,
      measurements: { level, patches: cells.length },
      slide_id: r.slide.slide_id,
    },
  };
}

/**
 * A QuPath-importable FeatureCollection for one slide: each predicted box as a rectangle
 * annotation (padded neutral boxes left out: they mark nothing), then one MultiPolygon per contour
 * level. Coordinates are level-0 pixels, which is what QuPath expects.
 */
export function qupathGeoJson(r: SlideResult, contourLevels: readonly number[]): object {
  const features: Feature[] = r.boxes.filter((b) => !b.padded).map(boxFeature);
  for (const level of contourLevels) {
    const f = contourFeature(r, level);
    if (f) features.push(f);
  }
  return { type: 'FeatureCollection', features };
}
