// A stain target fitted on many patches: tissue ODs pooled over every patch (a bounded uniform
// sample, so memory stays constant) for Macenko's vectors, exact running LAB sums for Reinhard's
// statistics. Both come out of one pass, so one target file serves either method.
import type { RgbImage } from '../rgb';
import { estimateMacenko, MACENKO_DEFAULTS, type MacenkoStains } from './macenko';
import { sampleOd } from './od';
import { LabAccumulator, type LabStats } from './reinhard';

export interface FittedStains {
  macenko: (MacenkoStains & { alpha: number; beta: number }) | null;
  reinhard: LabStats | null;
  /** Tissue pixels in the LAB statistics, and OD pixels in the Macenko estimate. */
  tissue_pixels: number;
  od_pixels: number;
}

export interface FitOptions {
  alpha: number;
  beta: number;
  /** OD pixels taken from each patch (subsampled evenly). */
  pixelsPerPatch: number;
  /** OD pixels kept in all (reservoir sample over the patches). */
  maxPixels: number;
}

export const FIT_DEFAULTS: FitOptions = {
  alpha: MACENKO_DEFAULTS.alpha,
  beta: MACENKO_DEFAULTS.beta,
  pixelsPerPatch: 1024,
  maxPixels: 200_000,
};

export class StainFitter {
  private readonly pool: Float64Array;
  private kept = 0;
  private seen = 0;
  private readonly lab = new LabAccumulator();

  /** `rand` (uniform in [0, 1), seeded by the caller) chooses which pixels the reservoir keeps. */
  constructor(
    private readonly rand: () => number,
    private readonly o: FitOptions = FIT_DEFAULTS,
  ) {
    this.pool = new Float64Array(o.maxPixels * 3);
  }

  add(img: RgbImage): void {
    this.lab.add(img);
    const { od, n } = sampleOd(img, this.o.beta, this.o.pixelsPerPatch);
    for (let i = 0; i < n; i++) {
      this.seen++;
      let slot = this.kept;
      if (this.kept < this.o.maxPixels) this.kept++;
      else {
        slot = Math.floor(this.rand() * this.seen);
        if (slot >= this.o.maxPixels) continue;
      }
      this.pool[3 * slot] = od[3 * i];
      this.pool[3 * slot + 1] = od[3 * i + 1];
      this.pool[3 * slot + 2] = od[3 * i + 2];
    }
  }

  finish(): FittedStains {
    const m = estimateMacenko(this.pool, this.kept, this.o.alpha);
    return {
      macenko: m && { ...m, alpha: this.o.alpha, beta: this.o.beta },
      reinhard: this.lab.stats(),
      tissue_pixels: this.lab.n,
      od_pixels: this.kept,
    };
  }
}
