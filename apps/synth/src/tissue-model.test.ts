import { describe, expect, it } from 'vitest';
import { Rng } from './rng';
import {
  distanceToOutline,
  insidePolygon,
  makeFragment,
  polygonArea,
  rasterizePolygon,
  TissueModel,
} from './tissue-model';

const square = (x1: number, y1: number, x2: number, y2: number) => ({
  xs: Float64Array.from([x1, x2, x2, x1]),
  ys: Float64Array.from([y1, y1, y2, y2]),
});

describe('rasterizePolygon', () => {
  it('covers a square with fractional edges that sum to its area', () => {
    const s = square(2.25, 3, 10.75, 9);
    const out = new Float32Array(16 * 16);
    expect(rasterizePolygon(s.xs, s.ys, 0, 0, 16, 16, out)).toBe(true);
    const sum = out.reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(8.5 * 6, 5);
    expect(out[5 * 16 + 2]).toBeCloseTo(0.75, 5);
    expect(out[5 * 16 + 5]).toBe(1);
    expect(out[5 * 16 + 10]).toBeCloseTo(0.75, 5);
    expect(out[2 * 16 + 5]).toBe(0);
  });

  it('draws only the part inside the tile, in tile coordinates', () => {
    const s = square(10, 10, 30, 30);
    const out = new Float32Array(16 * 16);
    rasterizePolygon(s.xs, s.ys, 20, 20, 16, 16, out);
    // The square ends at 30: 10 columns and rows of the tile at (20, 20).
    expect(out.reduce((a, b) => a + b, 0)).toBeCloseTo(100, 5);
    expect(out[9 * 16 + 9]).toBe(1);
    expect(out[10 * 16 + 10]).toBe(0);
    const away = new Float32Array(16 * 16);
    expect(rasterizePolygon(s.xs, s.ys, 100, 100, 16, 16, away)).toBe(false);
  });
});

describe('fragments', () => {
  it('are simple, irregular outlines whose raster area matches their polygon area', () => {
    const f = makeFragment(new Rng(3), 200, 200, 120);
    const area = polygonArea(f.xs, f.ys);
    const out = new Float32Array(512 * 512);
    rasterizePolygon(f.xs, f.ys, 0, 0, 512, 512, out);
    expect(out.reduce((a, b) => a + b, 0) / area).toBeCloseTo(1, 2);
    // Irregular: the distance from the centre to the outline varies a lot around it.
    const radii = Array.from(f.xs, (x, i) => Math.hypot(x - 200, f.ys[i] - 200));
    expect(Math.max(...radii) / Math.min(...radii)).toBeGreaterThan(1.3);
    expect(insidePolygon(f.xs, f.ys, 200, 200)).toBe(true);
    expect(insidePolygon(f.xs, f.ys, f.box.x2 + 1, 200)).toBe(false);
  });

  it('measures the distance to the outline', () => {
    const s = square(0, 0, 100, 50);
    expect(distanceToOutline(s.xs, s.ys, 50, 10)).toBeCloseTo(10, 9);
    expect(distanceToOutline(s.xs, s.ys, 95, 25)).toBeCloseTo(5, 9);
  });
});

describe('TissueModel', () => {
  // 0.5 mm across at 0.25 µm/px: large against the ~50 µm holes.
  const f = makeFragment(new Rng(9), 2200, 2200, 2000);
  const model = new TissueModel([f], 0.25, 0.15);

  it('leaves about the requested share of a fragment as holes', () => {
    const inside: number[] = [];
    for (let y = f.box.y1; y < f.box.y2; y += 25) {
      for (let x = f.box.x1; x < f.box.x2; x += 25)
        if (insidePolygon(f.xs, f.ys, x, y)) inside.push(model.alphaAt(x, y));
    }
    const holes = inside.filter((a) => a < 0.5).length / inside.length;
    // One fragment sees a window of the hole texture, so only roughly the global share.
    expect(holes).toBeGreaterThan(0.05);
    expect(holes).toBeLessThan(0.3);
  });

  it('covers tiles consistently with its point queries', () => {
    const out = new Float32Array(256 * 256);
    expect(model.coverTile(2048, 2048, 256, 256, out)).toBe(true);
    let agree = 0;
    let n = 0;
    for (let y = 0; y < 256; y += 7) {
      for (let x = 0; x < 256; x += 7) {
        n++;
        if (Math.abs(out[y * 256 + x] - model.alphaAt(2048 + x + 0.5, 2048 + y + 0.5)) < 0.05) agree++;
      }
    }
    // Only pixels cut by the outline may differ (fractional cover against a point test).
    expect(agree / n).toBeGreaterThan(0.97);
    expect(model.coverTile(50_000, 50_000, 256, 256, out)).toBe(false);
    expect(out.every((v) => v === 0)).toBe(true);
  });

  it('gives the tissue share of a box', () => {
    expect(model.tissueFraction({ x1: 20_000, x2: 20_100, y1: 0, y2: 100 })).toBe(0);
    const c = model.tissueFraction({ x1: 1700, x2: 2700, y1: 1700, y2: 2700 });
    // Solid tissue less the holes.
    expect(c).toBeGreaterThan(0.6);
    expect(c).toBeLessThan(0.97);
  });
});
