// The stain target file wsi-stain writes (stain.json) and wsi-embed --stain reads: the pooled
// Macenko and Reinhard targets and what they were fitted on. Checked field by field here so a
// hand-edited or foreign file is named with what is wrong.
import type { MacenkoStains } from './macenko';
import type { LabStats } from './reinhard';
import type { FittedStains } from './target';

export const STAIN_TARGET_FORMAT = 'slidepipe-stain-target';
export const STAIN_TARGET_VERSION = 1;
/** The optical-density convention every number in the file is in. */
export const OD_CONVENTION = '-log10((I + 1) / 256)';

export interface StainTarget {
  format: typeof STAIN_TARGET_FORMAT;
  version: typeof STAIN_TARGET_VERSION;
  od: typeof OD_CONVENTION;
  macenko: (MacenkoStains & { alpha: number; beta: number }) | null;
  reinhard: LabStats | null;
  fitted_on: { patches: number; slides: number; patients: number; tissue_pixels: number; od_pixels: number };
  provenance?: unknown[];
}

export function stainTarget(
  fit: FittedStains,
  counts: { patches: number; slides: number; patients: number },
): StainTarget {
  return {
    format: STAIN_TARGET_FORMAT,
    version: STAIN_TARGET_VERSION,
    od: OD_CONVENTION,
    macenko: fit.macenko,
    reinhard: fit.reinhard,
    fitted_on: { ...counts, tissue_pixels: fit.tissue_pixels, od_pixels: fit.od_pixels },
  };
}

const isNumbers = (v: unknown, n: number, positive = false) =>
  Array.isArray(v) &&
  v.length === n &&
  v.every((x) => typeof x === 'number' && Number.isFinite(x) && (!positive || x > 0));

/** The target in `raw` (parsed JSON), or what is wrong with it. */
export function parseStainTarget(raw: unknown): StainTarget | string {
  if (typeof raw !== 'object' || raw === null) return 'not a JSON object';
  const t = raw as Record<string, unknown>;
  if (t.format !== STAIN_TARGET_FORMAT)
    return `format is ${JSON.stringify(t.format)}, expected "${STAIN_TARGET_FORMAT}"`;
  if (t.version !== STAIN_TARGET_VERSION) return `version ${JSON.stringify(t.version)} is not ${STAIN_TARGET_VERSION}`;
  if (t.od !== OD_CONVENTION) return `od convention ${JSON.stringify(t.od)}, expected "${OD_CONVENTION}"`;
  const problem = targetProblem('macenko', t.macenko) ?? targetProblem('reinhard', t.reinhard);
  if (problem) return problem;
  if (typeof t.fitted_on !== 'object' || t.fitted_on === null) return 'fitted_on: missing';
  return t as unknown as StainTarget;
}

/** What is wrong with one method's part of a target (null: nothing; a null part is allowed). */
export function targetProblem(method: 'macenko' | 'reinhard', part: unknown): string | null {
  if (part === null) return null;
  const p = part as Record<string, unknown> | undefined;
  if (method === 'macenko') {
    const sm = p?.stain_matrix as unknown[] | undefined;
    if (!Array.isArray(sm) || sm.length !== 2 || !sm.every((v) => isNumbers(v, 3)))
      return 'macenko.stain_matrix: expected two rows of three numbers (H, E)';
    if (!isNumbers(p?.max_concentrations, 2, true)) return 'macenko.max_concentrations: expected two positive numbers';
    if (typeof p?.alpha !== 'number' || typeof p?.beta !== 'number') return 'macenko.alpha/beta: expected numbers';
    return null;
  }
  if (!isNumbers(p?.lab_mean, 3) || !isNumbers(p?.lab_std, 3, true))
    return 'reinhard: expected lab_mean (three numbers) and lab_std (three positive numbers)';
  return null;
}
