import { describe, expect, it } from 'vitest';
import { binRgb } from './bin';

describe('binRgb', () => {
  it('bins by the rounded mean of each block (the unrolled 2 x 2 path and the general one)', () => {
    const data = Uint8Array.from({ length: 6 * 6 * 3 }, (_, i) => (i * 37) % 256);
    for (const f of [2, 3]) {
      const side = 6 / f;
      const out = new Uint8Array(side * side * 3);
      binRgb(data, 6, 6, f, out);
      for (let by = 0; by < side; by++) {
        for (let bx = 0; bx < side; bx++) {
          for (let c = 0; c < 3; c++) {
            let sum = 0;
            for (let dy = 0; dy < f; dy++)
              for (let dx = 0; dx < f; dx++) sum += data[((by * f + dy) * 6 + bx * f + dx) * 3 + c];
            expect(out[(by * side + bx) * 3 + c], `f ${f} block ${bx},${by} channel ${c}`).toBe(
              Math.floor((sum + ((f * f) >> 1)) / (f * f)),
            );
          }
        }
      }
    }
  });
});
