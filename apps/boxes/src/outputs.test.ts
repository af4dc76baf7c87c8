import { describe, expect, it } from 'vitest';
import { check } from '@placemarkio/check-geojson';
import type { BoxRecord } from '@slidepipe/schema';
import type { SlideResult } from './boxes';
import { PatchColumns, ScoreGrid } from './grid';
import { parseColumns, qupathGeoJson, submissionCsv, SUBMISSION_COLUMNS } from './outputs';
import { scoreGrids } from '@slidepipe/testing';

// The grid helpers, bound to this tool's own grid classes.
const { gridFromPicture } = scoreGrids(PatchColumns, ScoreGrid);

const box = (
  rank: number,
  x1: number,
  y1: number,
  x2: number,
  y2: number,
  extra: Partial<BoxRecord> = {},
): BoxRecord => ({
  slide_id: 'a_a',
  rank,
  x1,
  y1,
  x2,
  y2,
  score: 0.5,
  padded: false,
  trustii_id: String(10 + rank),
  ...extra,
});

const result = (boxes: BoxRecord[], grid = gridFromPicture('.#.\n##.\n...')): SlideResult => ({
  meta: { record: 'box', version: 1, slide: null, facts: {}, provenance: [] },
  slide: { slide_id: 'a_a', patient_id: 'a', width0: 10000, height0: 8000, mpp0: 0.25 },
  boxes,
  grid,
  filename: 'a_a.tif',
});

describe('submission CSV', () => {
  const r = result([box(0, 100, 200, 1040, 1140), box(1, 0, 0, 1, 1, { padded: true, score: 0 })]);

  it('writes the DigiLut header and every box, neutral ones included', () => {
    expect(submissionCsv([r], [...SUBMISSION_COLUMNS])).toBe(
      'trustii_id,filename,x1,x2,y1,y2\n10,a_a.tif,100,1040,200,1140\n11,a_a.tif,0,1,0,1\n',
    );
  });

  it('takes another column order, and refuses unknown or repeated columns', () => {
    expect(submissionCsv([r], parseColumns('filename, trustii_id,x1,y1,x2,y2,score'))).toBe(
      'filename,trustii_id,x1,y1,x2,y2,score\na_a.tif,10,100,200,1040,1140,0.5\na_a.tif,11,0,0,1,1,0\n',
    );
    expect(() => parseColumns('trustii_id,width')).toThrow(
      /--columns: expected a comma list of trustii_id, filename, x1, x2, y1, y2, slide_id, rank, score, padded/,
    );
    expect(() => parseColumns('x1,x1')).toThrow(/appears twice/);
  });
});

describe('QuPath GeoJSON', () => {
  it('is valid GeoJSON: rectangles with classification and score, contours, no neutral boxes', () => {
    const fc = qupathGeoJson(
      result([box(0, 100, 200, 1040, 1140, { score: 0.875 }), box(1, 0, 0, 1, 1, { padded: true })]),
      [0.5],
    ) as {
      features: {
        geometry: { type: string; coordinates: number[][][] | number[][][][] };
        properties: Record<string, unknown>;
      }[];
    };
    const text = JSON.stringify(fc);
    expect(() => check(text)).not.toThrow();
    expect(fc.features).toHaveLength(2);
    const [rect, contour] = fc.features;
    expect(rect.geometry).toEqual({
      type: 'Polygon',
      coordinates: [
        [
          [100, 200],
          [1040, 200],
          [1040, 1140],
          [100, 1140],
          [100, 200],
        ],
      ],
    });
    expect(rect.properties).toMatchObject({
      objectType: 'annotation',
      classification: { name: 'Lesion (predicted)', color: [220, 40, 40] },
      measurements: { score: 0.875, rank: 0 },
      trustii_id: '10',
    });
    // The three positive cells (stride 512 around the centres) united into one L-shaped polygon.
    expect(contour.geometry.type).toBe('MultiPolygon');
    const rings = contour.geometry.coordinates as number[][][][];
    expect(rings).toHaveLength(1);
    const xs = rings[0][0].map((p) => p[0]);
    const ys = rings[0][0].map((p) => p[1]);
    expect([Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)]).toEqual([0, 1024, 0, 1024]);
    expect(contour.properties).toMatchObject({
      classification: { name: 'Heat map >= 0.5' },
      measurements: { level: 0.5, patches: 3 },
    });
  });
});
