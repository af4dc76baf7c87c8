import { describe, expect, it } from 'vitest';
import { binRgb } from '@slidepipe/image';
import { mulberry32, paintHePatch } from '@slidepipe/testing';
import { HE_FEATURE_NAMES, HE_FEATURES_DIM, HE_FEATURES_IDENTITY, heFeatures } from './he-features';

const feature = (out: Float32Array, name: string, at = 0) => out[at + HE_FEATURE_NAMES.indexOf(name)];

function solid(px: number, rgb: [number, number, number]): Uint8Array {
  return Uint8Array.from({ length: px * px * 3 }, (_, i) => rgb[i % 3]);
}

/** The RGB of a stain at concentration c: I = 256 * 10^(-c * OD_vector) - 1. */
function stainRgb(od: number[], c: number): [number, number, number] {
  return od.map((v) => Math.round(256 * 10 ** (-c * v) - 1)) as [number, number, number];
}

describe('he-features', () => {
  it('has one name per feature and an identity that names its recipe', () => {
    expect(HE_FEATURES_DIM).toBe(64);
    expect(new Set(HE_FEATURE_NAMES).size).toBe(64);
    expect(HE_FEATURES_IDENTITY.dim).toBe(64);
    expect(HE_FEATURES_IDENTITY.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('separates haematoxylin from eosin (Ruifrok-Johnston deconvolution)', () => {
    const out = new Float32Array(HE_FEATURES_DIM * 2);
    heFeatures({ data: solid(64, stainRgb([0.65, 0.7, 0.29], 0.5)), width: 64, height: 64 }, out, 0);
    heFeatures({ data: solid(64, stainRgb([0.07, 0.99, 0.11], 0.4)), width: 64, height: 64 }, out, HE_FEATURES_DIM);
    expect(feature(out, 'h_mean')).toBeCloseTo(0.5, 1);
    expect(Math.abs(feature(out, 'e_mean'))).toBeLessThan(0.03);
    expect(feature(out, 'e_mean', HE_FEATURES_DIM)).toBeCloseTo(0.4, 1);
    expect(Math.abs(feature(out, 'h_mean', HE_FEATURES_DIM))).toBeLessThan(0.03);
    expect(feature(out, 'tissue_fraction')).toBe(1);
    expect(feature(out, 'h_p50')).toBeCloseTo(0.5, 1);
  });

  it('calls a white patch background: no tissue, no blobs, no texture', () => {
    const out = new Float32Array(HE_FEATURES_DIM);
    heFeatures({ data: solid(64, [245, 245, 245]), width: 64, height: 64 }, out, 0);
    expect(feature(out, 'tissue_fraction')).toBe(0);
    expect(feature(out, 'blobs_per_100px')).toBe(0);
    expect(feature(out, 'sobel_mean')).toBe(0);
    expect(feature(out, 'glcm_d1_contrast')).toBe(0);
    expect(out.every(Number.isFinite)).toBe(true);
  });

  it('counts separate dark nuclei as blobs', () => {
    const px = 96;
    const data = solid(px, [235, 170, 205]);
    const centres = [
      [15, 15],
      [50, 20],
      [80, 40],
      [20, 70],
      [60, 75],
    ];
    for (const [cx, cy] of centres) {
      for (let y = cy - 4; y <= cy + 4; y++) {
        for (let x = cx - 4; x <= cx + 4; x++) {
          if ((x - cx) ** 2 + (y - cy) ** 2 <= 16) data.set([60, 40, 115], (y * px + x) * 3);
        }
      }
    }
    const out = new Float32Array(HE_FEATURES_DIM);
    heFeatures({ data, width: px, height: px }, out, 0);
    expect(Math.round((feature(out, 'blobs_per_100px') * px * px) / 100)).toBe(centres.length);
    expect(feature(out, 'blob_compact_share')).toBe(1);
  });

  it('measures a patch above 255 px on its 2 x 2 binned copy', () => {
    const rand = mulberry32(3);
    const data = paintHePatch(rand, 256, true);
    const binned = new Uint8Array(128 * 128 * 3);
    binRgb(data, 256, 256, 2, binned);
    const a = new Float32Array(HE_FEATURES_DIM);
    const b = new Float32Array(HE_FEATURES_DIM);
    heFeatures({ data, width: 256, height: 256 }, a, 0);
    heFeatures({ data: binned, width: 128, height: 128 }, b, 0);
    expect(Array.from(a)).toEqual(Array.from(b));
  });

  it('tells infiltrate-like patches from normal ones by nuclei density and texture', () => {
    const rand = mulberry32(7);
    const mean = (lesion: boolean, name: string) => {
      let s = 0;
      for (let i = 0; i < 6; i++) {
        const out = new Float32Array(HE_FEATURES_DIM);
        heFeatures({ data: paintHePatch(rand, 96, lesion), width: 96, height: 96 }, out, 0);
        s += feature(out, name);
      }
      return s / 6;
    };
    expect(mean(true, 'blobs_per_100px')).toBeGreaterThan(2 * mean(false, 'blobs_per_100px'));
    expect(mean(true, 'sobel_mean')).toBeGreaterThan(mean(false, 'sobel_mean'));
  });
});
