import { describe, expect, it } from 'vitest';
import {
  type Box,
  assertValidBox,
  boxArea,
  boxContainsPoint,
  boxesOverlap,
  clampBoxToSlide,
  enclosingBox,
  giou,
  intersectBoxes,
  intersectionArea,
  iou,
  isBoxInsideSlide,
  isValidBox,
  unionArea,
} from './box';
import { GeometryError } from './errors';

const box = (x1: number, y1: number, x2: number, y2: number): Box => ({ x1, y1, x2, y2 });

describe('box basics', () => {
  it('uses half-open extents: width = x2 - x1 and area counts pixels', () => {
    const b = box(2, 3, 5, 7);
    expect(boxArea(b)).toBe(12);
    expect(boxContainsPoint(b, 2, 3)).toBe(true);
    expect(boxContainsPoint(b, 5, 3)).toBe(false);
    expect(boxContainsPoint(b, 4.999, 6.999)).toBe(true);
    expect(boxContainsPoint(b, 4, 7)).toBe(false);
  });

  it('checks validity and names the culprit', () => {
    expect(isValidBox(box(0, 0, 0, 0))).toBe(true);
    expect(isValidBox(box(3, 0, 2, 1))).toBe(false);
    expect(isValidBox(box(0, 0, Number.NaN, 1))).toBe(false);
    expect(isValidBox(box(0, 0, Infinity, 1))).toBe(false);
    expect(() => assertValidBox(box(3, 0, 2, 1), 'truth box 4')).toThrowError(
      /truth box 4: expected finite corners with x1 <= x2 and y1 <= y2, received \{x1: 3, y1: 0, x2: 2, y2: 1\}/,
    );
    expect(() => assertValidBox(box(3, 0, 2, 1))).toThrowError(
      expect.objectContaining({ name: 'GeometryError', reason: 'INVALID_BOX', code: 'bad-input', exitCode: 65 }),
    );
    expect(() => assertValidBox(box(3, 0, 2, 1))).toThrowError(GeometryError);
  });

  it('clamps to the slide and tells inside from outside', () => {
    expect(clampBoxToSlide(box(-10, 5, 50, 120), 40, 100)).toEqual(box(0, 5, 40, 100));
    const outside = clampBoxToSlide(box(60, 10, 80, 20), 40, 100);
    expect(outside).toEqual(box(40, 10, 40, 20));
    expect(boxArea(outside)).toBe(0);
    expect(isValidBox(outside)).toBe(true);
    expect(isBoxInsideSlide(box(0, 0, 40, 100), 40, 100)).toBe(true);
    expect(isBoxInsideSlide(box(0, 0, 41, 100), 40, 100)).toBe(false);
  });
});

