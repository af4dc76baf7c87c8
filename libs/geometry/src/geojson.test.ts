import { describe, expect, it } from 'vitest';
import { prepareAnnotations } from './annotations';
import { GeometryError } from './errors';
import { annotationsFromGeoJson } from './geojson';

/** Shaped like QuPath 0.4's "Export objects as GeoJSON" (an array of features, UUID ids). */
const qupathExport = [
  {
    type: 'Feature',
    id: '6c1e4f52-0b8a-4a0c-9d33-1f1f7a7e2c11',
    geometry: {
      type: 'Polygon',
      coordinates: [
        [
          [0, 0],
          [100, 0],
          [100, 100],
          [0, 100],
          [0, 0],
        ],
        [
          [25, 25],
          [25, 75],
          [75, 75],
          [75, 25],
          [25, 25],
        ],
      ],
    },
    properties: { objectType: 'annotation', classification: { name: 'Lesion', color: [200, 0, 0] } },
  },
  {
    type: 'Feature',
    geometry: {
      type: 'MultiPolygon',
      coordinates: [
        [
          [
            [200, 200, 0],
            [210, 200, 0],
            [210, 210, 0],
            [200, 210, 0],
            [200, 200, 0],
          ],
        ],
        [
          [
            [300, 300],
            [320, 300],
            [320, 310],
            [300, 300],
          ],
        ],
      ],
    },
    properties: { objectType: 'annotation', name: 'second', classification: { name: 'Other' } },
  },
  {
    type: 'Feature',
    id: 'point-1',
    geometry: { type: 'Point', coordinates: [5, 5] },
    properties: { objectType: 'annotation' },
  },
];

describe('annotationsFromGeoJson', () => {
  it('reads polygons with holes and multipolygons, ids from id or name', () => {
    const { annotations, skipped } = annotationsFromGeoJson(qupathExport, { unsupported: 'skip' });
    expect(annotations.map((a) => a.id)).toEqual(['6c1e4f52-0b8a-4a0c-9d33-1f1f7a7e2c11', 'second']);
    expect(skipped).toEqual([{ index: 2, reason: 'geometry Point is not a Polygon or MultiPolygon' }]);
    const set = prepareAnnotations(annotations);
    // 100² - 50² = 7500; the multipolygon: 10² + a triangle of 20 x 10 / 2 = 100.
    expect(set.items.map((a) => a.areaPx)).toEqual([7500, 200]);
    expect(set.items[1].bounds).toEqual({ x1: 200, y1: 200, x2: 320, y2: 310 });
  });

  it('fails on non-polygon features unless told to skip them', () => {
    expect(() => annotationsFromGeoJson(qupathExport)).toThrowError(
      /GeoJSON: feature #2: expected a Polygon or MultiPolygon geometry, received Point/,
    );
  });

  it('keeps only the selected classes', () => {
    const { annotations, skipped } = annotationsFromGeoJson(qupathExport, {
      classNames: ['Lesion'],
      unsupported: 'skip',
    });
    expect(annotations).toHaveLength(1);
    expect(skipped.map((s) => s.index)).toEqual([1, 2]);
  });

  it('accepts a FeatureCollection, a single Feature and a bare geometry', () => {
    expect(
      annotationsFromGeoJson({ type: 'FeatureCollection', features: qupathExport.slice(0, 2) }).annotations,
    ).toHaveLength(2);
    expect(annotationsFromGeoJson(qupathExport[0]).annotations).toHaveLength(1);
    const bare = annotationsFromGeoJson(qupathExport[0].geometry).annotations;
    expect(bare.map((a) => a.id)).toEqual(['feature-0']);
  });

  it('rejects what is not GeoJSON with a clear error', () => {
    expect(() => annotationsFromGeoJson({ type: 'Topology' })).toThrowError(GeometryError);
    expect(() => annotationsFromGeoJson({ type: 'Topology' })).toThrowError(
      /GeoJSON: expected a FeatureCollection, an array of Features, a Feature or a polygon geometry, received \{"type":"Topology"\}/,
    );
    expect(() => annotationsFromGeoJson([{ type: 'Polygon' }])).toThrowError(
      /feature #0: expected an object with type "Feature"/,
    );
  });
});
