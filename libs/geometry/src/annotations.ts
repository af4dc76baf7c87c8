import { type Box, boxArea, boxContainsPoint, isValidBox, formatBox } from './box';
import { GeometryError } from './errors';
import {
  type MultiPolygonCoords,
  type PolygonCoords,
  multiPolygonArea,
  multiPolygonBounds,
  normalizeMultiPolygon,
  pointInMultiPolygon,
} from './polygon';
import { GridIndex } from './spatial-index';

/** A GeoJSON Polygon or MultiPolygon geometry in level-0 pixels (QuPath's export). */
export type PolygonGeometry =
  | { readonly type: 'Polygon'; readonly coordinates: PolygonCoords }
  | { readonly type: 'MultiPolygon'; readonly coordinates: MultiPolygonCoords };

/** One lesion annotation: a box (DigiLut CSV) or a polygon (QuPath GeoJSON). Ids must be unique per slide. */
export type Annotation =
  { readonly id: string; readonly box: Box } | { readonly id: string; readonly geometry: PolygonGeometry };

/** An annotation checked and reduced to what labelling needs. */
export type PreparedAnnotation =
  | { readonly kind: 'box'; readonly id: string; readonly bounds: Box; readonly areaPx: number; readonly box: Box }
  | {
      readonly kind: 'polygon';
      readonly id: string;
      readonly bounds: Box;
      readonly areaPx: number;
      /** Normalized: disjoint parts, holes inside their exteriors. */
      readonly polygon: MultiPolygonCoords;
    };

/**
 * The annotations of one slide, validated once, with polygon areas precomputed and a grid index
 * over their bounds. Build it once per slide with prepareAnnotations and reuse it for every patch.
 */
export class AnnotationSet {
  readonly items: readonly PreparedAnnotation[];
  private readonly index: GridIndex;

  constructor(items: readonly PreparedAnnotation[], cellSizePx?: number) {
    this.items = items;
    this.index = new GridIndex(
      items.map((a) => a.bounds),
      cellSizePx,
    );
  }

  get size(): number {
    return this.items.length;
  }

  /** Items whose bounds overlap the rectangle (a superset of those with positive intersection area). */
  overlapping(rect: Box): PreparedAnnotation[] {
    return this.index.query(rect).map((i) => this.items[i]);
  }

  /** Items that contain the point: half-open for boxes, even-odd for polygons. */
  containing(x: number, y: number): PreparedAnnotation[] {
    return this.index
      .queryPoint(x, y)
      .map((i) => this.items[i])
      .filter((a) => (a.kind === 'box' ? boxContainsPoint(a.box, x, y) : pointInMultiPolygon(a.polygon, x, y)));
  }
}

/**
 * Validates annotations and builds their AnnotationSet. Throws a GeometryError naming the
 * offending annotation for an empty or duplicate id, an invalid box, or a polygon with no area
 * or non-finite coordinates. Zero-area boxes are kept (they cover nothing) since a box CSV may
 * hold them and dropping rows silently would hide that.
 */
export function prepareAnnotations(
  annotations: readonly Annotation[],
  options: { cellSizePx?: number } = {},
): AnnotationSet {
  const seen = new Set<string>();
  const items = annotations.map((annotation, index): PreparedAnnotation => {
    const { id } = annotation;
    if (typeof id !== 'string' || id === '') {
      throw invalid(`annotation #${index}: expected a non-empty string id, received ${JSON.stringify(id)}`);
    }
    if (seen.has(id)) throw invalid(`annotation ${JSON.stringify(id)}: expected unique ids, received it twice`);
    seen.add(id);
    if ('box' in annotation) {
      const { box } = annotation;
      if (!isValidBox(box)) {
        throw invalid(
          `annotation ${JSON.stringify(id)}: expected finite corners with x1 <= x2 and y1 <= y2, received ${formatBox(box)}`,
        );
      }
      return { kind: 'box', id, bounds: box, areaPx: boxArea(box), box };
    }
    return preparePolygon(id, annotation.geometry);
  });
  return new AnnotationSet(items, options.cellSizePx);
}

function preparePolygon(id: string, geometry: PolygonGeometry): PreparedAnnotation {
  const what = `annotation ${JSON.stringify(id)}`;
  if (geometry?.type !== 'Polygon' && geometry?.type !== 'MultiPolygon') {
    throw invalid(`${what}: expected a Polygon or MultiPolygon geometry, received ${describe(geometry)}`);
  }
  const parts = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  for (const polygon of parts) {
    for (const ring of polygon) {
      if (!Array.isArray(ring) || ring.length < 3) {
        throw invalid(`${what}: expected rings of at least 3 positions, received ${describe(ring)}`);
      }
      for (const p of ring) {
        if (!Array.isArray(p) || !Number.isFinite(p[0]) || !Number.isFinite(p[1])) {
          throw invalid(`${what}: expected [x, y] positions with finite numbers, received ${describe(p)}`);
        }
      }
    }
  }
  // Drop a third (z) coordinate: polygon-clipping only takes pairs.
  const flat = parts.map((polygon) => polygon.map((ring) => ring.map(([x, y]): [number, number] => [x, y])));
  const polygon = normalizeMultiPolygon(flat);
  const bounds = multiPolygonBounds(polygon);
  const areaPx = multiPolygonArea(polygon);
  if (!bounds || !(areaPx > 0)) throw invalid(`${what}: expected a polygon with a positive area, received area 0`);
  return { kind: 'polygon', id, bounds, areaPx, polygon };
}

function invalid(message: string): GeometryError {
  return new GeometryError('INVALID_ANNOTATIONS', message);
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
