// Deep Zoom tiles of a slide, laid out exactly as openslide-python's DeepZoomGenerator lays them
// out (limit_bounds off), so the two can be compared tile for tile. Pixels come from the same
// reader as wsi-tile's (libs/openslide's RegionReader).
import sharp from 'sharp';
import { encodeJpegAsync } from '@slidepipe/jpeg';
import { RegionReader, type Slide } from '@slidepipe/openslide';

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

/** Region readers of a slide by level, opened on first use; the same path choice as wsi-tile. */
export class SlideReaders {
  private readonly byLevel = new Map<number, Promise<RegionReader>>();
  constructor(readonly slide: Slide) {}
  level(level: number): Promise<RegionReader> {
    let r = this.byLevel.get(level);
    if (!r) this.byLevel.set(level, (r = RegionReader.open(this.slide, level)));
    return r;
  }
  async close(): Promise<void> {
    for (const r of this.byLevel.values()) await (await r).close();
    this.byLevel.clear();
  }
}

/**
 * The one place a Deep Zoom tile is read: through libs/openslide's RegionReader (the level's JPEG
 * tiles decoded directly where they apply, OpenSlide otherwise), resized when needed, JPEG out.
 */
export async function readDeepZoomTile(
  readers: SlideReaders,
  dz: DeepZoom,
  z: number,
  col: number,
  row: number,
  quality: number,
): Promise<Buffer | null> {
  const r = tileRead(dz, readers.slide, z, col, row);
  if (!r) return null;
  const reader = await readers.level(r.slideLevel);
  const px = await reader.readRegion(
    r.x0,
    r.y0,
    r.readW,
    r.readH,
    Buffer.allocUnsafe(reader.bufferBytes(r.readW, r.readH)),
  );
  const view = px.data.subarray(px.offset);
  if (r.readW === r.outW && r.readH === r.outH) {
    return encodeJpegAsync(view, r.outW, r.outH, { pixelFormat: 'bgrx', quality, rowBytes: px.rowBytes });
  }
  // sharp wants packed RGB rows: drop the X byte and any row padding.
  const rgb = Buffer.allocUnsafe(r.readW * r.readH * 3);
  for (let y = 0, o = 0; y < r.readH; y++) {
    const rowAt = y * px.rowBytes;
    for (let x = 0; x < r.readW; x++, o += 3) {
      const q = rowAt + x * 4;
      rgb[o] = view[q + 2];
      rgb[o + 1] = view[q + 1];
      rgb[o + 2] = view[q];
    }
  }
  return sharp(rgb, { raw: { width: r.readW, height: r.readH, channels: 3 } })
    .resize(r.outW, r.outH, { fit: 'fill', kernel: 'lanczos3' })
    .jpeg({ quality })
    .toBuffer();
}
