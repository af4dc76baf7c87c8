import { describe, expect, it } from 'vitest';
import { readBoxFile, slideAnnotations, slideOfGeoJsonPath } from './box-file';

const enc = (s: string) => new TextEncoder().encode(s);
const HEADER = 'filename,x1,x2,y1,y2,max_x,max_y';

describe('DigiLut CSV annotations', () => {
  const csv = [
    HEADER, //                                         line 1
    'abc_a.tif,1000,1940,2000,2940,10000,20000', //   2 ok
    'abc_a.tif,500,400,10,20,10000,20000', //         3 x1 > x2
    'abc_a.tif,10,10,10,20,10000,20000', //           4 zero width
    'abc_a.tif,1000,1940,2000,2940,10000,20000', //   5 duplicate of 2
    'abc_a.tif,9000,10500,10,20,10000,20000', //      6 beyond max_x
    'abc_a.tif,-5,100,10,20,10000,20000', //          7 negative corner
    'abc_a.tif,1,2,3,x,10000,20000', //               8 not a number
    'abc_a.tif,1,2,3,4,10000', //                     9 missing field
    'abc_a.tif,100,200,300,400,10000,20001', //      10 size differs from line 2
    '', //                                           11 blank: skipped, lines still count
    'xyz_b.tif,5,50,5,50,800,900', //                12 ok, other slide
  ].join('\n');
  const file = readBoxFile('train.csv', enc(csv));

  it('reports every bad row with its line number and keeps the good ones', () => {
    const a = slideAnnotations(file, 'abc_a', null, new Set());
    expect(a.used).toEqual(['abc_a:x1000-1940:y2000-2940']);
    const byLine = Object.fromEntries(a.rejected.map((r) => [r.where, r.problems.join('; ')]));
    expect(Object.keys(byLine)).toEqual([3, 4, 5, 6, 7, 8, 9, 10].map((l) => `train.csv:${l}`));
    expect(byLine['train.csv:3']).toMatch(/x1 > x2 \(x1=500, x2=400\)/);
    expect(byLine['train.csv:4']).toMatch(/zero width/);
    expect(byLine['train.csv:5']).toBe('duplicate of line 2');
    expect(byLine['train.csv:6']).toMatch(/outside the slide: x 10500 > max_x 10000/);
    expect(byLine['train.csv:7']).toMatch(/outside the slide: negative corner/);
    expect(byLine['train.csv:8']).toMatch(/y2 is not a number \("x"\)/);
    expect(byLine['train.csv:9']).toMatch(/6 fields, expected 7/);
    expect(byLine['train.csv:10']).toMatch(/differ from line 2/);
    // Nothing vanishes: used + rejected + excluded = every row of the slide.
    expect(a.used.length + a.rejected.length + a.excluded.length).toBe(file.bySlide.get('abc_a')!.length);
  });

  it('checks the stated slide size and the bounds against the slide facts of the stream', () => {
    const other = slideAnnotations(file, 'xyz_b', { width0: 800, height0: 900 }, new Set());
    expect(other.rejected).toEqual([]);
    const small = slideAnnotations(file, 'xyz_b', { width0: 40, height0: 900 }, new Set());
    expect(small.rejected).toHaveLength(1);
    expect(small.rejected[0].where).toBe('train.csv:12');
    expect(small.rejected[0].problems.join('; ')).toMatch(
      /max_x=800, max_y=900\) differs from the slide's 40 x 900 px/,
    );
    expect(small.rejected[0].problems.join('; ')).toMatch(/outside the slide: bounds x 5\.\.50/);
  });

  it('leaves out excluded ids, listing them, and gives a slide without rows no annotations', () => {
    const a = slideAnnotations(file, 'xyz_b', null, new Set(['xyz_b:x5-50:y5-50']));
    expect(a.used).toEqual([]);
    expect(a.excluded).toEqual([{ where: 'train.csv:12', id: 'xyz_b:x5-50:y5-50' }]);
    expect(slideAnnotations(file, 'nobody_a', null, new Set()).set.size).toBe(0);
  });

  it('refuses a file without the DigiLut header', () => {
    expect(() => readBoxFile('boxes.csv', enc('name,a,b\nx,1,2\n'))).toThrow(
      /boxes\.csv:1: expected the header filename,x1,x2,y1,y2,max_x,max_y.*missing filename, x1, x2, y1, y2, max_x, max_y/,
    );
  });

  it('records the sha256 of the file bytes (checked against sha256sum)', () => {
    expect(readBoxFile('e.csv', enc(HEADER + '\n')).sha256).toBe(
      '268642cc4e992807e9515cd511363c82a2bfed2750fb2d877bac5cbe04202ccd',
    );
    expect(readBoxFile('e.geojson', enc('[]')).sha256).toBe(
      '4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945',
    );
    expect(() => readBoxFile('e.csv', enc(''))).toThrow(/empty file/);
  });
});

describe('QuPath GeoJSON annotations', () => {
  const square = (x: number, y: number, s: number) => [
    [
      [x, y],
      [x + s, y],
      [x + s, y + s],
      [x, y + s],
      [x, y],
    ],
  ];
  const features = [
    { type: 'Feature', id: 'u1', geometry: { type: 'Polygon', coordinates: square(100, 100, 50) }, properties: {} },
    { type: 'Feature', id: 'u2', geometry: { type: 'Point', coordinates: [1, 2] }, properties: {} },
    { type: 'Feature', id: 'u3', geometry: { type: 'Polygon', coordinates: square(100, 100, 50) }, properties: {} },
    { type: 'Feature', id: 'u4', geometry: { type: 'Polygon', coordinates: square(950, 100, 100) }, properties: {} },
  ];
  // Pretty-printed like QuPath's export, so each feature starts on a known line.
  const text = JSON.stringify({ type: 'FeatureCollection', features }, null, 2);
  const file = readBoxFile('slides/abc_a.tif.geojson', enc(text));

  it('belongs to the slide named by the file, and reports each bad feature with its line', () => {
    expect(slideOfGeoJsonPath('slides/abc_a.tif.geojson')).toBe('abc_a');
    expect([...file.bySlide.keys()]).toEqual(['abc_a']);
    const a = slideAnnotations(file, 'abc_a', { width0: 1000, height0: 1000 }, new Set());
    expect(a.used).toEqual(['u1']);
    const lines = text.split('\n');
    const lineOf = (id: string) => lines.findIndex((l) => l.includes(`"id": "${id}"`)) + 1;
    expect(a.rejected.map((r) => r.where)).toEqual(
      [2, 3, 4].map((i) => `abc_a.tif.geojson:${lineOf(`u${i}`) - 1} (feature #${i - 1})`),
    );
    expect(a.rejected[0].problems[0]).toMatch(/Point is not a Polygon/);
    expect(a.rejected[1].problems[0]).toMatch(/duplicate of feature #0/);
    expect(a.rejected[2].problems[0]).toMatch(/outside the slide: bounds x 950\.\.1050/);
  });

  it('can be assigned to another slide', () => {
    expect([...readBoxFile('x.geojson', enc(text), { geojsonSlide: 'zzz_b' }).bySlide.keys()]).toEqual(['zzz_b']);
  });

  it('refuses text that is not JSON', () => {
    expect(() => readBoxFile('x.geojson', enc('{"type": '))).toThrow(/x\.geojson: not valid JSON/);
  });
});
