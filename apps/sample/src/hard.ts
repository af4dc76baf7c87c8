// Hard negatives for a second training round: out-of-fold patch scores of the training slides
// (wsi-predict --out-of-fold), joined to the input by patch key (slide_id, x0, y0, w0, h0). The
// sample keeps what it keeps without them and adds the highest-scoring negatives not already kept.
// Memory: one key, score and flag byte per scored patch; the input itself is still only streamed.
import type { RecordBatch } from 'apache-arrow';
import { inputError } from '@slidepipe/cli';
import { OUT_OF_FOLD } from '@slidepipe/schema';
import type { RecordStream } from '@slidepipe/io';
import type { SamplePlan } from './sample';

const SEEN = 1; // the input has this patch
const NEGATIVE = 2; // ... labelled 0
const KEPT = 4; // the seeded sample keeps it already
const HARD = 8; // chosen as a hard negative
const EMITTED = 16; // written once (a patch repeated in the input is still added once)

export interface HardOptions {
  /** Hard negatives added per kept positive. */
  perPos: number;
  /** Within each slide (its own positives) instead of over the whole input. */
  perSlide: boolean;
  /** Most rows kept from one slide; null: no cap. */
  maxPerSlide: number | null;
}

export interface HardChoice {
  /** Per slide: hard negatives added and scored negatives that could be (not already kept). */
  slides: Map<string, { added: number; candidates: number }>;
  added: number;
  candidates: number;
  wanted: number;
}

/** Reads column values of one batch's row as a patch key, caching the batch's columns. */
class Keyer {
  private batch: RecordBatch | null = null;
  private cols: { get(i: number): unknown }[] = [];
  key(b: RecordBatch, i: number): string {
    if (b !== this.batch) {
      this.batch = b;
      this.cols = ['slide_id', 'x0', 'y0', 'w0', 'h0'].map((c) => b.getChild(c)!);
    }
    const [s, x, y, w, h] = this.cols;
    return `${s.get(i) as string}\u0000${x.get(i)}\u0000${y.get(i)}\u0000${w.get(i)}\u0000${h.get(i)}`;
  }
}

const shownKey = (key: string) => {
  const [slide, x0, y0, w0, h0] = key.split('\u0000');
  return `slide ${slide} x0=${x0} y0=${y0} w0=${w0} h0=${h0}`;
};

export class HardNegatives {
  private readonly index = new Map<string, number>();
  private readonly keys: string[] = [];
  private readonly slides: string[] = [];
  private readonly scores: number[] = [];
  private readonly files: number[] = [];
  private flags = new Uint8Array(1024);
  private readonly keyer = new Keyer();
  /** The score files read, in order. */
  readonly sources: string[] = [];

  get size(): number {
    return this.keys.length;
  }

  /**
   * Reads out-of-fold score streams. `checkSlide` refuses slides the scores may not cover (e.g.
   * test-set slides); a patch scored twice with different scores is refused.
   */
  static async read(
    streams: AsyncIterable<RecordStream>,
    checkSlide: (slide: string, source: string) => void,
  ): Promise<HardNegatives> {
    const h = new HardNegatives();
    const checked = new Set<string>();
    for await (const s of streams) {
      const aggregate = s.meta.facts.aggregate;
      if (aggregate !== OUT_OF_FOLD) {
        throw inputError(
          s.source,
          `scores are not out-of-fold (facts.aggregate ${JSON.stringify(aggregate ?? null)}): heads that trained on a slide rank its negatives too low; score the training slides with wsi-predict --out-of-fold --splits`,
        );
      }
      let file = h.sources.indexOf(s.source);
      if (file < 0) file = h.sources.push(s.source) - 1;
      for await (const b of s.batches) {
        const ids = b.getChild('slide_id')!;
        const score = b.getChild('score')!;
        for (let i = 0; i < b.numRows; i++) {
          const slide = ids.get(i) as string;
          if (!checked.has(slide)) {
            checkSlide(slide, s.source);
            checked.add(slide);
          }
          const key = h.keyer.key(b, i);
          const v = score.get(i) as number;
          if (!Number.isFinite(v)) throw inputError(s.source, `${shownKey(key)} has score ${v}`);
          const at = h.index.get(key);
          if (at !== undefined) {
            if (Math.fround(h.scores[at]) === Math.fround(v)) continue;
            throw inputError(
              s.source,
              `${shownKey(key)} is scored twice, ${h.scores[at]} (${h.sources[h.files[at]]}) and ${v}: scores of two models?`,
            );
          }
          h.index.set(key, h.keys.length);
          h.keys.push(key);
          h.slides.push(slide);
          h.scores.push(v);
          h.files.push(file);
        }
      }
    }
    if (h.flags.length < h.keys.length) h.flags = new Uint8Array(h.keys.length);
    return h;
  }

