import { describe, expect, it } from 'vitest';
import { DIGILUT_PATIENT, LAST_UNDERSCORE_PATIENT, patchExtent, patientIdOf, slideFactsOf } from './slides';
import type { StreamMeta } from './meta';

describe('per-slide facts', () => {
  it("gives the patient by each tool's rule", () => {
    expect(patientIdOf('12AB_a')).toBe('12AB');
    expect(patientIdOf('12AB_B', DIGILUT_PATIENT)).toBe('12AB');
    expect(patientIdOf('12AB_c')).toBe('12AB_c');
    expect(patientIdOf('x_y_c', LAST_UNDERSCORE_PATIENT)).toBe('x_y');
    expect(patientIdOf('_abc', LAST_UNDERSCORE_PATIENT)).toBe('_abc');
    expect(patientIdOf('abc_c', { pattern: /^(.*)_[ab]$/, unmatched: 'none' })).toBeNull();
    expect(patientIdOf('P12-HE-3', { pattern: /^(?<patient>P\d+)-/, unmatched: 'none' })).toBe('P12');
  });

  it("finds a slide's facts in the stream or its table of slides", () => {
    const a = { slide_id: 'a', patient_id: 'a', width0: 10, height0: 20, mpp0: null };
    const b = { ...a, slide_id: 'b' };
    const meta: StreamMeta = { record: 'patch-score', version: 1, slide: a, facts: { slides: [b] }, provenance: [] };
    expect(slideFactsOf(meta, 'a')).toBe(a);
    expect(slideFactsOf(meta, 'b')).toEqual(b);
    expect(slideFactsOf(meta, 'c')).toBeNull();
  });

  it("falls back on the patches' extent", () => {
    expect(patchExtent({ n: 2, x0: [0, 100], y0: [0, 50], w0: [100, 100], h0: [50, 50] })).toEqual({
      width0: 200,
      height0: 100,
    });
    expect(patchExtent({ n: 1, x0: [0], y0: [0], w0: [10], h0: [10] }, { width0: 500, height0: 0 })).toEqual({
      width0: 500,
      height0: 10,
    });
  });
});
