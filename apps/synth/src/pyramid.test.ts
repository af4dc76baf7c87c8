import { describe, expect, it } from 'vitest';
import { downsampleInto, PyramidBuilder, pyramidLevels } from './pyramid';
import { Rng } from './rng';

describe('pyramidLevels', () => {
  it('halves, rounding up, until the longer side is small enough', () => {
    const levels = pyramidLevels(3185, 7143, 256, 1024);
    expect(levels.map((l) => [l.widthPx, l.heightPx])).toEqual([
      [3185, 7143],
      [1593, 3572],
      [797, 1786],
      [399, 893],
    ]);
    expect(levels[0].across).toBe(13);
    expect(levels[0].down).toBe(28);
    // DigiLut scale: 9 levels down to under 1024 px.
    expect(pyramidLevels(83_000, 198_000, 256, 1024)).toHaveLength(9);
    expect(pyramidLevels(500, 300, 256, 1024)).toHaveLength(1);
  });
});

describe('downsampleInto', () => {
  it('averages 2x2 blocks, rounding half up, into the chosen quadrant', () => {
    const T = 4;
    const src = new Uint8Array(T * T * 3);
    // Top-left 2x2 block of the red channel: 0, 1, 2, 4 -> 7/4 = 1.75 -> 2.
    src[0] = 0;
    src[3] = 1;
    src[T * 3] = 2;
    src[T * 3 + 3] = 4;
    const dest = new Uint8Array(T * T * 3).fill(9);
    downsampleInto(dest, src, T, 1, 0);
    // Quadrant (1, 0) starts at column 2 of row 0.
    expect(dest[2 * 3]).toBe(2);
    expect(dest[0]).toBe(9);
  });
});

/** Reference: the whole image at every level, each pixel the rounded mean of its 2x2 parents. */
function referencePyramid(
  img: Uint8Array,
  w: number,
  h: number,
  levels: number,
  pad: (x: number, y: number, c: number, l: number) => number,
) {
  const out = [{ img, w, h }];
  for (let l = 1; l < levels; l++) {
    const p = out[l - 1];
    const nw = Math.ceil(p.w / 2);
    const nh = Math.ceil(p.h / 2);
    const n = new Uint8Array(nw * nh * 3);
    const at = (x: number, y: number, c: number) =>
      x < p.w && y < p.h ? p.img[(y * p.w + x) * 3 + c] : pad(x, y, c, l - 1);
    for (let y = 0; y < nh; y++) {
      for (let x = 0; x < nw; x++) {
        for (let c = 0; c < 3; c++)
          n[(y * nw + x) * 3 + c] =
            (at(2 * x, 2 * y, c) +
              at(2 * x + 1, 2 * y, c) +
              at(2 * x, 2 * y + 1, c) +
              at(2 * x + 1, 2 * y + 1, c) +
              2) >>
            2;
      }
    }
    out.push({ img: n, w: nw, h: nh });
  }
  return out;
}

describe('PyramidBuilder', () => {
  it('streams the same pyramid as downsampling the whole image, sharing glass tiles', async () => {
    const T = 16;
    const w = 83;
    const h = 71;
    const levels = pyramidLevels(w, h, T, 12);
    expect(levels.length).toBe(4);
    // Glass: a uniform colour (so padding and glass agree at every level).
    const glassColour = [240, 238, 244];
    const glass = new Uint8Array(T * T * 3).map((_, i) => glassColour[i % 3]);
    // Level 0: random pixels in a blob of tiles, glass elsewhere (including the padding).
    const rng = new Rng(2);
    const across = levels[0].across;
    const down = levels[0].down;
    const drawn = (c: number, r: number) => c >= 1 && c <= 3 && r >= 1 && r <= 2;
    const img = new Uint8Array(w * h * 3);
    const tiles: (Uint8Array | null)[][] = [];
    for (let r = 0; r < down; r++) {
      tiles.push([]);
      for (let c = 0; c < across; c++) {
        if (!drawn(c, r)) {
          tiles[r].push(null);
          continue;
        }
        const t = new Uint8Array(T * T * 3).map(() => rng.int(0, 255));
        tiles[r].push(t);
      }
    }
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const t = tiles[Math.floor(y / T)][Math.floor(x / T)];
        for (let c = 0; c < 3; c++) img[(y * w + x) * 3 + c] = t ? t[((y % T) * T + (x % T)) * 3 + c] : glassColour[c];
      }
    }
    const got = levels.map((lv) => ({ img: new Uint8Array(lv.widthPx * lv.heightPx * 3), rows: 0, glassTiles: 0 }));
    const builder = new PyramidBuilder(levels, T, glass, async (level, row, rowTiles) => {
      const lv = levels[level];
      got[level].rows++;
      rowTiles.forEach((t, col) => {
        if (!t) got[level].glassTiles++;
        const src = t ?? builder.glass[level];
        for (let y = 0; y < T; y++) {
          for (let x = 0; x < T; x++) {
            const gx = col * T + x;
            const gy = row * T + y;
            if (gx >= lv.widthPx || gy >= lv.heightPx) continue;
            for (let c = 0; c < 3; c++) got[level].img[(gy * lv.widthPx + gx) * 3 + c] = src[(y * T + x) * 3 + c];
          }
        }
      });
    });
    for (const row of tiles) await builder.pushRow(row.map((t) => (t ? t.slice() : null)));
    builder.finish();
    const ref = referencePyramid(img, w, h, levels.length, (_x, _y, c) => glassColour[c]);
    for (let l = 0; l < levels.length; l++) {
      expect(got[l].rows).toBe(levels[l].down);
      expect(Buffer.from(got[l].img).equals(Buffer.from(ref[l].img))).toBe(true);
    }
    // Glass stays glass: most level-0 tiles and the level-1 tiles away from the blob are shared.
    expect(got[0].glassTiles).toBe(across * down - 6);
    expect(got[1].glassTiles).toBeGreaterThan(0);
  });

  it('refuses rows of the wrong length and checks completeness', async () => {
    const levels = pyramidLevels(40, 40, 16, 16);
    const b = new PyramidBuilder(levels, 16, new Uint8Array(16 * 16 * 3), async () => undefined);
    await expect(b.pushRow([null])).rejects.toThrow(/expected 3/);
    expect(() => b.finish()).toThrow(/got 0 of 3 tile rows/);
    for (let r = 0; r < 3; r++) await b.pushRow([null, null, null]);
    await expect(b.pushRow([null, null, null])).rejects.toThrow(/only 3 tile rows/);
    expect(() => b.finish()).not.toThrow();
  });
});
