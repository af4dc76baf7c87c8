import { TissueInputError } from './errors';

/** Counts of each 8-bit value. */
export function histogram256(values: Uint8Array): Float64Array {
  const hist = new Float64Array(256);
  for (let i = 0; i < values.length; i++) hist[values[i]]++;
  return hist;
}

/**
 * Otsu's threshold of a 256-bin histogram: the t that maximises the between-class variance of
 * the classes [0, t] and [t + 1, 255]; foreground is `value > t`. Ties go to the smallest t and a
 * histogram with a single occupied bin gives 0, both as OpenCV's THRESH_OTSU does, so thresholds
 * match what CLAM and slideflow compute.
 */
export function otsuThreshold(hist: ArrayLike<number>): number {
  if (hist.length !== 256)
    throw new TissueInputError(`Otsu: expected a 256-bin histogram, received ${hist.length} bins`);
  let total = 0;
  let sumAll = 0;
  for (let v = 0; v < 256; v++) {
    const c = hist[v];
    if (!(c >= 0) || !Number.isFinite(c))
      throw new TissueInputError(`Otsu: bin ${v} holds ${c}, expected a count >= 0`);
    total += c;
    sumAll += v * c;
  }
  if (total === 0) return 0;
  const muAll = sumAll / total;
  let best = 0;
  let bestSigma = 0;
  let q1 = 0; // weight of class [0, t]
  let mu1Sum = 0; // sum of v * p(v) over class [0, t]
  for (let t = 0; t < 255; t++) {
    const p = hist[t] / total;
    q1 += p;
    mu1Sum += t * p;
    const q2 = 1 - q1;
    // A class that is (numerically) empty has no between-class variance.
    if (q1 < 1e-12 || q2 < 1e-12) continue;
    const mu1 = mu1Sum / q1;
    const mu2 = (muAll - mu1Sum) / q2;
    const sigma = q1 * q2 * (mu1 - mu2) * (mu1 - mu2);
    if (sigma > bestSigma) {
      bestSigma = sigma;
      best = t;
    }
  }
  return best;
}
