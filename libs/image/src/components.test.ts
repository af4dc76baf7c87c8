import { describe, expect, it } from 'vitest';
import { labelComponents, LabelScratch } from './components';

/** Flood fill from each unlabelled pixel in raster order: the reference numbering. */
function floodLabels(data: Uint8Array, w: number, h: number, connectivity: 4 | 8, value: 0 | 1): Int32Array {
  const labels = new Int32Array(w * h);
  const want = (i: number) => (data[i] !== 0 ? 1 : 0) === value;
  let next = 0;
  for (let start = 0; start < w * h; start++) {
    if (!want(start) || labels[start]) continue;
    const stack = [start];
    labels[start] = ++next;
    while (stack.length) {
      const i = stack.pop()!;
      const x = i % w;
      const y = (i - x) / w;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          if ((!dx && !dy) || (connectivity === 4 && dx && dy)) continue;
          const xx = x + dx;
          const yy = y + dy;
          const j = yy * w + xx;
          if (xx < 0 || yy < 0 || xx >= w || yy >= h || labels[j] || !want(j)) continue;
          labels[j] = next;
          stack.push(j);
        }
      }
    }
  }
  return labels;
}

function boundsOf(labels: Int32Array, w: number, h: number, count: number): Int32Array {
  const b = new Int32Array((count + 1) * 4);
  for (let l = 0; l <= count; l++) b.set([w, h, -1, -1], 4 * l);
  labels.forEach((l, i) => {
    if (!l) return;
    const x = i % w;
    const y = (i - x) / w;
    b.set(
      [Math.min(b[4 * l], x), Math.min(b[4 * l + 1], y), Math.max(b[4 * l + 2], x), Math.max(b[4 * l + 3], y)],
      4 * l,
    );
  });
  return b;
}

function random(w: number, h: number, p: number, seed: number): Uint8Array {
  let a = seed;
  return Uint8Array.from({ length: w * h }, () => ((a = (a * 1103515245 + 12345) >>> 0) / 2 ** 32 < p ? 1 : 0));
}

describe('labelComponents', () => {
  it('numbers components as a raster-order flood fill does, with areas, for both values', () => {
    const scratch = new LabelScratch();
    for (const [w, h] of [
      [1, 1],
      [1, 17],
      [23, 1],
      [41, 31],
    ]) {
      for (const p of [0.2, 0.5, 0.65, 0.8]) {
        const data = random(w, h, p, w * 100 + p * 10);
        for (const c of [4, 8] as const) {
          for (const v of [0, 1] as const) {
            const want = floodLabels(data, w, h, c, v);
            for (const s of [undefined, scratch]) {
              const got = labelComponents(data, w, h, { connectivity: c, value: v, scratch: s });
              expect(Array.from(got.labels)).toEqual(Array.from(want));
              expect(got.count).toBe(Math.max(0, ...want));
              const areas = new Int32Array(got.count + 1);
              for (const l of want) if (l) areas[l]++;
              expect(Array.from(got.areas)).toEqual(Array.from(areas));
            }
            const boxed = labelComponents(data, w, h, { connectivity: c, value: v, bounds: true, scratch });
            expect(Array.from(boxed.labels)).toEqual(Array.from(want));
            expect(Array.from(boxed.bounds!)).toEqual(Array.from(boundsOf(want, w, h, boxed.count)));
          }
        }
      }
    }
  });

  it('joins a U shape whose arms meet only below (a late union)', () => {
    const data = Uint8Array.from([1, 0, 1, 1, 0, 1, 1, 1, 1]);
    const got = labelComponents(data, 3, 3, { connectivity: 4 });
    expect(got.count).toBe(1);
    expect(Array.from(got.labels)).toEqual([1, 0, 1, 1, 0, 1, 1, 1, 1]);
  });
});

describe('labelComponents bounds', () => {
  it('gives each label its inclusive bounding box', () => {
    // 1 1 . .
    // . . . 2
    // . . 2 2
    const data = Uint8Array.from([1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 1]);
    const { count, areas, bounds } = labelComponents(data, 4, 3, { connectivity: 4, bounds: true });
    expect(count).toBe(2);
    expect(Array.from(areas)).toEqual([0, 2, 3]);
    expect(Array.from(bounds!).slice(4)).toEqual([0, 0, 1, 0, 2, 1, 3, 2]);
  });
});
