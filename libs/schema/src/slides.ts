// Per-slide facts the tools share: which slide facts a stream carries, a slide's patient, and the
// level-0 extent of its patches when the size is not known.
import type { SlideFacts, StreamMeta } from './meta';

/** The facts of one slide of a stream: its own slide, else one listed in facts.slides (a table of many). */
export function slideFactsOf(meta: StreamMeta, slideId: string): SlideFacts | null {
  if (meta.slide?.slide_id === slideId) return meta.slide;
  const listed = (meta.facts.slides as SlideFacts[] | undefined) ?? [];
  return listed.find((f) => f.slide_id === slideId) ?? null;
}

/**
 * How a slide id gives its patient: `pattern`'s group "patient", else group 1, else the whole
 * match. A slide id the pattern misses is its own patient (`unmatched: 'slide-id'`, one slide per
 * patient) or has none (`'none'`: the caller reports it).
 */
export interface PatientRule {
  pattern: RegExp;
  unmatched: 'slide-id' | 'none';
}

/** A rule that always gives a patient. */
export type TotalPatientRule = PatientRule & { unmatched: 'slide-id' };

/** DigiLut names its slides `<patient>_a` and `<patient>_b` (wsi-tile's default). */
export const DIGILUT_PATIENT: TotalPatientRule = { pattern: /^(.+)_[ab]$/i, unmatched: 'slide-id' };
/** Everything before the last underscore (wsi-boxes, for slides known only from a counts list). */
export const LAST_UNDERSCORE_PATIENT: TotalPatientRule = { pattern: /^(.+)_[^_]*$/s, unmatched: 'slide-id' };

export function patientIdOf(slideId: string, rule?: TotalPatientRule): string;
export function patientIdOf(slideId: string, rule: PatientRule): string | null;
export function patientIdOf(slideId: string, rule: PatientRule = DIGILUT_PATIENT): string | null {
  const m = rule.pattern.exec(slideId);
  if (!m) return rule.unmatched === 'slide-id' ? slideId : null;
  return m.groups?.patient ?? m[1] ?? m[0];
}

/** Patch footprints (level-0 px), column-wise. */
export interface Footprints {
  n: number;
  x0: ArrayLike<number>;
  y0: ArrayLike<number>;
  w0: ArrayLike<number>;
  h0: ArrayLike<number>;
}

/** The level-0 extent the patches cover: the slide size to fall back on when the stream states none. */
export function patchExtent(p: Footprints, start = { width0: 0, height0: 0 }): { width0: number; height0: number } {
  let { width0, height0 } = start;
  for (let i = 0; i < p.n; i++) {
    width0 = Math.max(width0, p.x0[i] + p.w0[i]);
    height0 = Math.max(height0, p.y0[i] + p.h0[i]);
  }
  return { width0, height0 };
}
