import polygonClipping from 'polygon-clipping';
import { type Box, boxArea, boxesOverlap, enclosingBox, intersectBoxes } from './box';
import { unionAreaOfBoxes } from './box-union';
import { GeometryError } from './errors';

/** [x, y] in level-0 pixels. */
export type Position = [number, number];
/** A closed or open ring of positions; the closing repeat of the first position is optional. */
export type Ring = Position[];
/** GeoJSON Polygon coordinates: the exterior ring, then its holes. */
export type PolygonCoords = Ring[];
/** GeoJSON MultiPolygon coordinates. */
export type MultiPolygonCoords = PolygonCoords[];

/** Shoelace sum: positive for counter-clockwise rings in a y-up frame. */
export function ringSignedArea(ring: Ring): number {
  let twice = 0;
  for (let i = 0, n = ring.length; i < n; i++) {
    const [xa, ya] = ring[i];
    const [xb, yb] = ring[(i + 1) % n];
    twice += xa * yb - xb * ya;
  }
  return twice / 2;
}

/**
 * Area of a polygon or multipolygon as exterior minus holes, whatever the ring orientation
 * (QuPath and other writers do not agree on it). Parts are assumed not to overlap, which holds
 * after normalizeMultiPolygon.
 */
export function multiPolygonArea(geometry: MultiPolygonCoords): number {
  let area = 0;
  for (const polygon of geometry) {
    polygon.forEach((ring, i) => {
      const a = Math.abs(ringSignedArea(ring));
      area += i === 0 ? a : -a;
    });
  }
  return area;
}

/** Bounding box of every position; null for an empty geometry. */
export function multiPolygonBounds(geometry: MultiPolygonCoords): Box | null {
  let x1 = Infinity;
  let y1 = Infinity;
  let x2 = -Infinity;
  let y2 = -Infinity;
  for (const polygon of geometry) {
    // Holes lie inside the exterior, so the exterior alone bounds the polygon.
    for (const [x, y] of polygon[0] ?? []) {
      if (x < x1) x1 = x;
      if (x > x2) x2 = x;
      if (y < y1) y1 = y;
      if (y > y2) y2 = y;
    }
  }
  return x1 <= x2 ? { x1, y1, x2, y2 } : null;
}

export function boxToPolygon(box: Box): PolygonCoords {
  return [
    [
      [box.x1, box.y1],
      [box.x2, box.y1],
      [box.x2, box.y2],
      [box.x1, box.y2],
      [box.x1, box.y1],
    ],
  ];
}

/**
 * Resolves overlapping parts, self-overlaps and ring orientation with a self-union, so that
 * multiPolygonArea and pointInMultiPolygon can treat the result as a plain set of disjoint
 * polygons with holes.
 */
export function normalizeMultiPolygon(geometry: PolygonCoords | MultiPolygonCoords): MultiPolygonCoords {
  return clipping('normalize', () => polygonClipping.union(geometry));
}

/** The part of the geometry inside `box` (empty when they do not overlap). */
export function clipMultiPolygonToBox(geometry: MultiPolygonCoords, box: Box): MultiPolygonCoords {
  const bounds = multiPolygonBounds(geometry);
  if (!bounds || !boxesOverlap(bounds, box) || boxArea(box) === 0) return [];
  return clipping('intersection', () => polygonClipping.intersection(boxToPolygon(box), geometry));
}

/**
 * Area of geometry ∩ box for normalized geometry (disjoint parts, holes inside their exterior):
 * each ring is clipped to the box on its own and hole areas are subtracted. This takes
 * O(vertices) per ring instead of a general polygon overlay.
 */
export function multiPolygonBoxIntersectionArea(geometry: MultiPolygonCoords, box: Box): number {
  const bounds = multiPolygonBounds(geometry);
  if (!bounds || !boxesOverlap(bounds, box)) return 0;
  let area = 0;
  for (const polygon of geometry) {
    polygon.forEach((ring, i) => {
      const a = ringBoxIntersectionArea(ring, box);
      area += i === 0 ? a : -a;
    });
  }
  return Math.max(0, area);
}

/**
 * |ring ∩ box| by Sutherland-Hodgman clipping against the four box edges. For a concave ring
 * the clipped ring may run back and forth along the box edge, but those segments enclose no
 * area, so its shoelace area is still exactly the area of the intersection.
 */
export function ringBoxIntersectionArea(ring: Ring, box: Box): number {
  let points: Ring = ring;
  points = clipHalfPlane(
    points,
    (p) => p[0] >= box.x1,
    (a, b) => atX(a, b, box.x1),
  );
  points = clipHalfPlane(
    points,
    (p) => p[0] <= box.x2,
    (a, b) => atX(a, b, box.x2),
  );
  points = clipHalfPlane(
    points,
    (p) => p[1] >= box.y1,
    (a, b) => atY(a, b, box.y1),
  );
  points = clipHalfPlane(
    points,
    (p) => p[1] <= box.y2,
    (a, b) => atY(a, b, box.y2),
  );
  return points.length < 3 ? 0 : Math.abs(ringSignedArea(points));
}

function clipHalfPlane(
  points: Ring,
  inside: (p: Position) => boolean,
  crossing: (a: Position, b: Position) => Position,
): Ring {
  const out: Ring = [];
  const n = points.length;
  for (let i = 0; i < n; i++) {
    const current = points[i];
    const previous = points[(i + n - 1) % n];
    const currentIn = inside(current);
    if (currentIn !== inside(previous)) out.push(crossing(previous, current));
    if (currentIn) out.push(current);
  }
  return out;
}

