/** An 8-bit RGB image, channels interleaved (R, G, B, R, G, B, ...), rows top to bottom. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}