  private at(b: RecordBatch, i: number): number | undefined {
    return this.index.get(this.keyer.key(b, i));
  }

  /** Pass 1: the input has row i of b, with this label. */
  seen(b: RecordBatch, i: number, label: number): void {
    const k = this.at(b, i);
    if (k !== undefined) this.flags[k] |= SEEN | (label === 0 ? NEGATIVE : 0);
  }

  /** Refuses scores of patches the input does not have, naming how many and the first. */
  checkAllSeen(): void {
    const missing: number[] = [];
    for (let k = 0; k < this.keys.length; k++) if (!(this.flags[k] & SEEN)) missing.push(k);
    if (!missing.length) return;
    const first = missing[0];
    throw inputError(
      this.sources[this.files[first]],
      `${missing.length} of the ${this.keys.length} scored patches are not in the input (first: ${shownKey(this.keys[first])}): scores of another tiling, or of slides left out of the input?`,
    );
  }

  /** Pass 2 (dry): the seeded sample keeps this negative already. */
  kept(b: RecordBatch, i: number): void {
    const k = this.at(b, i);
    if (k !== undefined) this.flags[k] |= KEPT;
  }

  /**
   * Chooses the hard negatives: the highest scores among the scored negatives not already kept,
   * K per kept positive over the input (or per slide), within --max-per-slide. Ties go to the
   * smaller key, so the choice does not depend on input or file order.
   */
  choose(plan: SamplePlan, opts: HardOptions): HardChoice {
    const slides = new Map<string, { added: number; candidates: number }>();
    for (const id of plan.slides.keys()) slides.set(id, { added: 0, candidates: 0 });
    const order: number[] = [];
    for (let k = 0; k < this.keys.length; k++) {
      const f = this.flags[k];
      if (!(f & NEGATIVE) || f & KEPT) continue;
      const s = slides.get(this.slides[k]);
      if (!s) continue; // a slide the sample leaves out
      s.candidates++;
      order.push(k);
    }
    order.sort(
      (a, b) =>
        this.scores[b] - this.scores[a] || (this.keys[a] < this.keys[b] ? -1 : this.keys[a] > this.keys[b] ? 1 : 0),
    );
    const cap = opts.maxPerSlide ?? Infinity;
    const room = new Map([...plan.slides].map(([id, p]) => [id, cap - p.keepPos - p.keepNeg]));
    const quota = new Map(
      [...plan.slides].map(([id, p]) => [id, opts.perSlide ? Math.round(opts.perPos * p.keepPos) : Infinity]),
    );
    const wanted = opts.perSlide
      ? [...quota.values()].reduce((a, b) => a + b, 0)
      : Math.round(opts.perPos * plan.totals.keepPos);
    let added = 0;
    for (const k of order) {
      if (added >= wanted) break;
      const id = this.slides[k];
      const s = slides.get(id)!;
      if (s.added >= Math.min(quota.get(id)!, room.get(id)!)) continue;
      this.flags[k] |= HARD;
      s.added++;
      added++;
    }
    return { slides, added, candidates: order.length, wanted };
  }

  /** Pass 3: whether to add this (unkept negative) row; true once per chosen patch. */
  take(b: RecordBatch, i: number): boolean {
    const k = this.at(b, i);
    if (k === undefined || !(this.flags[k] & HARD) || this.flags[k] & EMITTED) return false;
    this.flags[k] |= EMITTED;
    return true;
  }
}
