import { describe, expect, it } from 'vitest';
import { type Annotation, prepareAnnotations } from './annotations';
import type { Box } from './box';
import { patchLabelMeasures } from './patch-measures';
import { DEFAULT_LABEL_RULE, labelRuleDefinitions, parseLabelRule } from './rules/registry';

const box = (x1: number, y1: number, x2: number, y2: number): Box => ({ x1, y1, x2, y2 });

function labelWith(spec: string, patch: Box, annotations: Annotation[]): 0 | 1 {
  const set = prepareAnnotations(annotations);
  return parseLabelRule(spec).label({ patch, measures: patchLabelMeasures(patch, set), annotations: set });
}

describe('parseLabelRule', () => {
  it('reads each registered rule and writes it back canonically', () => {
    expect(labelRuleDefinitions().map((d) => d.name)).toEqual(['coverage', 'iou', 'center-in-box']);
    expect(parseLabelRule('coverage>=0.25').spec).toBe('coverage>=0.25');
    expect(parseLabelRule('coverage>=0.25').params).toEqual({ threshold: 0.25 });
    expect(parseLabelRule('coverage').spec).toBe('coverage>=0.1');
    expect(parseLabelRule(DEFAULT_LABEL_RULE).spec).toBe(DEFAULT_LABEL_RULE);
    expect(parseLabelRule(' iou > .2 ').spec).toBe('iou>0.2');
    expect(parseLabelRule('iou').spec).toBe('iou>0.1');
    expect(parseLabelRule('center-in-box').spec).toBe('center-in-box');
    expect(parseLabelRule('Coverage>=1e-1').spec).toBe('coverage>=0.1');
  });

  it.each([
    ['coverage>0.1', /labelling rule "coverage>0.1": expected "coverage>=T", received operator ">"/],
    ['iou>=0.2', /expected "iou>T", received operator ">="/],
    ['coverage>=1.5', /expected a threshold in \(0, 1\], received 1.5/],
    ['coverage>=0', /expected a threshold in \(0, 1\], received 0/],
    ['iou>1', /expected a threshold in \[0, 1\), received 1/],
    ['coverage>=abc', /expected a decimal threshold after ">=", received "abc"/],
    ['coverage>=', /expected a decimal threshold after ">=", received ""/],
    ['coverage>=0x1', /expected a decimal threshold/],
    ['center-in-box>0.5', /expected "center-in-box" without a threshold, received ">0.5"/],
    [
      'area>=3',
      /unknown rule "area": expected one of coverage>=T \(default 0.1\), iou>T \(default 0.1\), center-in-box/,
    ],
    ['', /labelling rule "": expected one of/],
  ])('rejects %j', (spec, message) => {
    expect(() => parseLabelRule(spec)).toThrowError(message);
    // A rule comes from the command line: a usage error (exit 64) for the tools.
    expect(() => parseLabelRule(spec)).toThrowError(
      expect.objectContaining({ reason: 'INVALID_RULE', code: 'usage', exitCode: 64 }),
    );
  });
});

describe('rules label patches', () => {
  const lesion: Annotation[] = [{ id: 'L', box: box(1000, 1000, 1940, 1940) }];

  it('coverage>=T compares the covered fraction', () => {
    // Patch [1888, 2400)x[1000, 1512): 52 x 512 covered -> coverage 52/512 ≈ 0.1016.
    const patch = box(1888, 1000, 2400, 1512);
    expect(labelWith('coverage>=0.1', patch, lesion)).toBe(1);
    expect(labelWith('coverage>=0.11', patch, lesion)).toBe(0);
  });

  it('iou>T compares the best IoU strictly', () => {
    // Inside the lesion: IoU ≈ 0.29668.
    const patch = box(1100, 1100, 1612, 1612);
    expect(labelWith('iou>0.29', patch, lesion)).toBe(1);
    expect(labelWith('iou>0.3', patch, lesion)).toBe(0);
    // Strictness: IoU exactly 0.5 (a box half the patch, nested) is not above 0.5.
    expect(labelWith('iou>0.5', box(0, 0, 10, 10), [{ id: 'h', box: box(0, 0, 5, 10) }])).toBe(0);
    expect(labelWith('iou>0.49', box(0, 0, 10, 10), [{ id: 'h', box: box(0, 0, 5, 10) }])).toBe(1);
  });

  it('center-in-box decides a centre on a shared edge once (half-open boxes)', () => {
    const two: Annotation[] = [
      { id: 'left', box: box(0, 0, 512, 512) },
      { id: 'right', box: box(512, 0, 1024, 512) },
    ];
    // Centre (512, 256) is on the shared edge: inside "right" only.
    expect(labelWith('center-in-box', box(256, 0, 768, 512), two)).toBe(1);
    expect(labelWith('center-in-box', box(256, 0, 768, 512), [two[0]])).toBe(0);
    expect(labelWith('center-in-box', box(-256, 0, 256, 512), [two[0]])).toBe(1);
  });

  it('center-in-box works with polygons and their holes', () => {
    const framed: Annotation[] = [
      {
        id: 'ring',
        geometry: {
          type: 'Polygon',
          coordinates: [
            [
              [0, 0],
              [300, 0],
              [300, 300],
              [0, 300],
              [0, 0],
            ],
            [
              [100, 100],
              [200, 100],
              [200, 200],
              [100, 200],
              [100, 100],
            ],
          ],
        },
      },
    ];
    expect(labelWith('center-in-box', box(0, 0, 100, 100), framed)).toBe(1);
    expect(labelWith('center-in-box', box(100, 100, 200, 200), framed)).toBe(0);
  });
});
