import { OpenSlideError } from './errors';
import * as lowlevel from './lowlevel';
import type { OsrHandle } from './lowlevel';
import { argbToRgb, isOpaque } from './pixels';
import type { ArgbPixels } from './pixels';
import { PROPERTY_VENDOR } from './properties';
import { planRead, replacementMpp, resolveMpp, resolveObjectivePower } from './resolution';
import type { Mpp, MppOverride, ObjectivePower, ReadPlan } from './resolution';

export interface SlideOpenOptions {
  /** µm per level-0 pixel to use when the file states none (see Slide.mpp). */
  mppOverride?: MppOverride;
  /** µm per level-0 pixel that replaces what the file states, e.g. wrong scanner metadata. Wins over mppOverride. */
  mpp?: MppOverride;
  /** Reads running at once on koffi's worker threads; more wait in a queue. Default 3. */
  maxReadsInFlight?: number;
}

export interface LevelDimensions {
  width: number;
  height: number;
}

/** A region as OpenSlide returns it: premultiplied ARGB, i.e. bytes B,G,R,A. */
export interface SlideRegion extends ArgbPixels {
  /** Level-0 position of the top-left pixel. */
  x0: number;
  y0: number;
  level: number;
}

export interface RgbImage {
  /** width * height * 3 bytes. */
  data: Buffer;
  width: number;
  height: number;
}

export interface ReadRegionOptions {
  /** Reuse this buffer (at least width * height * 4 bytes) instead of allocating one. */
  into?: Uint8Array;
}

export interface PlanReadOptions {
  /** Output tile side in pixels, default 256. */
  tilePx?: number;
  /** Relative mismatch accepted as "no resize needed", default 0.01. */
  tolerance?: number;
}

const DEFAULT_MAX_READS_IN_FLIGHT = 3;
// koffi refuses more than 256 queued async calls per process; leave room for other users.
const MAX_READS_IN_FLIGHT = 64;

/**
 * An open whole-slide image. Reads take level-0 coordinates and run on koffi's worker
 * threads, a bounded number at a time. Metadata is read once, at open.
 */
export class Slide {
  readonly path: string;
  /** openslide.vendor, e.g. 'aperio' or 'generic-tiff'. */
  readonly vendor: string | null;
  readonly levelCount: number;
  readonly levelDimensions: readonly LevelDimensions[];
  readonly levelDownsamples: readonly number[];
  /** Every property OpenSlide reports; keys are the PROPERTY_* constants and vendor keys. */
  readonly properties: Readonly<Record<string, string>>;
  readonly associatedImageNames: readonly string[];
  /** µm per level-0 pixel: the `mpp` option, else openslide.mpp-x/y, else TIFF resolution tags, else mppOverride, else null. */
  readonly mpp: Mpp | null;
  readonly objectivePower: ObjectivePower | null;

  readonly #osr: OsrHandle;
  readonly #maxReadsInFlight: number;
  #running = 0;
  readonly #queue: Array<() => void> = [];
  // Reads accepted and not yet settled (queued + running); close() waits for zero.
  #pending = 0;
  #drained: (() => void) | undefined;
  #closing: Promise<void> | undefined;

  private constructor(osr: OsrHandle, options: SlideOpenOptions) {
    this.#osr = osr;
    this.path = osr.path;
    this.#maxReadsInFlight = options.maxReadsInFlight ?? DEFAULT_MAX_READS_IN_FLIGHT;
    const properties: Record<string, string> = {};
    for (const name of lowlevel.getPropertyNames(osr)) {
      const value = lowlevel.getPropertyValue(osr, name);
      if (value !== null) properties[name] = value;
    }
    this.properties = Object.freeze(properties);
    this.vendor = properties[PROPERTY_VENDOR] ?? null;
    this.levelCount = lowlevel.getLevelCount(osr);
    const dims: LevelDimensions[] = [];
    const downsamples: number[] = [];
    for (let level = 0; level < this.levelCount; level++) {
      dims.push(Object.freeze(lowlevel.getLevelDimensions(osr, level)));
      downsamples.push(lowlevel.getLevelDownsample(osr, level));
    }
    this.levelDimensions = Object.freeze(dims);
    this.levelDownsamples = Object.freeze(downsamples);
    this.associatedImageNames = Object.freeze(lowlevel.getAssociatedImageNames(osr));
    this.mpp = options.mpp !== undefined ? replacementMpp(options.mpp) : resolveMpp(properties, options.mppOverride);
    this.objectivePower = resolveObjectivePower(properties, this.mpp);
  }

  private static checkOptions(options: SlideOpenOptions): void {
    const max = options.maxReadsInFlight;
    if (max !== undefined && (!Number.isInteger(max) || max < 1 || max > MAX_READS_IN_FLIGHT)) {
      throw new OpenSlideError(
        'INVALID_ARGUMENT',
        `maxReadsInFlight: expected an integer in 1..${MAX_READS_IN_FLIGHT}, got ${max}`,
      );
    }
  }

  private static fromHandle(osr: OsrHandle, options: SlideOpenOptions): Slide {
    try {
      return new Slide(osr, options);
    } catch (err) {
      lowlevel.close(osr);
      throw err;
    }
  }

  /** Opens a slide (OpenSlide's open runs on a worker thread). Errors name the file. */
  static async open(path: string, options: SlideOpenOptions = {}): Promise<Slide> {
    Slide.checkOptions(options);
    return Slide.fromHandle(await lowlevel.openAsync(path), options);
  }

