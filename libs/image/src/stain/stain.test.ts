import { describe, expect, it } from 'vitest';
import { mulberry32, paintHePatch } from '@slidepipe/testing';
import type { RgbImage } from '../rgb';
import {
  augmentHed,
  drawHedJitter,
  estimateMacenko,
  HED_FROM_RGB,
  labToRgb,
  LabAccumulator,
  macenkoNormalize,
  macenkoStainsOf,
  OD_OF_VALUE,
  odToValue,
  reinhardNormalize,
  rgbToLab,
  StainFitter,
  symmetricEigen3,
  TISSUE_MAX_VALUE,
  valueOfOd,
} from './index';

const patch = (seed: number, px = 96, lesion = false): RgbImage => ({
  data: paintHePatch(mulberry32(seed), px, lesion),
  width: px,
  height: px,
});

/** Mean absolute difference per channel value between two images. */
const mad = (a: RgbImage, b: RgbImage) => {
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += Math.abs(a.data[i] - b.data[i]);
  return s / a.data.length;
};

/**
 * A strong, fixed stain change (as another lab or scanner gives) for the tests to undo: stains
 * stronger or weaker, which Macenko models, and with `offset`, a density offset, which it does not.
 */
const shifted = (img: RgbImage, offset = false) =>
  augmentHed(img, { scale: [1.35, 0.7, 1], shift: offset ? [0.05, -0.03, 0] : [0, 0, 0] });

describe('colour deconvolution', () => {
  it("inverts Ruifrok & Johnston's matrix as skimage's hed_from_rgb", () => {
    // skimage.color.hed_from_rgb (0.26)
    const want = [
      [1.8779827369, -1.0076786863, -0.5561158182],
      [-0.0659080622, 1.1347303725, -0.1355217986],
      [-0.6019073634, -0.4804141885, 1.573588072],
    ];
    want.forEach((row, r) => row.forEach((v, c) => expect(HED_FROM_RGB[r][c]).toBeCloseTo(v, 9)));
  });

  it('turns every 8-bit value into a density and back', () => {
    for (let v = 0; v < 256; v++) {
      expect(valueOfOd(OD_OF_VALUE[v])).toBe(v);
      expect(odToValue(OD_OF_VALUE[v])).toBe(v);
    }
  });
});

describe('CIELAB', () => {
  it("matches skimage's rgb2lab and lab2rgb", () => {
    // skimage.color.rgb2lab / lab2rgb (0.26), rgb2lab of uint8 pixels, lab2rgb rounded to 8 bits
    const cases: [number[], number[]][] = [
      [
        [255, 0, 0],
        [53.2405879437, 80.0923082257, 67.2027510444],
      ],
      [
        [200, 120, 180],
        [60.790033503, 39.8326525287, -18.4581792579],
      ],
      [
        [96, 40, 140],
        [29.1530488307, 43.869140979, -45.2659318776],
      ],
      [
        [240, 230, 235],
        [92.183951083, 4.2439085037, -1.2136077182],
      ],
      [
        [10, 200, 30],
        [70.5001319946, -70.5138310733, 64.9408399626],
      ],
    ];
    for (const [rgb, lab] of cases) {
      const got = rgbToLab(rgb[0], rgb[1], rgb[2]);
      lab.forEach((v, c) => expect(got[c]).toBeCloseTo(v, 3));
      expect([...labToRgb(got[0], got[1], got[2])]).toEqual(rgb);
    }
    expect([...labToRgb(50, 20, -30)]).toEqual([127, 109, 170]);
    expect([...labToRgb(70, -10, 40)]).toEqual([178, 174, 97]);
    expect([...labToRgb(30, 40, -50)]).toEqual([85, 48, 150]);
  });
});

