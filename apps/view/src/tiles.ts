// Deep Zoom tiles of a slide, laid out exactly as openslide-python's DeepZoomGenerator lays them
// out (limit_bounds off), so the two can be compared tile for tile. Reading a tile goes through
// ONE function, readDeepZoomTile, so a direct JPEG-tile reader can replace OpenSlide here later.
import sharp from 'sharp';
import { encodeJpegAsync } from '@slidepipe/jpeg';
import { argbToRgb, type Slide } from '@slidepipe/openslide';

export const TILE_SIZE = 254;
export const OVERLAP = 1;

export interface DzLevel {
  width: number;
  height: number;
  cols: number;
  rows: number;
  /** Pyramid level of the slide the tile is read from. */
  slideLevel: number;
  /** Slide-level px per Deep Zoom px at this level (>= 1). */
  levelScale: number;
}

export interface DeepZoom {
  tileSize: number;
  overlap: number;
  levels: DzLevel[];
}

type Pyramid = Pick<Slide, 'levelDimensions' | 'levelDownsamples'> & { bestLevelForDownsample(d: number): number };

export function deepZoom(slide: Pyramid, tileSize = TILE_SIZE, overlap = OVERLAP): DeepZoom {
  const dims: Array<[number, number]> = [];
  let [w, h] = [slide.levelDimensions[0].width, slide.levelDimensions[0].height];
  dims.push([w, h]);
  while (w > 1 || h > 1) {
    w = Math.max(1, Math.ceil(w / 2));
    h = Math.max(1, Math.ceil(h / 2));
    dims.push([w, h]);
  }
  dims.reverse();
  const n = dims.length;
  const levels = dims.map(([width, height], z) => {
    const down = 2 ** (n - 1 - z);
    const slideLevel = slide.bestLevelForDownsample(down);
    return {
      width,
      height,
      cols: Math.ceil(width / tileSize),
      rows: Math.ceil(height / tileSize),
      slideLevel,
      levelScale: down / slide.levelDownsamples[slideLevel],
    };
  });
  return { tileSize, overlap, levels };
}

export function dziXml(dz: DeepZoom, format = 'jpeg'): string {
  const top = dz.levels[dz.levels.length - 1];
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<Image xmlns="http://schemas.microsoft.com/deepzoom/2008" ' +
    `Format="${format}" Overlap="${dz.overlap}" TileSize="${dz.tileSize}">` +
    `<Size Width="${top.width}" Height="${top.height}"/></Image>\n`
  );
}

export interface TileRead {
  /** Level-0 origin of the read. */
  x0: number;
  y0: number;
  slideLevel: number;
  /** Size read from the slide level. */
  readW: number;
  readH: number;
  /** Size of the tile sent. */
  outW: number;
  outH: number;
}

/** Where tile (col, row) of Deep Zoom level z comes from; null when it does not exist. */
export function tileRead(
  dz: DeepZoom,
  slide: Pick<Slide, 'levelDimensions' | 'levelDownsamples'>,
  z: number,
  col: number,
  row: number,
): TileRead | null {
  const L = dz.levels[z];
  if (!L || !Number.isInteger(col) || !Number.isInteger(row) || col < 0 || row < 0 || col >= L.cols || row >= L.rows)
    return null;
  const { tileSize: t, overlap } = dz;
  const side = (i: number, lim: number, zLim: number) => {
    const tl = i !== 0 ? overlap : 0;
    const br = i !== lim - 1 ? overlap : 0;
    const size = Math.min(t, zLim - t * i - tl) + tl + br;
    return { loc: t * i - tl, size };
  };
  const sx = side(col, L.cols, L.width);
  const sy = side(row, L.rows, L.height);
  const lx = L.levelScale * sx.loc;
  const ly = L.levelScale * sy.loc;
  const ld = slide.levelDownsamples[L.slideLevel];
  const dim = slide.levelDimensions[L.slideLevel];
  return {
    x0: Math.trunc(lx * ld),
    y0: Math.trunc(ly * ld),
    slideLevel: L.slideLevel,
    readW: Math.max(1, Math.min(Math.ceil(L.levelScale * sx.size), dim.width - Math.ceil(lx))),
    readH: Math.max(1, Math.min(Math.ceil(L.levelScale * sy.size), dim.height - Math.ceil(ly))),
    outW: sx.size,
    outH: sy.size,
  };
}

/** The one place a Deep Zoom tile is read: OpenSlide region, resized when needed, JPEG out. */
export async function readDeepZoomTile(
  slide: Slide,
  dz: DeepZoom,
  z: number,
  col: number,
  row: number,
  quality: number,
): Promise<Buffer | null> {
  const r = tileRead(dz, slide, z, col, row);
  if (!r) return null;
  const px = await slide.readRegion(r.x0, r.y0, r.slideLevel, r.readW, r.readH);
  if (r.readW === r.outW && r.readH === r.outH) {
    if (px.opaque) return encodeJpegAsync(px.data, r.outW, r.outH, { pixelFormat: 'bgrx', quality });
    return encodeJpegAsync(argbToRgb(px), r.outW, r.outH, { pixelFormat: 'rgb', quality });
  }
  const rgb = argbToRgb(px, px.data);
  return sharp(rgb.subarray(0, r.readW * r.readH * 3), { raw: { width: r.readW, height: r.readH, channels: 3 } })
    .resize(r.outW, r.outH, { fit: 'fill', kernel: 'lanczos3' })
    .jpeg({ quality })
    .toBuffer();
}
