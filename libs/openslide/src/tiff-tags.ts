// The TIFF numbers slidepipe reads (tiff.ts) and writes (wsi-synth's tiled TIFF writer): tags,
// field types and the few tag values used. A module of its own, exported as
// @slidepipe/openslide/tiff-tags, so the writer gets the tables without loading OpenSlide.

export const TAG = {
  NewSubfileType: 254,
  ImageWidth: 256,
  ImageLength: 257,
  BitsPerSample: 258,
  Compression: 259,
  Photometric: 262,
  ImageDescription: 270,
  StripOffsets: 273,
  SamplesPerPixel: 277,
  RowsPerStrip: 278,
  StripByteCounts: 279,
  XResolution: 282,
  YResolution: 283,
  PlanarConfiguration: 284,
  ResolutionUnit: 296,
  Software: 305,
  TileWidth: 322,
  TileLength: 323,
  TileOffsets: 324,
  TileByteCounts: 325,
  JPEGTables: 347,
  YCbCrSubsampling: 530,
} as const;

/** Field types (TIFF 6.0, plus BigTIFF's 64-bit ones). */
export const TYPE = {
  BYTE: 1,
  ASCII: 2,
  SHORT: 3,
  LONG: 4,
  RATIONAL: 5,
  SBYTE: 6,
  UNDEFINED: 7,
  SSHORT: 8,
  SLONG: 9,
  SRATIONAL: 10,
  FLOAT: 11,
  DOUBLE: 12,
  LONG8: 16,
  SLONG8: 17,
  IFD8: 18,
} as const;

/** Bytes of one value of each field type (a RATIONAL is two LONGs: 8). */
export const TYPE_BYTES: Readonly<Record<number, number>> = {
  [TYPE.BYTE]: 1,
  [TYPE.ASCII]: 1,
  [TYPE.SHORT]: 2,
  [TYPE.LONG]: 4,
  [TYPE.RATIONAL]: 8,
  [TYPE.SBYTE]: 1,
  [TYPE.UNDEFINED]: 1,
  [TYPE.SSHORT]: 2,
  [TYPE.SLONG]: 4,
  [TYPE.SRATIONAL]: 8,
  [TYPE.FLOAT]: 4,
  [TYPE.DOUBLE]: 8,
  [TYPE.LONG8]: 8,
  [TYPE.SLONG8]: 8,
  [TYPE.IFD8]: 8,
};

export const COMPRESSION_JPEG = 7;
export const PHOTOMETRIC_RGB = 2;
export const PHOTOMETRIC_YCBCR = 6;
/** NewSubfileType of a reduced-resolution (pyramid) image. */
export const SUBFILE_REDUCED = 1;