describe('Macenko', () => {
  it('finds the eigenvectors of a symmetric matrix', () => {
    const m = [
      [4, 1, 0.5],
      [1, 3, 0.2],
      [0.5, 0.2, 1],
    ];
    const { values, vectors } = symmetricEigen3(m);
    expect(values[0]).toBeGreaterThan(values[1]);
    vectors.forEach((v, k) => {
      for (let r = 0; r < 3; r++) {
        const mv = m[r][0] * v[0] + m[r][1] * v[1] + m[r][2] * v[2];
        expect(mv).toBeCloseTo(values[k] * v[r], 9);
      }
    });
  });

  it('recovers the stain vectors an image was mixed from', () => {
    const h = [0.65, 0.7, 0.29].map((x) => x / Math.hypot(0.65, 0.7, 0.29));
    const e = [0.07, 0.99, 0.11].map((x) => x / Math.hypot(0.07, 0.99, 0.11));
    const rand = mulberry32(3);
    const n = 5000;
    const od = new Float64Array(n * 3);
    for (let i = 0; i < n; i++) {
      const ch = rand() * 1.2;
      const ce = rand() * 0.8;
      for (let c = 0; c < 3; c++) od[3 * i + c] = ch * h[c] + ce * e[c];
    }
    const s = estimateMacenko(od, n, 1)!;
    const cos = (a: number[], b: number[]) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
    expect(cos(s.stain_matrix[0], h)).toBeGreaterThan(0.995);
    expect(cos(s.stain_matrix[1], e)).toBeGreaterThan(0.995);
    expect(s.max_concentrations[0]).toBeGreaterThan(0.9);
    expect(s.max_concentrations[0]).toBeLessThan(1.3);
  });

  it('brings a stain-shifted patch back close to the target', () => {
    const ref = patch(11);
    const target = macenkoStainsOf(ref)!;
    const moved = shifted(ref);
    const before = mad(moved, ref);
    const back = macenkoNormalize(moved, target);
    expect(back.normalised).toBe(true);
    expect(mad(back.image, ref)).toBeLessThan(before / 2.5);
  });

  it('leaves degenerate patches (glass, one colour) unchanged and does not throw', () => {
    const target = macenkoStainsOf(patch(11))!;
    for (const fill of [255, 120]) {
      const img = { data: new Uint8Array(32 * 32 * 3).fill(fill), width: 32, height: 32 };
      const r = macenkoNormalize(img, target);
      expect(r.normalised).toBe(false);
      expect(r.image.data).toEqual(img.data);
    }
  });
});

describe('Reinhard', () => {
  it('brings a stain-shifted patch back close to the target', () => {
    const ref = patch(12);
    const acc = new LabAccumulator();
    acc.add(ref);
    const moved = shifted(ref, true);
    const before = mad(moved, ref);
    const back = reinhardNormalize(moved, acc.stats()!);
    expect(back.normalised).toBe(true);
    expect(mad(back.image, ref)).toBeLessThan(before / 3);
  });

  it('keeps glass and copes with one colour', () => {
    const target = {
      lab_mean: [60, 30, -10] as [number, number, number],
      lab_std: [10, 5, 5] as [number, number, number],
    };
    const img = { data: new Uint8Array(16 * 16 * 3).fill(250), width: 16, height: 16 };
    expect(reinhardNormalize(img, target).image.data).toEqual(img.data);
    const flat = { data: new Uint8Array(16 * 16 * 3).fill(100), width: 16, height: 16 };
    const r = reinhardNormalize(flat, target);
    // One colour is moved onto the target's mean colour, not stretched.
    const want = labToRgb(60, 30, -10);
    expect([...r.image.data.subarray(0, 3)]).toEqual([...want]);
  });
});

describe('HED augmentation', () => {
  it('is deterministic for a seed and bounded by sigma and bias', () => {
    const a = drawHedJitter(mulberry32(5), 0.1, 0.02);
    expect(drawHedJitter(mulberry32(5), 0.1, 0.02)).toEqual(a);
    expect(drawHedJitter(mulberry32(6), 0.1, 0.02)).not.toEqual(a);
    for (let s = 0; s < 200; s++) {
      const j = drawHedJitter(mulberry32(s), 0.1, 0.02);
      j.scale.forEach((x) => expect(Math.abs(x - 1)).toBeLessThanOrEqual(0.1));
      j.shift.forEach((x) => expect(Math.abs(x)).toBeLessThanOrEqual(0.02));
    }
  });

  it('is the identity without jitter, changes tissue with it, and keeps glass', () => {
    const img = patch(13, 48);
    // Glass in the first row.
    img.data.fill(250, 0, 48 * 3);
    expect(mad(augmentHed(img, { scale: [1, 1, 1], shift: [0, 0, 0] }), img)).toBeLessThan(0.01);
    const out = augmentHed(img, drawHedJitter(mulberry32(1), 0.2, 0.05));
    expect(mad(out, img)).toBeGreaterThan(1);
    expect([...out.data.subarray(0, 48 * 3)].every((v) => v === 250)).toBe(true);
    expect(250).toBeGreaterThan(TISSUE_MAX_VALUE);
  });
});

describe('StainFitter', () => {
  it('pools many patches into one target and handles an empty stream', () => {
    const f = new StainFitter(mulberry32(1));
    for (let s = 0; s < 6; s++) f.add(patch(20 + s, 64, s % 2 === 0));
    const t = f.finish();
    expect(t.macenko).not.toBeNull();
    expect(t.reinhard).not.toBeNull();
    expect(t.tissue_pixels).toBe(6 * 64 * 64);
    // Haematoxylin has the larger red density.
    expect(t.macenko!.stain_matrix[0][0]).toBeGreaterThan(t.macenko!.stain_matrix[1][0]);
    const empty = new StainFitter(mulberry32(1)).finish();
    expect(empty).toMatchObject({ macenko: null, reinhard: null, tissue_pixels: 0 });
  });
});
