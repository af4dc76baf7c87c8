// Connected-component labelling in two raster passes over a union-find of provisional labels
// (Rosenfeld & Pfaltz; 8-connected neighbour tests after Wu, Otoo & Suzuki), labels then
// renumbered 1..count in raster order of each component's first pixel.
import { DisjointSets } from './disjoint-sets';

export type Connectivity = 4 | 8;

export interface Components {
  /** Per pixel: 0 outside the labelled value, else the component's label 1..count. */
  labels: Int32Array;
  count: number;
  /** Pixel count of each label; index 0 is unused (0). */
  areas: Int32Array;
  /** With options.bounds: each label's inclusive bounding box, [x0, y0, x1, y1] at 4 * label. */
  bounds?: Int32Array;
}

export interface LabelOptions {
  /** 8 by default. */
  connectivity?: Connectivity;
  /** Label the pixels whose byte is non-zero (1, the default) or zero (0). */
  value?: 0 | 1;
  /** Also measure bounding boxes (in the same pass as the areas). */
  bounds?: boolean;
  /** Buffers to reuse; `labels` is then a view of scratch.labels, valid until the next call. */
  scratch?: LabelScratch;
}

/** Buffers kept from image to image, so labelling allocates only its results per label. */
export class LabelScratch {
  labels = new Int32Array(0);
  renumber = new Int32Array(0);
  readonly sets = new DisjointSets();
}

/** Labels the connected components of the pixels of one value in a width x height byte plane. */
export function labelComponents(
  data: Uint8Array,
  width: number,
  height: number,
  options: LabelOptions = {},
): Components {
  const { connectivity = 8, value = 1, scratch } = options;
  const n = width * height;
  let labels: Int32Array;
  let sets: DisjointSets;
  if (scratch) {
    if (scratch.labels.length < n) scratch.labels = new Int32Array(n);
    labels = scratch.labels.subarray(0, n);
    sets = scratch.sets;
    sets.clear();
  } else {
    labels = new Int32Array(n);
    sets = new DisjointSets();
  }
  sets.add(); // 0: not labelled
  if (connectivity === 4) firstPass4(data, width, height, value !== 0, labels, sets);
  else firstPass8(data, width, height, value !== 0, labels, sets);

  // A set's root is its smallest provisional label, given out at its first pixel in raster order.
  const provisional = sets.size;
  let renumber: Int32Array;
  if (!scratch) renumber = new Int32Array(provisional);
  else {
    if (scratch.renumber.length < provisional) scratch.renumber = new Int32Array(Math.max(provisional, n + 1));
    renumber = scratch.renumber;
  }
  let count = 0;
  for (let l = 1; l < provisional; l++) {
    const r = sets.find(l);
    renumber[l] = r === l ? ++count : renumber[r];
  }
  const areas = new Int32Array(count + 1);
  if (!options.bounds) {
    for (let i = 0; i < n; i++) {
      const l = labels[i];
      if (l === 0) continue;
      const f = renumber[l];
      labels[i] = f;
      areas[f]++;
    }
    return { labels, count, areas };
  }
  const bounds = new Int32Array((count + 1) * 4);
  for (let l = 0; l <= count; l++) {
    bounds[4 * l] = width;
    bounds[4 * l + 1] = height;
    bounds[4 * l + 2] = -1;
    bounds[4 * l + 3] = -1;
  }
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i++) {
      const l = labels[i];
      if (l === 0) continue;
      const f = renumber[l];
      labels[i] = f;
      areas[f]++;
      const o = 4 * f;
      if (x < bounds[o]) bounds[o] = x;
      if (y < bounds[o + 1]) bounds[o + 1] = y;
      if (x > bounds[o + 2]) bounds[o + 2] = x;
      if (y > bounds[o + 3]) bounds[o + 3] = y;
    }
  }
  return { labels, count, areas, bounds };
}

function firstPass4(data: Uint8Array, w: number, h: number, fg: boolean, labels: Int32Array, sets: DisjointSets): void {
  for (let y = 0, i = 0; y < h; y++) {
    for (let x = 0; x < w; x++, i++) {
      if ((data[i] !== 0) !== fg) {
        labels[i] = 0;
        continue;
      }
      const up = y > 0 ? labels[i - w] : 0;
      const left = x > 0 ? labels[i - 1] : 0;
      if (up) {
        labels[i] = up;
        if (left && left !== up) sets.union(up, left);
      } else labels[i] = left || sets.add();
    }
  }
}

function firstPass8(data: Uint8Array, w: number, h: number, fg: boolean, labels: Int32Array, sets: DisjointSets): void {
  for (let y = 0, i = 0; y < h; y++) {
    for (let x = 0; x < w; x++, i++) {
      if ((data[i] !== 0) !== fg) {
        labels[i] = 0;
        continue;
      }
      // Up-left, left and up-right are already in the set of up when up is labelled.
      const up = y > 0 ? labels[i - w] : 0;
      if (up) {
        labels[i] = up;
        continue;
      }
      // Left and up-left are vertical neighbours: one set when both are labelled.
      const left = x > 0 ? labels[i - 1] || (y > 0 ? labels[i - w - 1] : 0) : 0;
      const upRight = y > 0 && x + 1 < w ? labels[i - w + 1] : 0;
      if (left) {
        labels[i] = left;
        if (upRight && upRight !== left) sets.union(left, upRight);
      } else labels[i] = upRight || sets.add();
    }
  }
}
