// Nuclei proxy, features 59-63: 4-connected blobs of strong haematoxylin.
import { labelComponents, type LabelScratch } from '@slidepipe/image';

/** H density at which a pixel counts as nucleus. */
export const NUCLEI_H = 0.35;
/** Smaller blobs are noise, not nuclei. */
export const MIN_BLOB_PX = 3;

export const NUCLEI_FEATURE_NAMES: readonly string[] = [
  'blobs_per_100px',
  'blob_area_log',
  'blob_area_cv',
  'blob_fraction',
  'blob_compact_share',
];

/**
 * Writes the NUCLEI_FEATURE_NAMES features of a w x h patch to out[at ...], from its nuclei mask
 * (1 where H >= NUCLEI_H) and that mask's pixel count; returns the index after the last.
 */
export function nucleiFeatures(
  mask: Uint8Array,
  maskPx: number,
  w: number,
  h: number,
  scratch: LabelScratch,
  out: Float32Array,
  at: number,
): number {
  const n = w * h;
  const { count, areas, bounds } = labelComponents(mask, w, h, { connectivity: 4, bounds: true, scratch });
  const box = bounds!;
  let blobs = 0;
  let aSum = 0;
  let aSum2 = 0;
  let compact = 0;
  for (let l = 1; l <= count; l++) {
    const a = areas[l];
    if (a < MIN_BLOB_PX) continue;
    blobs++;
    aSum += a;
    aSum2 += a * a;
    const o = 4 * l;
    if (a >= 0.5 * (box[o + 2] - box[o] + 1) * (box[o + 3] - box[o + 1] + 1)) compact++;
  }
  const meanArea = blobs ? aSum / blobs : 0;
  let k = at;
  out[k++] = (blobs / n) * 100;
  out[k++] = blobs ? Math.log10(meanArea) / 3 : 0;
  out[k++] = blobs ? Math.sqrt(Math.max(aSum2 / blobs - meanArea * meanArea, 0)) / meanArea / 2 : 0;
  out[k++] = maskPx / n;
  out[k++] = blobs ? compact / blobs : 0;
  return k;
}
