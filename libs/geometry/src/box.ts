import { GeometryError } from './errors';

/**
 * Axis-aligned box in level-0 pixels, half-open: it covers x1 <= x < x2 and y1 <= y < y2.
 * So width = x2 - x1, area = width * height, and for integer corners the area equals the
 * number of pixels covered. Two boxes sharing an edge (a.x2 === b.x1) do not overlap, and a
 * point on that edge belongs to exactly one of them.
 */
export interface Box {
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
}

/** A valid box has finite corners with x1 <= x2 and y1 <= y2; zero width or height is allowed. */
export function isValidBox(box: Box): boolean {
  return (
    Number.isFinite(box.x1) &&
    Number.isFinite(box.y1) &&
    Number.isFinite(box.x2) &&
    Number.isFinite(box.y2) &&
    box.x1 <= box.x2 &&
    box.y1 <= box.y2
  );
}

/** Throws a GeometryError naming `what` unless `box` is valid; returns it for chaining. */
export function assertValidBox(box: Box, what = 'box'): Box {
  if (!isValidBox(box)) {
    throw new GeometryError(
      'INVALID_BOX',
      `${what}: expected finite corners with x1 <= x2 and y1 <= y2, received ${formatBox(box)}`,
    );
  }
  return box;
}

export function formatBox(box: Box): string {
  return `{x1: ${box.x1}, y1: ${box.y1}, x2: ${box.x2}, y2: ${box.y2}}`;
}

export function boxWidth(box: Box): number {
  return box.x2 - box.x1;
}

export function boxHeight(box: Box): number {
  return box.y2 - box.y1;
}

export function boxArea(box: Box): number {
  return (box.x2 - box.x1) * (box.y2 - box.y1);
}

export function boxesEqual(a: Box, b: Box): boolean {
  return a.x1 === b.x1 && a.y1 === b.y1 && a.x2 === b.x2 && a.y2 === b.y2;
}

export function boxCenter(box: Box): { x: number; y: number } {
  return { x: (box.x1 + box.x2) / 2, y: (box.y1 + box.y2) / 2 };
}

/** Half-open containment: the left and top edges belong to the box, the right and bottom do not. */
export function boxContainsPoint(box: Box, x: number, y: number): boolean {
  return box.x1 <= x && x < box.x2 && box.y1 <= y && y < box.y2;
}

/** True when the interiors overlap (a positive-area intersection); touching edges do not count. */
export function boxesOverlap(a: Box, b: Box): boolean {
  return a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2;
}

/** The common part of two boxes, or null when their intersection has zero area. */
export function intersectBoxes(a: Box, b: Box): Box | null {
  const x1 = Math.max(a.x1, b.x1);
  const y1 = Math.max(a.y1, b.y1);
  const x2 = Math.min(a.x2, b.x2);
  const y2 = Math.min(a.y2, b.y2);
  return x1 < x2 && y1 < y2 ? { x1, y1, x2, y2 } : null;
}

export function intersectionArea(a: Box, b: Box): number {
  const w = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const h = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  return w > 0 && h > 0 ? w * h : 0;
}

/** Area of A ∪ B for two boxes (inclusion-exclusion, so exact for integer corners). */
export function unionArea(a: Box, b: Box): number {
  return boxArea(a) + boxArea(b) - intersectionArea(a, b);
}

/** Smallest box containing both (the C of GIoU). */
export function enclosingBox(a: Box, b: Box): Box {
  return {
    x1: Math.min(a.x1, b.x1),
    y1: Math.min(a.y1, b.y1),
    x2: Math.max(a.x2, b.x2),
    y2: Math.max(a.y2, b.y2),
  };
}

/**
 * Intersection over union, in [0, 1]. Degenerate case: when both boxes have zero area the union
 * is empty, and IoU is 1 if the boxes are identical, else 0 (a point or segment matches only
 * itself). Boxes must be valid (see isValidBox); this is not checked here because it runs in
 * inner loops.
 */
export function iou(a: Box, b: Box): number {
  const inter = intersectionArea(a, b);
  const union = boxArea(a) + boxArea(b) - inter;
  if (union === 0) return boxesEqual(a, b) ? 1 : 0;
  return inter / union;
}

/**
 * Generalized IoU (Rezatofighi et al. 2019): IoU - |C \ (A ∪ B)| / |C|, C the smallest enclosing
 * box; in (-1, 1], 1 only for identical boxes. Unlike IoU it keeps falling as disjoint boxes
 * move apart, which is why DigiLut scores with it.
 * Degenerate case: when |C| = 0 (both boxes lie on one line or point) GIoU is 1 for identical
 * boxes and -1 otherwise, the limits of the formula for nearly flat boxes that do not coincide.
 */
export function giou(a: Box, b: Box): number {
  const inter = intersectionArea(a, b);
  const union = boxArea(a) + boxArea(b) - inter;
  const hull = boxArea(enclosingBox(a, b));
  if (hull === 0) return boxesEqual(a, b) ? 1 : -1;
  const iouValue = union === 0 ? 0 : inter / union;
  return iouValue - (hull - union) / hull;
}

/**
 * Clips a box to the slide [0, slideWidthPx) x [0, slideHeightPx). A box entirely outside comes
 * back with zero width or height (still valid), so callers can drop it with boxArea(...) === 0.
 */
export function clampBoxToSlide(box: Box, slideWidthPx: number, slideHeightPx: number): Box {
  const cx = (v: number): number => Math.min(Math.max(v, 0), slideWidthPx);
  const cy = (v: number): number => Math.min(Math.max(v, 0), slideHeightPx);
  const x1 = cx(box.x1);
  const y1 = cy(box.y1);
  return { x1, y1, x2: Math.max(x1, cx(box.x2)), y2: Math.max(y1, cy(box.y2)) };
}

/** True when the box lies within [0, slideWidthPx) x [0, slideHeightPx). */
export function isBoxInsideSlide(box: Box, slideWidthPx: number, slideHeightPx: number): boolean {
  return box.x1 >= 0 && box.y1 >= 0 && box.x2 <= slideWidthPx && box.y2 <= slideHeightPx;
}