describe('IoU and GIoU, hand-computed', () => {
  const a = box(0, 0, 10, 10);

  it('identical boxes: IoU 1, GIoU 1', () => {
    expect(iou(a, box(0, 0, 10, 10))).toBe(1);
    expect(giou(a, box(0, 0, 10, 10))).toBe(1);
  });

  it('disjoint boxes: IoU 0, GIoU = -|C \\ U| / |C|', () => {
    // C = [0,30)x[0,10) = 300, U = 100 + 100 = 200 -> GIoU = 0 - 100/300.
    const b = box(20, 0, 30, 10);
    expect(iou(a, b)).toBe(0);
    expect(giou(a, b)).toBeCloseTo(-1 / 3, 12);
    // Further apart, GIoU keeps falling while IoU stays 0: C = 1000, U = 200 -> -0.8.
    expect(giou(a, box(90, 0, 100, 10))).toBeCloseTo(-0.8, 12);
  });

  it('touching at an edge: no overlap, GIoU 0 (C = A ∪ B)', () => {
    const b = box(10, 0, 20, 10);
    expect(boxesOverlap(a, b)).toBe(false);
    expect(intersectBoxes(a, b)).toBeNull();
    expect(intersectionArea(a, b)).toBe(0);
    expect(unionArea(a, b)).toBe(200);
    expect(iou(a, b)).toBe(0);
    expect(giou(a, b)).toBe(0);
    // The shared edge belongs to the right-hand box only.
    expect(boxContainsPoint(a, 10, 5)).toBe(false);
    expect(boxContainsPoint(b, 10, 5)).toBe(true);
  });

  it('nested boxes: IoU = inner/outer and GIoU equals IoU (C is the outer box)', () => {
    const inner = box(2, 2, 6, 6);
    expect(iou(a, inner)).toBeCloseTo(16 / 100, 12);
    expect(giou(a, inner)).toBeCloseTo(16 / 100, 12);
    expect(enclosingBox(a, inner)).toEqual(a);
  });

  it('partial overlap: GIoU below IoU', () => {
    // inter 5x5 = 25, U = 175, C = 15x15 = 225 -> IoU 1/7, GIoU 1/7 - 50/225.
    const b = box(5, 5, 15, 15);
    expect(iou(a, b)).toBeCloseTo(1 / 7, 12);
    expect(giou(a, b)).toBeCloseTo(1 / 7 - 50 / 225, 12);
  });

  it('crossing thin boxes overlap yet have a negative GIoU', () => {
    // A plus sign: inter 10x10 = 100, U = 1000 + 1000 - 100 = 1900, C = 100x100.
    const h = box(0, 45, 100, 55);
    const v = box(45, 0, 55, 100);
    expect(iou(h, v)).toBeCloseTo(100 / 1900, 12);
    expect(giou(h, v)).toBeCloseTo(100 / 1900 - 8100 / 10000, 12);
    expect(giou(h, v)).toBeLessThan(0);
  });

  it('is symmetric', () => {
    const b = box(3, -4, 17, 8);
    expect(iou(a, b)).toBe(iou(b, a));
    expect(giou(a, b)).toBe(giou(b, a));
  });

  it('degenerate boxes follow the documented conventions', () => {
    const p = box(3, 3, 3, 3);
    expect(iou(p, box(3, 3, 3, 3))).toBe(1);
    expect(giou(p, box(3, 3, 3, 3))).toBe(1);
    // Two distinct points, or collinear segments: |C| = 0 -> IoU 0, GIoU -1.
    expect(iou(p, box(5, 3, 5, 3))).toBe(0);
    expect(giou(p, box(5, 3, 5, 3))).toBe(-1);
    expect(giou(box(0, 0, 4, 0), box(2, 0, 9, 0))).toBe(-1);
    // A point inside a box: U = C = the box -> IoU 0, GIoU 0.
    expect(iou(p, a)).toBe(0);
    expect(giou(p, a)).toBe(0);
    // A horizontal and a vertical segment far apart: |C| > 0, U = 0 -> GIoU -1.
    expect(giou(box(0, 0, 4, 0), box(10, 10, 10, 20))).toBe(-1);
  });
});

describe('the DigiLut situation (940-px lesion, 256-px patches at half resolution = 512-px footprint)', () => {
  const lesion = box(1000, 1000, 1940, 1940); // 940 x 940 = 883600 px²

  it('a footprint wholly inside the lesion', () => {
    // inter = 512² = 262144 (coverage 1); U = the lesion = 883600; C = the lesion.
    // IoU = GIoU = 262144 / 883600 ≈ 0.29668.
    const patch = box(1100, 1100, 1612, 1612);
    expect(intersectionArea(patch, lesion) / boxArea(patch)).toBe(1);
    expect(iou(patch, lesion)).toBeCloseTo(262144 / 883600, 12);
    expect(iou(patch, lesion)).toBeCloseTo(0.29668, 5);
    expect(giou(patch, lesion)).toBeCloseTo(0.29668, 5);
  });

  it('a footprint over the lesion corner', () => {
    // Patch [1700, 2212)²: inter = 240² = 57600 -> coverage 57600/262144 ≈ 0.21973.
    // U = 262144 + 883600 - 57600 = 1088144 -> IoU ≈ 0.052934.
    // C = [1000, 2212)² = 1212² = 1468944 -> GIoU = IoU - 380800/1468944 ≈ -0.20630.
    const patch = box(1700, 1700, 2212, 2212);
    expect(intersectionArea(patch, lesion) / boxArea(patch)).toBeCloseTo(0.21973, 5);
    expect(iou(patch, lesion)).toBeCloseTo(0.052934, 6);
    expect(giou(patch, lesion)).toBeCloseTo(57600 / 1088144 - 380800 / 1468944, 12);
    expect(giou(patch, lesion)).toBeCloseTo(-0.2063, 4);
  });

  it('a box snapped to a misaligned 3x3 patch block scores GIoU ≈ 0.37, a miss at 0.5', () => {
    // The lesion spans grid cells 1..3 of 512 px in x and y: block [512, 2048)² = 1536² = 2359296.
    // The lesion lies inside, so GIoU = IoU = 883600 / 2359296 ≈ 0.37452.
    const block = box(512, 512, 2048, 2048);
    expect(giou(block, lesion)).toBeCloseTo(883600 / 2359296, 12);
    expect(giou(block, lesion)).toBeCloseTo(0.3745, 4);
    expect(giou(block, lesion) > 0.5).toBe(false);
    // Aligned on the grid the same lesion needs a 2x2 block: 883600 / 1024² ≈ 0.8427, a hit.
    const aligned = box(1024, 1024, 1964, 1964);
    expect(giou(box(1024, 1024, 2048, 2048), aligned)).toBeCloseTo(0.8427, 4);
  });
});
