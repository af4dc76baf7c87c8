// Masks and RGB images drawn from text art or rectangles, for libs/tissue's tests. The types are
// spelt out (the same shapes as libs/tissue's) so that this library does not depend on it.
interface Mask {
  data: Uint8Array;
  width: number;
  height: number;
}
type RgbImage = Mask;

/** A mask from rows of '#' (tissue) and '.' (background). */
export function maskFromArt(rows: string[]): Mask {
  const height = rows.length;
  const width = rows[0].length;
  const data = new Uint8Array(width * height);
  rows.forEach((row, y) => {
    if (row.length !== width) throw new Error(`row ${y} has ${row.length} chars, expected ${width}`);
    for (let x = 0; x < width; x++) data[y * width + x] = row[x] === '#' ? 1 : 0;
  });
  return { data, width, height };
}

export function maskToArt(mask: Mask): string[] {
  const rows: string[] = [];
  for (let y = 0; y < mask.height; y++) {
    let row = '';
    for (let x = 0; x < mask.width; x++) row += mask.data[y * mask.width + x] ? '#' : '.';
    rows.push(row);
  }
  return rows;
}

export function randomMask(width: number, height: number, pTissue: number, next: () => number): Mask {
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = next() < pTissue ? 1 : 0;
  return { data, width, height };
}

export function solidRgb(width: number, height: number, rgb: readonly [number, number, number]): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(rgb, i * 3);
  return { data, width, height };
}

/** Paints the half-open block [x0, x1) x [y0, y1). */
export function fillRect(
  img: RgbImage,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  rgb: readonly [number, number, number],
): void {
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) img.data.set(rgb, (y * img.width + x) * 3);
}

export function rectMask(width: number, height: number, rects: [number, number, number, number][]): Mask {
  const data = new Uint8Array(width * height);
  for (const [x0, y0, x1, y1] of rects)
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) data[y * width + x] = 1;
  return { data, width, height };
}
