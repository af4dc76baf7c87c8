import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { describe, expect, it } from 'vitest';
import { type Annotation, prepareAnnotations } from './annotations';
import { type Box, giou, iou } from './box';
import { GeometryError } from './errors';
import { patchLabelMeasures } from './patch-measures';
import { type PolygonCoords, boxPolygonGiou, boxPolygonIou, normalizeMultiPolygon, shapesCoverage } from './polygon';

const box = (x1: number, y1: number, x2: number, y2: number): Box => ({ x1, y1, x2, y2 });

describe('patchLabelMeasures', () => {
  it('DigiLut: a 512-px footprint inside a 940-px lesion', () => {
    // coverage 1; IoU = GIoU = 512² / 940² = 262144 / 883600 ≈ 0.29668 (see box.test.ts).
    const m = patchLabelMeasures(box(1100, 1100, 1612, 1612), [{ id: 'L1', box: box(1000, 1000, 1940, 1940) }]);
    expect(m.coverage).toBe(1);
    expect(m.bestIou).toBeCloseTo(0.29668, 5);
    expect(m.bestGiou).toBeCloseTo(0.29668, 5);
    expect(m.bestBoxId).toBe('L1');
  });

  it('counts overlapping annotations once in coverage, and keeps the best single IoU', () => {
    const patch = box(0, 0, 10, 10);
    const m = patchLabelMeasures(patch, [
      { id: 'a', box: box(0, 0, 6, 10) }, // 60 inside the patch, IoU 0.6
      { id: 'b', box: box(4, 0, 10, 10) }, // 60, overlaps a on 20
    ]);
    expect(m.coverage).toBe(1);
    expect(m.bestIou).toBeCloseTo(0.6, 12);
    // Equal GIoU and IoU: the first in input order wins.
    expect(m.bestBoxId).toBe('a');
  });

  it('has documented values without annotations', () => {
    expect(patchLabelMeasures(box(0, 0, 10, 10), [])).toEqual({
      coverage: 0,
      bestIou: 0,
      bestGiou: -1,
      bestBoxId: null,
    });
  });

  it('ranks by GIoU, so a touching box can beat a huge barely-overlapping one', () => {
    // touching: IoU 0, GIoU 0. huge: inter 10, U = 100 + 38200 - 10 = 38290, C = 40000,
    // GIoU = 10/38290 - 1710/40000 ≈ -0.0425.
    const m = patchLabelMeasures(box(0, 0, 10, 10), [
      { id: 'huge', box: box(9, -100, 200, 100) },
      { id: 'touching', box: box(10, 0, 20, 10) },
    ]);
    expect(m.bestIou).toBeCloseTo(10 / 38290, 12);
    expect(m.bestGiou).toBe(0);
    expect(m.bestBoxId).toBe('touching');
    expect(m.coverage).toBeCloseTo(0.1, 12);
  });

  it('agrees with a direct computation over every annotation (boxes and polygons)', () => {
    const rng = xoroshiro128plus(3);
    const next = (lo: number, hi: number): number => uniformInt(rng, lo, hi);
    const annotations: Annotation[] = [];
    for (let i = 0; i < 25; i++) {
      const x = next(0, 4000);
      const y = next(0, 4000);
      if (i % 3 === 0) {
        annotations.push({
          id: `p${i}`,
          geometry: {
            type: 'Polygon',
            coordinates: [
              [
                [x, y],
                [x + next(200, 900), y + next(0, 200)],
                [x + next(0, 300), y + next(300, 900)],
                [x, y],
              ],
            ],
          },
        });
      } else {
        annotations.push({ id: `b${i}`, box: box(x, y, x + next(100, 1000), y + next(100, 1000)) });
      }
    }
    const set = prepareAnnotations(annotations, { cellSizePx: 300 });
    const shapes = annotations.map((a) =>
      'box' in a ? { box: a.box } : { polygon: normalizeMultiPolygon(a.geometry.coordinates as PolygonCoords) },
    );
    const boxes = shapes.flatMap((s) => (s.box ? [s.box] : []));
    const polygons = shapes.flatMap((s) => (s.polygon ? [s.polygon] : []));
    let positives = 0;
    for (let y = 0; y < 4800; y += 512) {
      for (let x = 100; x < 4800; x += 512) {
        const patch = box(x, y, x + 512, y + 512);
        const m = patchLabelMeasures(patch, set);
        const scores = shapes.map((s) =>
          s.box
            ? { iou: iou(patch, s.box), giou: giou(patch, s.box) }
            : { iou: boxPolygonIou(patch, s.polygon), giou: boxPolygonGiou(patch, s.polygon) },
        );
        expect(m.coverage).toBeCloseTo(shapesCoverage(patch, { boxes, polygons }), 9);
        expect(m.bestIou).toBeCloseTo(Math.max(...scores.map((s) => s.iou)), 9);
        expect(m.bestGiou).toBeCloseTo(Math.max(...scores.map((s) => s.giou)), 9);
        if (m.coverage > 0) positives++;
      }
    }
    // The layout must exercise both overlapping and empty patches.
    expect(positives).toBeGreaterThan(10);
    expect(positives).toBeLessThan(100);
  });

  it('rejects a zero-area patch and bad annotations', () => {
    expect(() => patchLabelMeasures(box(0, 0, 0, 10), [])).toThrowError(
      /patch: expected finite corners with x1 < x2 and y1 < y2/,
    );
    expect(() =>
      prepareAnnotations([
        { id: 'a', box: box(0, 0, 1, 1) },
        { id: 'a', box: box(0, 0, 1, 1) },
      ]),
    ).toThrowError(/annotation "a": expected unique ids, received it twice/);
    expect(() => prepareAnnotations([{ id: 'bad', box: box(5, 0, 1, 1) }])).toThrowError(GeometryError);
    expect(() =>
      prepareAnnotations([
        {
          id: 'flat',
          geometry: {
            type: 'Polygon',
            coordinates: [
              [
                [0, 0],
                [5, 0],
                [9, 0],
                [0, 0],
              ],
            ],
          },
        },
      ]),
    ).toThrowError(/annotation "flat": expected a polygon with a positive area/);
  });
});
