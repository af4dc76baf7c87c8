import { describe, expect, it } from 'vitest';
import { TissueParamError } from './errors';
import { getDetector, listDetectors, parseDetectorSpec } from './registry';

describe('detector registry', () => {
  it('lists each method with its parameter specs', () => {
    const infos = listDetectors();
    expect(infos.map((d) => d.name)).toEqual(['rgb-distance', 'otsu-saturation', 'none']);
    expect(infos[0].params.threshold).toMatchObject({ type: 'number', default: 85 });
    expect(infos[1].params.medianKernelPx).toMatchObject({ type: 'integer', default: 7, odd: true });
  });

  it('records every parameter, defaults filled in, for provenance', () => {
    const d = getDetector('rgb-distance', { threshold: 60 });
    expect(d.name).toBe('rgb-distance');
    expect(d.params).toEqual({ threshold: 60, blackMax: 30, dilationPx: 9, erosionPx: 9, shape: 'disc' });
    expect(getDetector('otsu-saturation').params).toEqual({
      medianKernelPx: 7,
      minThreshold: 15,
      closingPx: 5,
      shape: 'square',
      minAreaPx: 64,
      maxHoleAreaPx: 0,
    });
    expect(getDetector('none').params).toEqual({});
  });

  it('names the detector choices when the name is unknown', () => {
    expect(() => getDetector('otsu')).toThrow(TissueParamError);
    expect(() => getDetector('otsu')).toThrow(
      'tissue detection: parameter "detector": expected one of rgb-distance, otsu-saturation, none, received "otsu" (string)',
    );
  });

  it('says which parameter is wrong, what was expected and what was received', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ threshold: '85' }, 'parameter "threshold": expected a number in [0, 442], received "85" (string)'],
      [{ threshold: 500 }, 'parameter "threshold": expected a number in [0, 442], received 500 (number)'],
      [{ dilationPx: 8 }, 'parameter "dilationPx": expected an odd integer in [1, 255], received 8 (number)'],
      [{ shape: 'star' }, 'parameter "shape": expected one of "disc", "square", received "star" (string)'],
      [
        { thresh: 85 },
        'unknown "thresh": expected a parameter among threshold, blackMax, dilationPx, erosionPx, shape',
      ],
    ];
    for (const [params, message] of cases) {
      let caught: unknown;
      try {
        getDetector('rgb-distance', params as never);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(TissueParamError);
      const err = caught as TissueParamError;
      expect(err.message).toBe(`tissue detector "rgb-distance": ${message}`);
      expect(err.code).toBe('usage');
      expect(err.exitCode).toBe(64);
    }
    expect(() => getDetector('none', { x: 1 })).toThrow('expected no parameters');
    expect(() => getDetector('otsu-saturation', { minAreaPx: 1.5 })).toThrow(
      '"minAreaPx": expected an integer in [0, 1000000000], received 1.5',
    );
  });

  it('parses a command-line recipe, typing values by the spec', () => {
    expect(parseDetectorSpec('otsu-saturation:minAreaPx=200, maxHoleAreaPx=50,shape=disc')).toEqual({
      name: 'otsu-saturation',
      params: { minAreaPx: 200, maxHoleAreaPx: 50, shape: 'disc' },
    });
    expect(parseDetectorSpec('none')).toEqual({ name: 'none', params: {} });
    expect(() => parseDetectorSpec('rgb-distance:threshold=high')).toThrow(
      '"threshold": expected a number in [0, 442], received "high" (string)',
    );
    expect(() => parseDetectorSpec('rgb-distance:threshold')).toThrow('expected key=value');
    expect(() => parseDetectorSpec('rgb-distance:erosionPx=4')).toThrow('"erosionPx": expected an odd integer');
    expect(() => parseDetectorSpec('rgb-distance:bogus=1')).toThrow('unknown "bogus"');
  });
});
