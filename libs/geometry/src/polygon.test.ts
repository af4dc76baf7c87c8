import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { describe, expect, it } from 'vitest';
import { type Box, boxContainsPoint, giou, iou } from './box';
import {
  type MultiPolygonCoords,
  type PolygonCoords,
  boxPolygonGiou,
  boxPolygonIou,
  boxToPolygon,
  clipMultiPolygonToBox,
  multiPolygonArea,
  multiPolygonBounds,
  multiPolygonBoxIntersectionArea,
  normalizeMultiPolygon,
  pointInMultiPolygon,
  ringBoxIntersectionArea,
  ringSignedArea,
  shapesCoverage,
} from './polygon';

const box = (x1: number, y1: number, x2: number, y2: number): Box => ({ x1, y1, x2, y2 });
const square = (x1: number, y1: number, x2: number, y2: number): [number, number][] => [
  [x1, y1],
  [x2, y1],
  [x2, y2],
  [x1, y2],
  [x1, y1],
];
const triangle: PolygonCoords = [
  [
    [0, 0],
    [10, 0],
    [0, 10],
    [0, 0],
  ],
];

/** A 10x10 square with a 4x4 hole, as GeoJSON (exterior counter-clockwise, hole clockwise). */
const framed: PolygonCoords = [square(0, 0, 10, 10), square(3, 3, 7, 7).reverse()];

describe('polygon area and bounds', () => {
  it('computes exterior minus holes whatever the orientation', () => {
    expect(ringSignedArea(square(0, 0, 10, 10))).toBe(100);
    expect(ringSignedArea(square(0, 0, 10, 10).reverse())).toBe(-100);
    expect(multiPolygonArea([framed])).toBe(84);
    const clockwise = framed.map((ring) => [...ring].reverse());
    expect(multiPolygonArea([clockwise])).toBe(84);
    // Open rings (no closing repeat) give the same area.
    expect(multiPolygonArea([[square(0, 0, 10, 10).slice(0, 4)]])).toBe(100);
    expect(multiPolygonArea([triangle, [square(20, 20, 22, 23)]])).toBe(50 + 6);
  });

  it('bounds all parts', () => {
    expect(multiPolygonBounds([triangle, [square(20, 20, 22, 23)]])).toEqual(box(0, 0, 22, 23));
    expect(multiPolygonBounds([])).toBeNull();
  });

  it('normalizes overlapping parts so the overlap counts once', () => {
    const overlapping: MultiPolygonCoords = [[square(0, 0, 10, 10)], [square(5, 0, 15, 10)]];
    expect(multiPolygonArea(overlapping)).toBe(200);
    expect(multiPolygonArea(normalizeMultiPolygon(overlapping))).toBe(150);
  });

  it('tests points with holes', () => {
    expect(pointInMultiPolygon([framed], 1, 1)).toBe(true);
    expect(pointInMultiPolygon([framed], 5, 5)).toBe(false);
    expect(pointInMultiPolygon([framed], 11, 5)).toBe(false);
    expect(pointInMultiPolygon([triangle], 2, 2)).toBe(true);
    expect(pointInMultiPolygon([triangle], 6, 6)).toBe(false);
  });
});

describe('polygon against a rectangle', () => {
  it('intersects a triangle with rectangles (hand-computed)', () => {
    // The triangle is x + y <= 10: [0,5)² lies inside (25); over [5,10)x[0,5) the area is
    // ∫ from 5 to 10 of (10 - x) dx = 12.5.
    expect(multiPolygonBoxIntersectionArea([triangle], box(0, 0, 5, 5))).toBeCloseTo(25, 9);
    expect(multiPolygonBoxIntersectionArea([triangle], box(5, 0, 10, 5))).toBeCloseTo(12.5, 9);
    expect(multiPolygonBoxIntersectionArea([triangle], box(20, 20, 30, 30))).toBe(0);
    expect(multiPolygonBoxIntersectionArea([framed], box(2, 2, 8, 8))).toBeCloseTo(36 - 16, 9);
  });

  it('clips concave rings exactly, including a box that cuts them in two', () => {
    // A U: 30x30 minus the 10x20 notch = 700. The box [0,30)x[20,30) keeps both arms, 2 x 10x10,
    // and the clipped ring runs along y = 20 between them without adding area.
    const u: [number, number][] = [
      [0, 0],
      [30, 0],
      [30, 30],
      [20, 30],
      [20, 10],
      [10, 10],
      [10, 30],
      [0, 30],
    ];
    expect(ringBoxIntersectionArea(u, box(-5, -5, 40, 40))).toBe(700);
    expect(ringBoxIntersectionArea(u, box(0, 20, 30, 30))).toBe(200);
    expect(ringBoxIntersectionArea(u, box(12, 15, 18, 30))).toBe(0);
  });

  it('agrees with polygon-clipping on random star-shaped polygons with holes', () => {
    const rng = xoroshiro128plus(17);
    const next = (lo: number, hi: number): number => uniformInt(rng, lo, hi);
    for (let trial = 0; trial < 40; trial++) {
      const star = (cx: number, cy: number, rMin: number, rMax: number, n: number): [number, number][] =>
        Array.from({ length: n }, (_, k) => {
          const r = next(rMin, rMax);
          const a = (2 * Math.PI * k) / n;
          return [cx + r * Math.cos(a), cy + r * Math.sin(a)];
        });
      const geometry = normalizeMultiPolygon([[star(50, 50, 20, 45, next(5, 24)), star(50, 50, 3, 8, 6)]]);
      const x1 = next(0, 80);
      const y1 = next(0, 80);
      const clip = box(x1, y1, x1 + next(1, 60), y1 + next(1, 60));
      const reference = multiPolygonArea(clipMultiPolygonToBox(geometry, clip));
      expect(multiPolygonBoxIntersectionArea(geometry, clip)).toBeCloseTo(reference, 6);
    }
  });

  it('IoU/GIoU of a box-shaped polygon equal the box formulas', () => {
    const patch = box(0, 0, 10, 10);
    for (const other of [box(5, 5, 15, 15), box(20, 0, 30, 10), box(2, 2, 6, 6), box(-3, 4, 40, 6)]) {
      const polygon = [boxToPolygon(other)];
      expect(boxPolygonIou(patch, polygon)).toBeCloseTo(iou(patch, other), 12);
      expect(boxPolygonGiou(patch, polygon)).toBeCloseTo(giou(patch, other), 12);
    }
  });

  it('GIoU of a rectangle with a triangle uses the polygon area and the bounding-box hull', () => {
    // Patch [5,10)x[0,5): inter 12.5, U = 25 + 50 - 12.5 = 62.5, C = [0,10)² = 100.
    const patch = box(5, 0, 10, 5);
    expect(boxPolygonIou(patch, [triangle])).toBeCloseTo(12.5 / 62.5, 9);
    expect(boxPolygonGiou(patch, [triangle])).toBeCloseTo(12.5 / 62.5 - 37.5 / 100, 9);
  });
});

