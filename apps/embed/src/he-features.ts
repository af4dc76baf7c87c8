// The built-in backbone: 64 hand-made colour and texture features of an H&E patch, no weights to
// download, a few milliseconds per 256 px patch on one core. Every feature is scaled to roughly
// 0..1 so an MLP head can use them as they come.
//
// Stain densities come from colour deconvolution (features/stain.ts); each group of features has
// its file under features/.
//
// Patches above 255 px a side are binned first (see heFeatures). Features, in order (names in
// HE_FEATURE_NAMES), with pixel counts and distances at the binned scale:
//   0      tissue fraction: pixels with max OD >= 0.1 (not background); colour/stain stats below
//          are over these pixels
//   1-6    mean and standard deviation of R, G, B (/255)
//   7-10   mean and standard deviation of the H and E densities
//   11-15  H density percentiles 10, 25, 50, 75, 90
//   16-20  E density percentiles 10, 25, 50, 75, 90
//   21-28  H density histogram, 8 bins of 0.15 from 0 (the last takes everything above)
//   29-36  E density histogram, 8 bins of 0.1 from 0
//   37     H share of stain, mean H / (mean H + mean E)
//   38-45  grey-level co-occurrence of H (8 levels of 0.15), symmetric, horizontal + vertical,
//          at distance 1 then 2: contrast /49, homogeneity, energy (sqrt of ASM), correlation
//   46-55  local binary patterns of grey, 8 neighbours at distance 1, rotation-invariant uniform
//          codes (riu2: 0..8 ones, 9 = non-uniform), as a histogram
//   56-58  Sobel gradient magnitude of grey (/255): mean, standard deviation; 4-neighbour
//          Laplacian standard deviation
//   59-63  nuclei proxy: connected blobs (4-connected, >= 3 px) of H >= 0.35: blobs per 100 px,
//          mean blob area log10(px) /3, blob area coefficient of variation /2, share of
//          pixels in blobs, share of blobs that are compact (area >= 0.5 x bounding box)
import { createHash } from 'node:crypto';
import { binRgb, LabelScratch, type RgbImage } from '@slidepipe/image';
import type { Backbone, BackboneIdentity } from './backbone';
import { COLOUR_FEATURE_NAMES, colourFeatures, FINE, nucleiPx, pixelPass } from './features/colour';
import { MIN_BLOB_PX, NUCLEI_FEATURE_NAMES, NUCLEI_H, nucleiFeatures } from './features/nuclei';
import { TISSUE_OD } from './features/stain';
import { GLCM_DISTANCES, GLCM_LEVELS, GLCM_WIDTH, TEXTURE_FEATURE_NAMES, textureFeatures } from './features/texture';

export const HE_FEATURES_VERSION = 1;

export const HE_FEATURE_NAMES: readonly string[] = [
  ...COLOUR_FEATURE_NAMES,
  ...TEXTURE_FEATURE_NAMES,
  ...NUCLEI_FEATURE_NAMES,
];
export const HE_FEATURES_DIM = HE_FEATURE_NAMES.length;

/** Buffers reused from patch to patch (sized for the largest patch seen). */
export class HeScratch {
  binned = new Uint8Array(0);
  grey = new Uint8Array(0);
  hq = new Uint8Array(0);
  hmask = new Uint8Array(0);
  fineH = new Uint32Array(FINE.bins);
  fineE = new Uint32Array(FINE.bins);
  readonly blobs = new LabelScratch();
  ensure(n: number): void {
    if (this.grey.length >= n) return;
    this.grey = new Uint8Array(n);
    this.hq = new Uint8Array(n);
    this.hmask = new Uint8Array(n);
  }
}

/** Side length above which a patch is binned (mean of f x f pixels) before measuring. */
const BIN_TARGET_PX = 128;

/**
 * Writes the HE_FEATURES_DIM features of `img` to out[at ...]. A patch wider than 2 x 128 px is
 * first binned to between 128 and 255 px a side (factor floor(side / 128)): texture at the scale
 * of nuclei survives, and the cost no longer grows with the patch.
 */
export function heFeatures(img: RgbImage, out: Float32Array, at: number, s: HeScratch = new HeScratch()): void {
  const f = Math.max(1, Math.floor(Math.min(img.width, img.height) / BIN_TARGET_PX));
  let { data, width: w, height: h } = img;
  if (data.length < w * h * 3) throw new Error(`image data holds ${data.length} bytes, expected ${w * h * 3}`);
  if (f > 1) {
    const bw = Math.floor(w / f);
    const bh = Math.floor(h / f);
    if (s.binned.length < bw * bh * 3) s.binned = new Uint8Array(bw * bh * 3);
    binRgb(data, w, h, f, s.binned);
    data = s.binned;
    w = bw;
    h = bh;
  }
  const n = w * h;
  s.ensure(n);
  s.fineH.fill(0);
  s.fineE.fill(0);
  const sums = pixelPass(data, n, s);
  let k = colourFeatures(sums, s, n, out, at);
  k = textureFeatures(s.grey, s.hq, w, h, out, k);
  nucleiFeatures(s.hmask, nucleiPx(sums), w, h, s.blobs, out, k);
}

const RECIPE = {
  name: 'he-features',
  version: HE_FEATURES_VERSION,
  features: HE_FEATURE_NAMES,
  stain_matrix: 'ruifrok-johnston-hed',
  tissue_od: TISSUE_OD,
  nuclei_h: NUCLEI_H,
  min_blob_px: MIN_BLOB_PX,
  glcm: { levels: GLCM_LEVELS, width: GLCM_WIDTH, distances: GLCM_DISTANCES },
  lbp: { neighbours: 8, radius: 1, mapping: 'riu2' },
};

export const HE_FEATURES_IDENTITY: BackboneIdentity = {
  kind: 'builtin',
  name: `he-features-v${HE_FEATURES_VERSION}`,
  sha256: createHash('sha256').update(JSON.stringify(RECIPE)).digest('hex'),
  dim: HE_FEATURES_DIM,
  // The features use the decoded patch as it is: no resize, no normalisation.
  preprocessing: { input: 'decoded RGB patch at its own size', recipe: RECIPE },
};

export class HeFeaturesBackbone implements Backbone {
  readonly identity = HE_FEATURES_IDENTITY;
  private readonly scratch = new HeScratch();

  async embed(images: readonly RgbImage[]): Promise<Float32Array> {
    const out = new Float32Array(images.length * HE_FEATURES_DIM);
    images.forEach((img, i) => heFeatures(img, out, i * HE_FEATURES_DIM, this.scratch));
    return out;
  }

  async close(): Promise<void> {
    // Nothing to release: no session, no threads.
  }
}
