import { describe, expect, it } from 'vitest';
import { patientIdFromSlideId, slideIdFromPath } from './ids';

describe('default ids', () => {
  it('takes the slide id from the file name without its last extension', () => {
    expect(slideIdFromPath('/data/digilut/12AB_a.tif')).toBe('12AB_a');
    expect(slideIdFromPath('CMU-1-Small-Region.generic-tiled-jpeg.tif')).toBe('CMU-1-Small-Region.generic-tiled-jpeg');
    expect(slideIdFromPath('noext')).toBe('noext');
  });

  it('groups DigiLut <patient>_a / <patient>_b slides under <patient>, else one patient per slide', () => {
    expect(patientIdFromSlideId('12AB_a')).toBe('12AB');
    expect(patientIdFromSlideId('12AB_B')).toBe('12AB');
    expect(patientIdFromSlideId('12AB_c')).toBe('12AB_c');
    expect(patientIdFromSlideId('CMU-1-Small-Region')).toBe('CMU-1-Small-Region');
  });
});