describe('coverage by polygons and boxes', () => {
  it('counts overlaps between polygons and boxes once', () => {
    const patch = box(0, 0, 10, 10);
    // Triangle (50 inside the patch) plus the box [0,5)² that lies inside the triangle: still 50.
    expect(shapesCoverage(patch, { polygons: [[triangle]], boxes: [box(0, 0, 5, 5)] })).toBeCloseTo(0.5, 9);
    // Adding the box [5,10)x[5,10) (outside the triangle) adds 25.
    expect(shapesCoverage(patch, { polygons: [[triangle]], boxes: [box(0, 0, 5, 5), box(5, 5, 10, 10)] })).toBeCloseTo(
      0.75,
      9,
    );
    expect(shapesCoverage(patch, { polygons: [[framed]] })).toBeCloseTo(0.84, 9);
    expect(shapesCoverage(patch, {})).toBe(0);
  });

  it('matches pixel counting on random rectilinear polygons with holes', () => {
    // Integer rectilinear shapes: a pixel is covered exactly when its top-left corner is,
    // so pixel counting is an exact reference.
    const rng = xoroshiro128plus(7);
    const next = (lo: number, hi: number): number => uniformInt(rng, lo, hi);
    for (let trial = 0; trial < 60; trial++) {
      const polygons: MultiPolygonCoords[] = [];
      const inside: ((x: number, y: number) => boolean)[] = [];
      for (let k = next(1, 3); k > 0; k--) {
        const x1 = next(0, 14);
        const y1 = next(0, 14);
        const outer = box(x1, y1, x1 + next(3, 10), y1 + next(3, 10));
        const hx = next(outer.x1 + 1, outer.x2 - 2);
        const hy = next(outer.y1 + 1, outer.y2 - 2);
        const hole = box(hx, hy, next(hx + 1, outer.x2 - 1), next(hy + 1, outer.y2 - 1));
        polygons.push(
          normalizeMultiPolygon([
            [square(outer.x1, outer.y1, outer.x2, outer.y2), square(hole.x1, hole.y1, hole.x2, hole.y2)],
          ]),
        );
        inside.push((x, y) => boxContainsPoint(outer, x, y) && !boxContainsPoint(hole, x, y));
      }
      const boxes = Array.from({ length: next(0, 2) }, () => {
        const x1 = next(0, 18);
        const y1 = next(0, 18);
        return box(x1, y1, x1 + next(1, 6), y1 + next(1, 6));
      });
      const px = next(0, 12);
      const py = next(0, 12);
      const patch = box(px, py, px + next(2, 10), py + next(2, 10));

      let covered = 0;
      for (let y = patch.y1; y < patch.y2; y++) {
        for (let x = patch.x1; x < patch.x2; x++) {
          if (inside.some((f) => f(x, y)) || boxes.some((b) => boxContainsPoint(b, x, y))) covered++;
        }
      }
      const expected = covered / ((patch.x2 - patch.x1) * (patch.y2 - patch.y1));
      expect(shapesCoverage(patch, { polygons, boxes })).toBeCloseTo(expected, 9);
    }
  });

  it('matches point sampling on random triangles', () => {
    // Slanted edges: sample 8x8 points per pixel; the error is bounded by the edge length.
    const rng = xoroshiro128plus(11);
    const next = (lo: number, hi: number): number => uniformInt(rng, lo, hi);
    for (let trial = 0; trial < 15; trial++) {
      const tri = (): MultiPolygonCoords =>
        normalizeMultiPolygon([
          [
            [next(0, 20), next(0, 20)],
            [next(0, 20), next(0, 20)],
            [next(0, 20), next(0, 20)],
          ],
        ]);
      const polygons = [tri(), tri()];
      const patch = box(4, 4, 16, 16);
      let hits = 0;
      const n = 12 * 8;
      for (let j = 0; j < n; j++) {
        for (let i = 0; i < n; i++) {
          const x = patch.x1 + (i + 0.5) / 8;
          const y = patch.y1 + (j + 0.5) / 8;
          if (polygons.some((p) => pointInMultiPolygon(p, x, y))) hits++;
        }
      }
      expect(Math.abs(shapesCoverage(patch, { polygons }) - hits / (n * n))).toBeLessThan(0.02);
    }
  });
});
