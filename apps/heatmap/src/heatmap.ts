// wsi-heatmap drawing: the slide thumbnail, the patch scores as a translucent heat map, the true
// and the predicted boxes, all on one RGB raster at a fixed scale from level 0. Pure functions on
// pixel buffers; PNG encoding and text (sharp, SVG) are in render.ts.
import type { Box } from '@slidepipe/geometry';

export interface Rgb {
  data: Uint8Array;
  width: number;
  height: number;
}

export type Colour = readonly [number, number, number];

/** Box colours: not in the heat ramp (yellow to dark red), so they stay readable over it. */
export const TRUTH_COLOUR: Colour = [0, 200, 0];
export const PREDICTED_COLOUR: Colour = [30, 90, 255];
/** Canvas where no slide image is available. */
export const BLANK_COLOUR: Colour = [235, 235, 235];

/** ColorBrewer YlOrRd, low to high. */
const RAMP: readonly Colour[] = [
  [255, 255, 178],
  [254, 204, 92],
  [253, 141, 60],
  [240, 59, 32],
  [189, 0, 38],
];

export function heatColour(score: number): Colour {
  const t = Math.min(1, Math.max(0, score)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(t));
  const f = t - i;
  return [0, 1, 2].map((c) => Math.round(RAMP[i][c] * (1 - f) + RAMP[i + 1][c] * f)) as unknown as Colour;
}

/** Opacity of the heat colour: scored tissue shows faintly, high scores strongly. */
export function heatAlpha(score: number, opacity: number): number {
  return opacity * (0.1 + 0.9 * Math.min(1, Math.max(0, score)));
}

export interface PatchScores {
  n: number;
  x0: ArrayLike<number>;
  y0: ArrayLike<number>;
  w0: ArrayLike<number>;
  h0: ArrayLike<number>;
  score: ArrayLike<number>;
}

/** Output size for a slide drawn `widthPx` wide. */
export function canvasSize(
  width0: number,
  height0: number,
  widthPx: number,
): { width: number; height: number; scale: number } {
  const scale = widthPx / width0;
  return { width: widthPx, height: Math.max(1, Math.round(height0 * scale)), scale };
}

/**
 * Blends the heat map into `img` (drawn at `scale` output px per level-0 px). Overlapping patches
 * are averaged, so each pixel shows the mean score of the patches that cover it.
 */
export function drawHeat(img: Rgb, scale: number, p: PatchScores, opacity: number): void {
  const { width, height } = img;
  const sum = new Float32Array(width * height);
  const cnt = new Uint16Array(width * height);
  for (let i = 0; i < p.n; i++) {
    const xa = Math.max(0, Math.floor(p.x0[i] * scale));
    const ya = Math.max(0, Math.floor(p.y0[i] * scale));
    const xb = Math.min(width, Math.max(xa + 1, Math.round((p.x0[i] + p.w0[i]) * scale)));
    const yb = Math.min(height, Math.max(ya + 1, Math.round((p.y0[i] + p.h0[i]) * scale)));
    for (let y = ya; y < yb; y++) {
      for (let x = xa; x < xb; x++) {
        sum[y * width + x] += p.score[i];
        cnt[y * width + x]++;
      }
    }
  }
  for (let k = 0; k < width * height; k++) {
    if (!cnt[k]) continue;
    const s = sum[k] / cnt[k];
    const c = heatColour(s);
    const a = heatAlpha(s, opacity);
    for (let ch = 0; ch < 3; ch++) img.data[k * 3 + ch] = Math.round(img.data[k * 3 + ch] * (1 - a) + c[ch] * a);
  }
}

/** A box's outline in output pixels: inclusive pixel bounds of its edges. */
export function boxPixels(b: Box, scale: number): { x1: number; y1: number; x2: number; y2: number } {
  const x1 = Math.floor(b.x1 * scale);
  const y1 = Math.floor(b.y1 * scale);
  return { x1, y1, x2: Math.max(x1, Math.ceil(b.x2 * scale) - 1), y2: Math.max(y1, Math.ceil(b.y2 * scale) - 1) };
}

/**
 * Draws a rectangle outline `thickness` px wide. 'outside' strokes just outside the box's pixels,
 * 'inside' just inside, so a true box and a prediction on the same place both stay visible.
 */
export function strokeBox(
  img: Rgb,
  b: Box,
  scale: number,
  colour: Colour,
  thickness: number,
  side: 'inside' | 'outside',
): void {
  const p = boxPixels(b, scale);
  const grow = side === 'outside' ? thickness : 0;
  const shrink = side === 'inside' ? thickness - 1 : -1;
  const ox1 = p.x1 - grow;
  const oy1 = p.y1 - grow;
  const ox2 = p.x2 + grow;
  const oy2 = p.y2 + grow;
  // Inner edge of the stroke; a box too small for an inside stroke is filled.
  const ix1 = p.x1 + shrink + 1;
  const iy1 = p.y1 + shrink + 1;
  const ix2 = p.x2 - shrink - 1;
  const iy2 = p.y2 - shrink - 1;
  for (let y = Math.max(0, oy1); y <= Math.min(img.height - 1, oy2); y++) {
    for (let x = Math.max(0, ox1); x <= Math.min(img.width - 1, ox2); x++) {
      if (x >= ix1 && x <= ix2 && y >= iy1 && y <= iy2) continue;
      const k = (y * img.width + x) * 3;
      img.data[k] = colour[0];
      img.data[k + 1] = colour[1];
      img.data[k + 2] = colour[2];
    }
  }
}

export function blankCanvas(width: number, height: number): Rgb {
  const data = new Uint8Array(width * height * 3);
  for (let k = 0; k < width * height; k++) data.set(BLANK_COLOUR, k * 3);
  return { data, width, height };
}

export interface PredictedBox extends Box {
  rank: number;
  score: number;
}

export interface Picture {
  image: Rgb;
  scale: number;
  thickness: number;
}

/** The whole picture but the text: background (already at canvas size), heat, truth and predicted boxes. */
export function drawPicture(
  background: Rgb,
  scale: number,
  patches: PatchScores,
  truth: readonly Box[],
  predicted: readonly PredictedBox[],
  opacity: number,
): Picture {
  const image: Rgb = { data: Uint8Array.from(background.data), width: background.width, height: background.height };
  drawHeat(image, scale, patches, opacity);
  const thickness = Math.max(2, Math.round(image.width / 500));
  for (const b of predicted) strokeBox(image, b, scale, PREDICTED_COLOUR, thickness, 'inside');
  for (const b of truth) strokeBox(image, b, scale, TRUTH_COLOUR, thickness, 'outside');
  return { image, scale, thickness };
}
