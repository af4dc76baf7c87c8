import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { slideOfGeoJsonPath } from './box-file';
import { loadTruth } from './truth';

const dir = mkdtempSync(join(tmpdir(), 'eval-truth-'));
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};

describe('loadTruth', () => {
  it('reads a DigiLut CSV per slide; a bad row stops it, or is left out with its line under drop', () => {
    const csv = file(
      'train.csv',
      'filename,x1,x2,y1,y2,max_x,max_y\nabc_a.tif,10,30,20,60,1000,1000\nabc_a.tif,5,4,0,9,1000,1000\nabc_b.tif,0,9,0,9,1000,1000\nabc_a.tif,10,30,20,60,1000,1000\nabc_b.tif,-5,9,0,9,1000,1000\n',
    );
    expect(() => loadTruth([csv])).toThrow(
      'train.csv:3: x1 > x2 (x1=5, x2=4): bad annotation (and 2 more; --bad-boxes drop leaves them out)',
    );
    const t = loadTruth([csv], { badBoxes: 'drop' });
    expect(t.bySlide).toEqual(
      new Map([
        ['abc_a', [{ x1: 10, y1: 20, x2: 30, y2: 60 }]],
        ['abc_b', [{ x1: 0, y1: 0, x2: 9, y2: 9 }]],
      ]),
    );
    // A negative corner is refused here as wsi-label refuses it.
    expect(t.skipped).toEqual([
      'train.csv:3: x1 > x2 (x1=5, x2=4)',
      'train.csv:5: duplicate of line 2',
      'train.csv:6: outside the slide: negative corner (x1=-5, x2=9, y1=0, y2=9)',
    ]);
  });

  it('reads QuPath GeoJSON: polygon bounds, slide from properties.slide_id or the file name, class filter', () => {
    const square = (x: number, y: number, s: number) => ({
      type: 'Polygon',
      coordinates: [
        [
          [x, y],
          [x + s, y],
          [x + s, y + s],
          [x, y + s],
          [x, y],
        ],
      ],
    });
    const fc = {
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          properties: { classification: { name: 'Lesion' } },
          geometry: {
            type: 'Polygon',
            coordinates: [
              [
                [0, 0],
                [50, 10],
                [20, 40],
                [0, 0],
              ],
            ],
          },
        },
        {
          type: 'Feature',
          properties: { classification: { name: 'Lesion' }, slide_id: 'other_b' },
          geometry: square(100, 100, 10),
        },
        { type: 'Feature', properties: { classification: { name: 'Other' } }, geometry: square(5, 5, 5) },
        {
          type: 'Feature',
          properties: { classification: { name: 'Lesion' } },
          geometry: { type: 'Point', coordinates: [1, 1] },
        },
      ],
    };
    const path = file('xyz_a.tif.geojson', JSON.stringify(fc));
    expect(slideOfGeoJsonPath(path)).toBe('xyz_a');
    expect(() => loadTruth([path])).toThrow(
      'xyz_a.tif.geojson:1 (feature #3): geometry Point is not a Polygon or MultiPolygon: bad annotation',
    );
    const all = loadTruth([path], { badBoxes: 'drop' });
    expect(all.bySlide.get('xyz_a')).toEqual([
      { x1: 0, y1: 0, x2: 50, y2: 40 },
      { x1: 5, y1: 5, x2: 10, y2: 10 },
    ]);
    expect(all.bySlide.get('other_b')).toEqual([{ x1: 100, y1: 100, x2: 110, y2: 110 }]);
    expect(all.skipped).toEqual(['xyz_a.tif.geojson:1 (feature #3): geometry Point is not a Polygon or MultiPolygon']);
    expect(loadTruth([path], { classNames: ['Lesion'], badBoxes: 'drop' }).bySlide.get('xyz_a')).toEqual([
      { x1: 0, y1: 0, x2: 50, y2: 40 },
    ]);
  });

  it('fails naming the file when it is missing or broken', () => {
    expect(() => loadTruth([join(dir, 'nope.csv')])).toThrow(/nope\.csv: no such file/);
    expect(() => loadTruth([file('bad.geojson', '{"type": ')])).toThrow(/bad\.geojson: not valid JSON/);
    expect(() => loadTruth([file('bad.csv', 'name,a\nx,1\n')])).toThrow(
      /bad\.csv:1: expected the header filename,x1,x2,y1,y2,max_x,max_y/,
    );
  });
});