  static openSync(path: string, options: SlideOpenOptions = {}): Slide {
    Slide.checkOptions(options);
    return Slide.fromHandle(lowlevel.open(path), options);
  }

  /** The vendor OpenSlide would use for a file, or null if it cannot read it. Does not open it. */
  static detectVendor(path: string): string | null {
    return lowlevel.detectVendor(path);
  }

  /** Level-0 size. */
  get dimensions(): LevelDimensions {
    return this.levelDimensions[0];
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** Reads queued or running. */
  get readsInFlight(): number {
    return this.#pending;
  }

  #checkOpen(): void {
    if (this.#closing) throw new OpenSlideError('SLIDE_CLOSED', 'slide used after close()', this.path);
  }

  /** OpenSlide's choice: the largest level whose downsample is below `downsample`. */
  bestLevelForDownsample(downsample: number): number {
    this.#checkOpen();
    if (!Number.isFinite(downsample) || downsample <= 0) {
      throw new OpenSlideError(
        'INVALID_ARGUMENT',
        `downsample: expected a positive number, got ${downsample}`,
        this.path,
      );
    }
    return lowlevel.getBestLevelForDownsample(this.#osr, downsample);
  }

  /**
   * Which level to read, and how much to resample, for tiles of tilePx pixels at targetMpp.
   * E.g. a 0.25 µm/px slide with downsamples 1/4/16 and a 0.5 µm/px target: read 512 px at
   * level 0 and shrink to 256.
   */
  planRead(targetMpp: number, options: PlanReadOptions = {}): ReadPlan {
    if (!this.mpp) {
      throw new OpenSlideError(
        'NO_MPP',
        'cannot plan reads at a target mpp: the slide states no resolution; pass mppOverride',
        this.path,
      );
    }
    return planRead(this.mpp, this.levelDownsamples, targetMpp, options.tilePx, options.tolerance);
  }

  /**
   * Reads width x height pixels of `level`, starting at level-0 pixel (x0, y0). Resolves to
   * premultiplied ARGB (bytes B,G,R,A); areas outside the slide have alpha 0. `opaque` tells
   * whether all alpha is 255, i.e. whether `data` is already BGRX (see argbToBgrx/argbToRgb).
   */
  async readRegion(
    x0: number,
    y0: number,
    level: number,
    width: number,
    height: number,
    options: ReadRegionOptions = {},
  ): Promise<SlideRegion> {
    this.#checkOpen();
    if (!Number.isInteger(level) || level < 0 || level >= this.levelCount) {
      throw new OpenSlideError(
        'INVALID_ARGUMENT',
        `level: expected an integer in 0..${this.levelCount - 1}, got ${level}`,
        this.path,
      );
    }
    for (const [name, v] of [
      ['width', width],
      ['height', height],
    ] as const) {
      if (!Number.isInteger(v) || v < 1) {
        throw new OpenSlideError('INVALID_ARGUMENT', `${name}: expected a positive integer, got ${v}`, this.path);
      }
    }
    const bytes = width * height * 4;
    let data: Buffer;
    if (options.into) {
      if (options.into.byteLength < bytes) {
        throw new OpenSlideError(
          'INVALID_ARGUMENT',
          `into: a ${width}x${height} region needs ${bytes} bytes, got ${options.into.byteLength}`,
          this.path,
        );
      }
      data = Buffer.from(options.into.buffer, options.into.byteOffset, bytes);
    } else {
      // Not from Buffer's shared pool, so the Uint32 alpha scan sees aligned memory.
      data = Buffer.allocUnsafeSlow(bytes);
    }
    this.#pending++;
    try {
      await this.#acquire();
      try {
        await lowlevel.readRegionAsync(this.#osr, data, x0, y0, level, width, height);
      } finally {
        this.#release();
      }
      return { data, width, height, opaque: isOpaque(data, width * height), x0, y0, level };
    } finally {
      if (--this.#pending === 0) this.#drained?.();
    }
  }

  #acquire(): Promise<void> | void {
    if (this.#running < this.#maxReadsInFlight) {
      this.#running++;
      return;
    }
    // The releasing read hands its slot straight to us, so #running stays the same.
    return new Promise((resolve) => this.#queue.push(resolve));
  }

  #release(): void {
    const next = this.#queue.shift();
    if (next) next();
    else this.#running--;
  }

  /** An associated image ('thumbnail', 'label', 'macro', ...) as RGB composited on white. */
  readAssociatedImage(name: string): RgbImage {
    this.#checkOpen();
    if (!this.associatedImageNames.includes(name)) {
      const known = this.associatedImageNames.length ? this.associatedImageNames.join(', ') : 'none';
      throw new OpenSlideError(
        'INVALID_ARGUMENT',
        `no associated image named ${JSON.stringify(name)} (has: ${known})`,
        this.path,
      );
    }
    const { width, height } = lowlevel.getAssociatedImageDimensions(this.#osr, name);
    const data = Buffer.allocUnsafeSlow(width * height * 4);
    lowlevel.readAssociatedImage(this.#osr, name, data);
    const pixels = { data, width, height, opaque: isOpaque(data, width * height) };
    return { data: argbToRgb(pixels), width, height };
  }

  /**
   * Refuses new reads, waits for those already accepted (queued ones included), then frees
   * the OpenSlide handle. Calling it again returns the same promise.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (this.#pending > 0) await new Promise<void>((resolve) => (this.#drained = resolve));
      lowlevel.close(this.#osr);
    })();
    return this.#closing;
  }
}