function atX(a: Position, b: Position, x: number): Position {
  return [x, a[1] + ((b[1] - a[1]) * (x - a[0])) / (b[0] - a[0])];
}

function atY(a: Position, b: Position, y: number): Position {
  return [a[0] + ((b[0] - a[0]) * (y - a[1])) / (b[1] - a[1]), y];
}

/**
 * Even-odd point test over all rings; equals "inside an exterior and outside its holes" for
 * normalized geometry. Points exactly on an edge may fall either way.
 */
export function pointInMultiPolygon(geometry: MultiPolygonCoords, x: number, y: number): boolean {
  let inside = false;
  for (const polygon of geometry) {
    for (const ring of polygon) {
      for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        const [xi, yi] = ring[i];
        const [xj, yj] = ring[j];
        if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
      }
    }
  }
  return inside;
}

/**
 * Fraction of `patch` covered by the union of polygons and boxes, in [0, 1]; overlaps are
 * counted once. Polygons must be normalized. Boxes alone take the exact integer sweep and a
 * lone polygon the ring clipper; only several shapes that include a polygon need a polygon
 * union (polygon-clipping, floating point, so the result is clamped to [0, 1]).
 */
export function shapesCoverage(
  patch: Box,
  shapes: { boxes?: readonly Box[]; polygons?: readonly MultiPolygonCoords[] },
): number {
  const polygons = (shapes.polygons ?? []).filter((geometry) => {
    const bounds = multiPolygonBounds(geometry);
    return bounds !== null && boxesOverlap(bounds, patch);
  });
  return coverageOfShapes(patch, shapes.boxes ?? [], polygons);
}

/** shapesCoverage for callers that already dropped the polygons whose bounds miss the patch. */
export function coverageOfShapes(patch: Box, boxes: readonly Box[], polygons: readonly MultiPolygonCoords[]): number {
  const patchArea = boxArea(patch);
  if (polygons.length === 0) return unionAreaOfBoxes(boxes, patch) / patchArea;
  const boxParts: MultiPolygonCoords[] = [];
  for (const box of boxes) {
    const part = intersectBoxes(box, patch);
    if (part) boxParts.push([boxToPolygon(part)]);
  }
  let covered: number;
  if (polygons.length === 1 && boxParts.length === 0) {
    covered = multiPolygonBoxIntersectionArea(polygons[0], patch);
  } else {
    const parts = [...polygons.map((geometry) => clipMultiPolygonToBox(geometry, patch)), ...boxParts].filter(
      (part) => part.length > 0,
    );
    covered =
      parts.length === 0
        ? 0
        : multiPolygonArea(clipping('union', () => polygonClipping.union(parts[0], ...parts.slice(1))));
  }
  return Math.min(1, Math.max(0, covered / patchArea));
}

/**
 * IoU of a rectangle with a normalized polygon, from areas: |R ∩ P| / (|R| + |P| - |R ∩ P|).
 * Pass `polygonArea` when it is already known (it is stored with prepared annotations).
 */
export function boxPolygonIou(box: Box, geometry: MultiPolygonCoords, polygonArea?: number): number {
  return boxPolygonMeasures(box, geometry, polygonArea).iou;
}

/** GIoU of a rectangle with a normalized polygon; C is the hull of the rectangle and the polygon's bounding box. */
export function boxPolygonGiou(box: Box, geometry: MultiPolygonCoords, polygonArea?: number): number {
  return boxPolygonMeasures(box, geometry, polygonArea).giou;
}

function boxPolygonMeasures(
  box: Box,
  geometry: MultiPolygonCoords,
  polygonArea = multiPolygonArea(geometry),
): { iou: number; giou: number } {
  const bounds = multiPolygonBounds(geometry);
  if (!bounds) throw new GeometryError('INVALID_POLYGON', 'polygon: expected at least one ring, received none');
  return iouAndGiouFromAreas(box, boxArea(box), bounds, polygonArea, multiPolygonBoxIntersectionArea(geometry, box));
}

/**
 * IoU and GIoU of a rectangle with a shape known by its area, bounds and overlap area (C is the
 * hull of the rectangle and the shape's bounds). Same fallbacks as iou()/giou(): an empty union
 * gives IoU 0 and an empty hull GIoU -1; neither happens for a patch with a positive area.
 */
export function iouAndGiouFromAreas(
  box: Box,
  areaBox: number,
  shapeBounds: Box,
  areaShape: number,
  areaIntersection: number,
): { iou: number; giou: number } {
  const union = areaBox + areaShape - areaIntersection;
  const iouValue = union > 0 ? Math.min(1, areaIntersection / union) : 0;
  const hull = boxArea(enclosingBox(box, shapeBounds));
  const giouValue = hull > 0 ? iouValue - Math.max(0, hull - union) / hull : -1;
  return { iou: iouValue, giou: giouValue };
}

function clipping(operation: string, run: () => MultiPolygonCoords): MultiPolygonCoords {
  try {
    return run();
  } catch (cause) {
    throw new GeometryError(
      'CLIPPING_FAILED',
      `polygon ${operation}: polygon-clipping failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}
