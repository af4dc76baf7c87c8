import { TissueInputError } from './errors';
import { checkMask } from './mask';
import type { Mask } from './types';

/**
 * A rectangle in mask pixels; edges may be fractional. Pixel (i, j) covers [i, i+1) x [j, j+1),
 * so the whole mask is [0, width] x [0, height].
 */
export interface MaskRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A patch footprint in level-0 pixels (as patches carry it: `x0`, `y0` and the extent). */
export interface Level0Rect {
  x0: number;
  y0: number;
  width0: number;
  height0: number;
}

/** Mask pixels per level-0 pixel along each axis (thumbnail sizes are rounded, so x and y differ slightly). */
export interface MaskScale {
  maskPxPerLevel0PxX: number;
  maskPxPerLevel0PxY: number;
}

function checkRect(rect: MaskRect): void {
  const { x, y, width, height } = rect;
  if (![x, y, width, height].every(Number.isFinite) || !(width > 0) || !(height > 0)) {
    throw new TissueInputError(
      `tissue fraction: expected a rectangle with finite x, y and width, height > 0, received x=${x} y=${y} width=${width} height=${height}`,
    );
  }
}

/**
 * Fraction of `rect` that is tissue, each mask pixel weighted by the area of it inside the rectangle.
 * Parts of the rectangle outside the mask count as background (beyond the slide there is no tissue).
 * Costs O(rect area); for many queries on one mask use MaskIntegral.
 */
export function tissueFraction(mask: Mask, rect: MaskRect): number {
  checkMask(mask);
  checkRect(rect);
  const x1 = rect.x + rect.width;
  const y1 = rect.y + rect.height;
  const iStart = Math.max(0, Math.floor(rect.x));
  const iEnd = Math.min(mask.width, Math.ceil(x1));
  const jStart = Math.max(0, Math.floor(rect.y));
  const jEnd = Math.min(mask.height, Math.ceil(y1));
  let area = 0;
  for (let j = jStart; j < jEnd; j++) {
    const oy = Math.min(j + 1, y1) - Math.max(j, rect.y);
    let rowArea = 0;
    for (let i = iStart; i < iEnd; i++) {
      if (mask.data[j * mask.width + i] === 0) continue;
      rowArea += Math.min(i + 1, x1) - Math.max(i, rect.x);
    }
    area += rowArea * oy;
  }
  return Math.min(1, Math.max(0, area / (rect.width * rect.height)));
}

/**
 * Summed-area table of a mask, for O(1) tissue fractions per patch. The tissue area below and
 * left of a point (x, y) is the bilinear interpolation of the table between lattice points, which
 * is exactly the area weighting of `tissueFraction` (inside one pixel the covered area grows as
 * a * b), so fractional rectangles cost four look-ups.
 */
export class MaskIntegral {
  readonly width: number;
  readonly height: number;
  private readonly table: Float64Array;

  constructor(mask: Mask) {
    checkMask(mask);
    const { width, height, data } = mask;
    this.width = width;
    this.height = height;
    const stride = width + 1;
    // Float64 holds exact integer counts up to 2^53, so no mask is too large.
    const table = new Float64Array(stride * (height + 1));
    for (let y = 0; y < height; y++) {
      let row = 0;
      for (let x = 0; x < width; x++) {
        row += data[y * width + x] !== 0 ? 1 : 0;
        table[(y + 1) * stride + x + 1] = table[y * stride + x + 1] + row;
      }
    }
    this.table = table;
  }

  /** Tissue pixels in the whole-pixel block [x0, x1) x [y0, y1), clipped to the mask. */
  countPx(x0: number, y0: number, x1: number, y1: number): number {
    const cx0 = Math.max(0, Math.min(this.width, Math.floor(x0)));
    const cx1 = Math.max(0, Math.min(this.width, Math.floor(x1)));
    const cy0 = Math.max(0, Math.min(this.height, Math.floor(y0)));
    const cy1 = Math.max(0, Math.min(this.height, Math.floor(y1)));
    if (cx1 <= cx0 || cy1 <= cy0) return 0;
    const s = this.width + 1;
    const t = this.table;
    return t[cy1 * s + cx1] - t[cy0 * s + cx1] - t[cy1 * s + cx0] + t[cy0 * s + cx0];
  }

  /** Tissue area in [0, x] x [0, y] for real x, y (clamped to the mask). */
  private areaBelow(x: number, y: number): number {
    const cx = x <= 0 ? 0 : x >= this.width ? this.width : x;
    const cy = y <= 0 ? 0 : y >= this.height ? this.height : y;
    const i = Math.min(Math.floor(cx), this.width - 1);
    const j = Math.min(Math.floor(cy), this.height - 1);
    const a = cx - i;
    const b = cy - j;
    const s = this.width + 1;
    const t = this.table;
    const s00 = t[j * s + i];
    const s10 = t[j * s + i + 1];
    const s01 = t[(j + 1) * s + i];
    const s11 = t[(j + 1) * s + i + 1];
    return s00 * (1 - a) * (1 - b) + s10 * a * (1 - b) + s01 * (1 - a) * b + s11 * a * b;
  }

  /** Tissue area in mask px^2 inside the rectangle, pixels weighted by their overlap. */
  tissueAreaPx(rect: MaskRect): number {
    checkRect(rect);
    const x1 = rect.x + rect.width;
    const y1 = rect.y + rect.height;
    return (
      this.areaBelow(x1, y1) - this.areaBelow(rect.x, y1) - this.areaBelow(x1, rect.y) + this.areaBelow(rect.x, rect.y)
    );
  }

  /** Same result as tissueFraction(mask, rect), in O(1). */
  fraction(rect: MaskRect): number {
    const f = this.tissueAreaPx(rect) / (rect.width * rect.height);
    return Math.min(1, Math.max(0, f));
  }
}

/** Scale from level 0 to a mask computed on a thumbnail of the whole level-0 image. */
export function maskScale(
  mask: { width: number; height: number },
  level0WidthPx: number,
  level0HeightPx: number,
): MaskScale {
  if (!(level0WidthPx > 0) || !(level0HeightPx > 0)) {
    throw new TissueInputError(
      `mask scale: expected level-0 width and height > 0, received ${level0WidthPx}x${level0HeightPx}`,
    );
  }
  return { maskPxPerLevel0PxX: mask.width / level0WidthPx, maskPxPerLevel0PxY: mask.height / level0HeightPx };
}

export function level0RectToMask(rect: Level0Rect, scale: MaskScale): MaskRect {
  return {
    x: rect.x0 * scale.maskPxPerLevel0PxX,
    y: rect.y0 * scale.maskPxPerLevel0PxY,
    width: rect.width0 * scale.maskPxPerLevel0PxX,
    height: rect.height0 * scale.maskPxPerLevel0PxY,
  };
}

/** Fraction of a patch footprint (level-0 px) that is tissue. */
export function patchTissueFraction(integral: MaskIntegral, patch: Level0Rect, scale: MaskScale): number {
  return integral.fraction(level0RectToMask(patch, scale));
}
