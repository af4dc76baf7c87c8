// The size of lesions, learned from training boxes: log-normal widths, heights and aspects at
// level 0. Box methods use it to tell a lesion's own extent from a region that has run into the
// tissue around it (a region larger than any plausible lesion has leaked).
import { inputError } from '@slidepipe/cli';
import { loadTruth } from '@slidepipe/geometry';

export interface LogNormal {
  /** Mean and standard deviation of the natural log. */
  mu: number;
  sigma: number;
}

export interface SizePrior {
  /** Where it came from: a file, or "digilut" for the built-in one. */
  source: string;
  boxes: number;
  /** Level-0 px. */
  width0: LogNormal;
  height0: LogNormal;
  /** width / height. */
  aspect: LogNormal;
}

/** Fewer boxes than this give no usable spread. */
export const MIN_PRIOR_BOXES = 3;
/** A spread floor, so a cohort of equal boxes does not make every other size impossible. */
const MIN_SIGMA = 0.05;

/** z of the 10th and 90th percentiles of a normal. */
const Z90 = 1.2815515655446004;
const fromPercentiles = (p10: number, p50: number, p90: number): LogNormal => ({
  mu: Math.log(p50),
  sigma: (Math.log(p90) - Math.log(p10)) / (2 * Z90),
});

/**
 * DigiLut's training boxes at 0.25 um/px: widths p10/p50/p90 about 517/943/1855 px; heights
 * alike; aspects mostly within 0.6-1.6. Used when no --size-prior is given.
 */
export const DIGILUT_SIZE_PRIOR: SizePrior = Object.freeze({
  source: 'digilut',
  boxes: 0,
  width0: fromPercentiles(517, 943, 1855),
  height0: fromPercentiles(517, 943, 1855),
  aspect: { mu: 0, sigma: 0.35 },
});

function fit(values: number[]): LogNormal {
  const logs = values.map(Math.log);
  const mu = logs.reduce((a, b) => a + b, 0) / logs.length;
  const variance = logs.reduce((a, b) => a + (b - mu) ** 2, 0) / (logs.length - 1);
  return { mu, sigma: Math.max(MIN_SIGMA, Math.sqrt(variance)) };
}

/** Fits the prior to the boxes of a truth file (DigiLut CSV such as train.csv, or GeoJSON). */
export function readSizePrior(path: string): SizePrior {
  const boxes = [...loadTruth([path]).bySlide.values()].flat().filter((b) => b.x2 > b.x1 && b.y2 > b.y1);
  if (boxes.length < MIN_PRIOR_BOXES)
    throw inputError(path, `a size prior needs at least ${MIN_PRIOR_BOXES} boxes with an area, found ${boxes.length}`);
  return {
    source: path,
    boxes: boxes.length,
    width0: fit(boxes.map((b) => b.x2 - b.x1)),
    height0: fit(boxes.map((b) => b.y2 - b.y1)),
    aspect: fit(boxes.map((b) => (b.x2 - b.x1) / (b.y2 - b.y1))),
  };
}

/** The largest plausible extent along one axis: z standard deviations above the median. */
export const upperExtent = (d: LogNormal, z: number) => Math.exp(d.mu + z * d.sigma);

/** Log-density (up to a constant) of a box's width and height: how lesion-like its size is. */
export function sizeLogLikelihood(prior: SizePrior, width0: number, height0: number): number {
  const term = (d: LogNormal, v: number) => -(((Math.log(v) - d.mu) / d.sigma) ** 2) / 2;
  return term(prior.width0, width0) + term(prior.height0, height0) + term(prior.aspect, width0 / height0);
}

/** For provenance: the fitted numbers, rounded. */
export function describePrior(p: SizePrior): Record<string, unknown> {
  const r = (d: LogNormal) => ({
    mu: +d.mu.toFixed(4),
    sigma: +d.sigma.toFixed(4),
    median: Math.round(Math.exp(d.mu) * 1000) / 1000,
  });
  return { source: p.source, boxes: p.boxes, width0: r(p.width0), height0: r(p.height0), aspect: r(p.aspect) };
}
