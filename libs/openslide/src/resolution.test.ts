import { describe, expect, it } from 'vitest';
import {
  mppForMagnification,
  mppFromTiffResolution,
  planRead,
  replacementMpp,
  resolveMpp,
  resolveObjectivePower,
} from './resolution';

describe('resolveMpp', () => {
  it('prefers openslide.mpp-x/y, then TIFF tags, then the override', () => {
    const tiff = { 'tiff.XResolution': '40000', 'tiff.YResolution': '40000', 'tiff.ResolutionUnit': 'centimeter' };
    expect(resolveMpp({ 'openslide.mpp-x': '0.25', 'openslide.mpp-y': '0.26', ...tiff }, 1)).toEqual({
      x: 0.25,
      y: 0.26,
      source: 'openslide',
    });
    expect(resolveMpp(tiff, 1)).toEqual({ x: 0.25, y: 0.25, source: 'tiff-resolution' });
    expect(resolveMpp({}, 0.5)).toEqual({ x: 0.5, y: 0.5, source: 'override' });
    expect(resolveMpp({})).toBeNull();
  });

  it('ignores an unparsable or zero openslide mpp', () => {
    expect(resolveMpp({ 'openslide.mpp-x': '0', 'openslide.mpp-y': '0' })).toBeNull();
    expect(resolveMpp({ 'openslide.mpp-x': 'n/a', 'openslide.mpp-y': '0.25' })).toBeNull();
  });

  it('refuses a non-positive override', () => {
    expect(() => resolveMpp({}, { x: 0.25, y: 0 })).toThrowError(/mppOverride.y: expected a positive number/);
  });
});

describe('mppFromTiffResolution', () => {
  it('converts pixels per centimetre and per inch', () => {
    expect(
      mppFromTiffResolution({ 'tiff.XResolution': '20040.08', 'tiff.ResolutionUnit': 'centimeter' })?.x,
    ).toBeCloseTo(0.499, 4);
    expect(
      mppFromTiffResolution({
        'tiff.XResolution': '101600',
        'tiff.YResolution': '50800',
        'tiff.ResolutionUnit': 'inch',
      }),
    ).toEqual({ x: 0.25, y: 0.5 });
  });

  it('ignores desktop defaults and unit "none"', () => {
    expect(
      mppFromTiffResolution({
        'tiff.XResolution': '28.340000157438311',
        'tiff.YResolution': '28.34',
        'tiff.ResolutionUnit': 'centimeter',
      }),
    ).toBeNull();
    for (const dpi of ['72', '96', '300', '1200']) {
      expect(
        mppFromTiffResolution({ 'tiff.XResolution': dpi, 'tiff.YResolution': dpi, 'tiff.ResolutionUnit': 'inch' }),
      ).toBeNull();
    }
    expect(mppFromTiffResolution({ 'tiff.XResolution': '40000', 'tiff.ResolutionUnit': 'none' })).toBeNull();
    expect(mppFromTiffResolution({ 'tiff.XResolution': '40000' })).toBeNull();
    // The SVS fixture has a unit but no resolution.
    expect(mppFromTiffResolution({ 'tiff.ResolutionUnit': 'inch' })).toBeNull();
  });
});

describe('resolveObjectivePower', () => {
  it('uses the property, else derives 10 / mpp', () => {
    expect(resolveObjectivePower({ 'openslide.objective-power': '40' }, null)).toEqual({
      value: 40,
      source: 'openslide',
    });
    expect(resolveObjectivePower({}, { x: 0.25, y: 0.25, source: 'override' })).toEqual({
      value: 40,
      source: 'derived-from-mpp',
    });
    expect(resolveObjectivePower({}, { x: 0.5, y: 0.5, source: 'tiff-resolution' })?.value).toBe(20);
    expect(resolveObjectivePower({}, null)).toBeNull();
  });
});

describe('replacementMpp', () => {
  it('takes a number or x/y and refuses a non-positive value', () => {
    expect(replacementMpp(0.25)).toEqual({ x: 0.25, y: 0.25, source: 'override' });
    expect(replacementMpp({ x: 0.25, y: 0.26 })).toEqual({ x: 0.25, y: 0.26, source: 'override' });
    expect(() => replacementMpp(0)).toThrowError(/mpp.x: expected a positive number/);
  });
});

describe('mppForMagnification', () => {
  it('scales the level-0 mpp by objective power / magnification, else uses 10 / magnification', () => {
    const mpp = { x: 0.23, y: 0.23, source: 'openslide' as const };
    expect(mppForMagnification(mpp, { value: 40, source: 'openslide' }, 20)).toBeCloseTo(0.46, 12);
    expect(mppForMagnification(mpp, null, 20)).toBe(0.5);
    // The derived objective power (10 / mpp) gives the same as the convention.
    expect(mppForMagnification(mpp, resolveObjectivePower({}, mpp), 20)).toBeCloseTo(0.5, 12);
    expect(() => mppForMagnification(mpp, null, 0)).toThrowError(/magnification: expected a positive number, got 0/);
  });
});

describe('planRead', () => {
  const mpp40x = { x: 0.25, y: 0.25, source: 'openslide' as const };
  const downsamples = [1, 4, 16];

  it('reads 512 px at level 0 and halves it for 0.5 µm/px on a 40x slide with 1/4/16 downsamples', () => {
    expect(planRead(mpp40x, downsamples, 0.5)).toEqual({
      targetMpp: 0.5,
      tilePx: 256,
      level: 0,
      levelDownsample: 1,
      targetDownsample: 2,
      resampleFactor: 2,
      readPx: 512,
      extent0Px: 512,
      outputMpp: 0.5,
      needsResize: true,
    });
  });

  it('reads a level as is when it matches, within the tolerance', () => {
    expect(planRead(mpp40x, [1, 4.002, 16.01], 1.0)).toMatchObject({ level: 1, readPx: 256, needsResize: false });
    expect(planRead(mpp40x, downsamples, 4.0)).toMatchObject({
      level: 2,
      readPx: 256,
      needsResize: false,
      extent0Px: 4096,
    });
  });

  it('never picks a level coarser than the target', () => {
    expect(planRead(mpp40x, downsamples, 3.0)).toMatchObject({ level: 1, resampleFactor: 3, readPx: 768 });
    expect(planRead(mpp40x, [1, 4.2, 16], 1.0)).toMatchObject({ level: 0, readPx: 1024 });
  });

  it('flags enlarging when the target is finer than level 0', () => {
    expect(planRead(mpp40x, downsamples, 0.125)).toMatchObject({
      level: 0,
      resampleFactor: 0.5,
      readPx: 128,
      needsResize: true,
    });
  });

  it('refuses nonsense', () => {
    expect(() => planRead(mpp40x, downsamples, 0)).toThrowError(/targetMpp: expected a positive number/);
    expect(() => planRead(mpp40x, downsamples, 0.5, 0)).toThrowError(/tilePx: expected a positive integer, got 0/);
  });
});
