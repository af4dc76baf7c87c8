import { describe, expect, it } from 'vitest';
import { OpenSlideError } from './errors';
import * as lowlevel from './lowlevel';
import { GENERIC_JPEG_TIF, SVS } from '@slidepipe/fixtures';

describe('lowlevel', () => {
  it('binds OpenSlide 3.4.1', () => {
    expect(lowlevel.getVersion()).toBe('3.4.1');
    expect(lowlevel.detectVendor(SVS)).toBe('aperio');
    expect(lowlevel.detectVendor(GENERIC_JPEG_TIF)).toBe('generic-tiff');
    expect(lowlevel.detectVendor('/etc/hostname')).toBeNull();
  });

  it('reads levels and properties from a handle', () => {
    const osr = lowlevel.open(GENERIC_JPEG_TIF);
    expect(lowlevel.getLevelCount(osr)).toBe(5);
    expect(lowlevel.getLevelDimensions(osr, 4)).toEqual({ width: 138, height: 185 });
    expect(lowlevel.getLevelDownsample(osr, 2)).toBeCloseTo(4.002, 3);
    expect(lowlevel.getBestLevelForDownsample(osr, 4.5)).toBe(2);
    expect(lowlevel.getPropertyNames(osr)).toContain('tiff.XResolution');
    expect(lowlevel.getPropertyValue(osr, 'openslide.vendor')).toBe('generic-tiff');
    expect(lowlevel.getPropertyValue(osr, 'no.such.property')).toBeNull();
    expect(lowlevel.getAssociatedImageNames(osr)).toEqual([]);
    expect(lowlevel.getAssociatedImageDimensions(osr, 'label')).toEqual({ width: -1, height: -1 });
    expect(lowlevel.getError(osr)).toBeNull();
    expect(() => lowlevel.getLevelDimensions(osr, 9)).toThrowError(/level: 9 does not exist/);
    lowlevel.close(osr);
  });

  it('reads a region synchronously and refuses a destination that is too short', () => {
    const osr = lowlevel.open(SVS);
    const dest = Buffer.alloc(32 * 32 * 4);
    lowlevel.readRegion(osr, dest, 1000, 1000, 0, 32, 32);
    expect(dest.some((v) => v !== 0)).toBe(true);
    expect(() => lowlevel.readRegion(osr, Buffer.alloc(100), 0, 0, 0, 32, 32)).toThrowError(
      /needs 4096 bytes, got 100/,
    );
    lowlevel.close(osr);
  });

  it('refuses a closed handle instead of passing a dangling pointer', async () => {
    const osr = lowlevel.open(SVS);
    lowlevel.close(osr);
    lowlevel.close(osr);
    expect(osr.closed).toBe(true);
    expect(() => lowlevel.getLevelCount(osr)).toThrowError(OpenSlideError);
    await expect(lowlevel.readRegionAsync(osr, Buffer.alloc(16), 0, 0, 0, 2, 2)).rejects.toMatchObject({
      reason: 'SLIDE_CLOSED',
      path: SVS,
    });
  });
});
