// How every tool reads a level's pixels: by decoding its JPEG tiles directly where the level is a
// TIFF directory of plain JPEG tiles (jpeg-tiles.ts: same pixels, a third of OpenSlide's CPU),
// through OpenSlide everywhere else. Both paths give BGRX composited on white.
import { findJpegTileLevel, JpegTileReader, type JpegTileLevel, type TileRegion } from './jpeg-tiles';
import { openslideLevelReader, type LevelReader } from './lowres';
import { argbToBgrx } from './pixels';
import type { Slide } from './slide';

/** The path a level is read by: its JPEG tiles (jpegTiles), or OpenSlide and why (openslideReason). */
export interface PixelPath {
  /** The level's TIFF directory when its JPEG tiles are decoded directly; null when OpenSlide reads. */
  jpegTiles: JpegTileLevel | null;
  /** Why OpenSlide reads the level, when it does. */
  openslideReason: string | null;
}

/** Direct JPEG tiles where they apply to `level`, else OpenSlide with the reason. */
export function choosePixelPath(slide: Pick<Slide, 'path' | 'vendor' | 'levelDimensions'>, level: number): PixelPath {
  const found = findJpegTileLevel(slide, level);
  return typeof found === 'string'
    ? { jpegTiles: null, openslideReason: found }
    : { jpegTiles: found, openslideReason: null };
}

/** Reads rectangles of one level by the path chosen for it. Close it before the slide. */
export class RegionReader {
  private constructor(
    private readonly slide: Slide,
    readonly level: number,
    readonly path: PixelPath,
    private readonly tiles: JpegTileReader | null,
  ) {}

  /** Opens `level` by `path` (default choosePixelPath's: direct JPEG tiles where they apply). */
  static async open(
    slide: Slide,
    level: number,
    path: PixelPath = choosePixelPath(slide, level),
  ): Promise<RegionReader> {
    const tiles = path.jpegTiles ? await JpegTileReader.open(slide.path, path.jpegTiles) : null;
    // A copy: `path` may be a larger object (a tiling) that need not live as long as the reader.
    return new RegionReader(slide, level, { jpegTiles: path.jpegTiles, openslideReason: path.openslideReason }, tiles);
  }

  /** Bytes a buffer needs for readRegion of a w x h rectangle anywhere. */
  bufferBytes(w: number, h: number): number {
    return this.tiles ? this.tiles.bufferBytes(w, h) : w * h * 4;
  }

  /**
   * w x h pixels of the level from level-0 pixel (x0, y0), as Slide.readRegion, into `into`
   * (bufferBytes(w, h) bytes): BGRX rows `rowBytes` apart, the rectangle starting at `offset`.
   */
  async readRegion(x0: number, y0: number, w: number, h: number, into: Buffer): Promise<TileRegion> {
    if (this.tiles) {
      const ds = this.slide.levelDownsamples[this.level];
      return this.tiles.readRegion(Math.round(x0 / ds), Math.round(y0 / ds), w, h, into);
    }
    const region = await this.slide.readRegion(x0, y0, this.level, w, h, { into });
    return { data: argbToBgrx(region), rowBytes: w * 4, offset: 0 };
  }

  /** Reads in level pixels, each into a buffer of its own, for readLowRes. */
  levelReader(): LevelReader {
    const tiles = this.tiles;
    if (!tiles) return openslideLevelReader(this.slide, this.level);
    return (x, y, w, h) => tiles.readRegion(x, y, w, h, Buffer.allocUnsafeSlow(tiles.bufferBytes(w, h)));
  }

  close(): Promise<void> {
    return this.tiles ? this.tiles.close() : Promise.resolve();
  }
}
