// wsi-split: the cohort's train/test split and cross-validation folds, grouped by patient and
// stratified by whether the patient has lesions. Pure: inputs are parsed tables, output is rows.
import { assignGroupFolds, splitGroups, type GroupInfo } from '@slidepipe/metrics';
import { describeRejected, slideAnnotations, type BadBoxPolicy, type BoxFile } from '@slidepipe/geometry';
import { patientIdOf, type SplitRecord } from '@slidepipe/schema';
import { inputError, usageError } from '@slidepipe/cli';

export const DEFAULT_PATIENT_PATTERN = '^(.*)_[ab]$';

export interface CohortInputs {
  /** The slides that exist (a folder or a list); null: the slides named by the other inputs. */
  slides: string[] | null;
  /** Where the slide list came from, for messages ("slides/"). */
  slidesFrom: string;
  /** Annotations (DigiLut box CSV or QuPath GeoJSON), read by the reader wsi-label and wsi-eval use. */
  boxes: { name: string; file: BoxFile } | null;
  /** slide_id -> presence (DigiLut presence_of_lesion.csv), with the file's name. */
  presence: { name: string; bySlide: Map<string, boolean> } | null;
  /** slide_id -> rows in the test list; box counts when countsBoxes (DigiLut validation.csv). */
  testList: { name: string; bySlide: Map<string, number>; countsBoxes: boolean } | null;
}

export interface SplitOptions {
  folds: number;
  seed: number;
  /** Share of patients for the test set when there is no test list; 0: no test set. */
  testFraction: number;
  patientPattern: RegExp;
  /** fail: a bad annotation stops the split; drop: it is not counted (with a warning). */
  badBoxes: BadBoxPolicy;
}

export interface Report {
  info(msg: string): void;
  warn(msg: string): void;
}

interface SlideInfo {
  slideId: string;
  patientId: string;
  nBoxes: number;
  hasLesion: boolean;
  /** Forced to the test set (in the test list, or not a labelled train slide). */
  test: boolean;
}

/** Patient id of a slide id: the named group "patient", else group 1, else the whole match. */
export function patientOf(slideId: string, pattern: RegExp): string | null {
  return patientIdOf(slideId, { pattern, unmatched: 'none' });
}

const list = (ids: string[], n = 8) =>
  `${ids.slice(0, n).join(', ')}${ids.length > n ? `, ... (${ids.length} in all)` : ''}`;

/** Joins the inputs into one row per slide; reports every slide that is in one input but not another. */
export function gatherSlides(inputs: CohortInputs, opts: SplitOptions, report: Report): SlideInfo[] {
  const { boxes, presence, testList } = inputs;
  const validBoxes = new Map<string, number>();
  if (boxes) {
    let total = 0;
    for (const [slide, candidates] of boxes.file.bySlide) {
      total += candidates.length;
      const a = slideAnnotations(boxes.file, slide, null, new Set());
      if (a.rejected.length && opts.badBoxes === 'fail') {
        const more =
          a.rejected.length > 1
            ? ` (and ${a.rejected.length - 1} more on this slide; --bad-boxes drop leaves them out)`
            : ' (--bad-boxes drop leaves it out)';
        throw inputError(describeRejected(a.rejected[0]), `bad annotation of slide ${slide}${more}`);
      }
      for (const r of a.rejected) report.warn(`${describeRejected(r)}: slide ${slide}: not counted`);
      validBoxes.set(slide, a.used.length);
    }
    if (total === 0)
      throw inputError(boxes.file.path, 'has a header but no annotation rows: no slide is known to have a lesion');
  }
  const named = new Set<string>([
    ...(boxes?.file.bySlide.keys() ?? []),
    ...(presence?.bySlide.keys() ?? []),
    ...(testList?.bySlide.keys() ?? []),
  ]);
  let universe: string[];
  if (inputs.slides) {
    universe = [...new Set(inputs.slides)];
    const have = new Set(universe);
    for (const [what, ids] of [
      [boxes?.name, boxes ? [...boxes.file.bySlide.keys()] : []],
      [presence?.name, presence ? [...presence.bySlide.keys()] : []],
      [testList?.name, testList ? [...testList.bySlide.keys()] : []],
    ] as [string | undefined, string[]][]) {
      const missing = ids.filter((id) => !have.has(id)).sort();
      if (missing.length)
        report.warn(
          `${missing.length} slide${missing.length > 1 ? 's' : ''} in ${what} but not in ${inputs.slidesFrom}, left out: ${list(missing)}`,
        );
    }
    const unnamed = universe.filter((id) => !named.has(id)).sort();
    if (unnamed.length && (boxes || presence || testList)) {
      const as = presence
        ? testList
          ? 'not labelled train slides: taken as test'
          : 'not in the presence list: left out'
        : 'taken as lesion-free';
      report.info(
        `${unnamed.length} slide${unnamed.length > 1 ? 's' : ''} in ${inputs.slidesFrom} ${unnamed.length > 1 ? 'appear' : 'appears'} in no annotation or list file (${as}): ${list(unnamed)}`,
      );
    }
  } else {
    universe = [...named];
  }
  universe.sort();

  const unmatched = universe.filter((id) => patientOf(id, opts.patientPattern) === null);
  if (unmatched.length) {
    throw inputError('--patient-pattern', `${opts.patientPattern.source} finds no patient in ${list(unmatched)}`);
  }

  const out: SlideInfo[] = [];
  for (const slideId of universe) {
    const nBoxes = validBoxes.get(slideId) ?? 0;
    const inTest = testList?.bySlide.has(slideId) ?? false;
    const p = presence?.bySlide.get(slideId);
    // With a presence list, only its slides have known labels for training.
    if (presence && p === undefined && !inTest) {
      if (!testList) continue;
      out.push({
        slideId,
        patientId: patientOf(slideId, opts.patientPattern)!,
        nBoxes,
        hasLesion: nBoxes > 0,
        test: true,
      });
      continue;
    }
    if (inTest) {
      const n = testList!.countsBoxes ? testList!.bySlide.get(slideId)! : nBoxes;
      out.push({
        slideId,
        patientId: patientOf(slideId, opts.patientPattern)!,
        nBoxes: n,
        hasLesion: n > 0 || p === true,
        test: true,
      });
      continue;
    }
    if (p !== undefined && p !== nBoxes > 0) {
      report.warn(
        `slide ${slideId}: ${presence!.name} says presence ${p ? 1 : 0} but ${boxes ? `${boxes.name} has ${nBoxes} valid boxes` : 'no box file was given'}; taken as ${p || nBoxes > 0 ? 'with' : 'without'} lesion`,
      );
    }
    out.push({
      slideId,
      patientId: patientOf(slideId, opts.patientPattern)!,
      nBoxes,
      hasLesion: p === true || nBoxes > 0,
      test: false,
    });
  }
  return out;
}

export interface SplitResult {
  records: SplitRecord[];
  folds: number;
}

/**
 * Assigns patients to test (the test list's patients, else a stratified fraction) and the other
 * patients to K stratified folds. A patient with any slide in the test set is wholly test.
 */
export function assignSplit(slides: SlideInfo[], opts: SplitOptions, report: Report): SplitResult {
  const byPatient = new Map<string, SlideInfo[]>();
  for (const s of slides) {
    let l = byPatient.get(s.patientId);
    if (!l) byPatient.set(s.patientId, (l = []));
    l.push(s);
  }
  const groups: GroupInfo[] = [...byPatient].map(([patientId, l]) => ({
    groupId: patientId,
    stratum: l.some((s) => s.hasLesion),
    weight: l.reduce((n, s) => n + s.nBoxes, 0),
  }));
  const forced = new Set<string>();
  for (const [patientId, l] of byPatient) {
    if (!l.some((s) => s.test)) continue;
    forced.add(patientId);
    const moved = l.filter((s) => !s.test).map((s) => s.slideId);
    if (moved.length)
      report.warn(
        `patient ${patientId}: ${list(l.filter((s) => s.test).map((s) => s.slideId))} in the test set, so ${list(moved)} go${moved.length > 1 ? '' : 'es'} to test too (no patient on both sides)`,
      );
  }
  let test: Set<string>;
  if (forced.size) test = forced;
  else if (opts.testFraction > 0)
    test = new Set(splitGroups(groups, { testFraction: opts.testFraction, seed: opts.seed }).test);
  else test = new Set();

  const trainGroups = groups.filter((g) => !test.has(g.groupId));
  if (trainGroups.length === 0) throw inputError('split', 'no train patients left: every patient is in the test set');
  const k = opts.folds;
  if (k > trainGroups.length) {
    throw usageError('--folds', `${k} folds need at least ${k} train patients, there are ${trainGroups.length}`);
  }
  const foldOf =
    k === 1
      ? new Map(trainGroups.map((g) => [g.groupId, 0]))
      : assignGroupFolds(trainGroups, { folds: k, seed: opts.seed }).foldOf;
  const records: SplitRecord[] = slides.map((s) => ({
    slide_id: s.slideId,
    patient_id: s.patientId,
    set: test.has(s.patientId) ? 'test' : 'train',
    fold: test.has(s.patientId) ? -1 : foldOf.get(s.patientId)!,
    has_lesion: s.hasLesion,
    n_boxes: s.nBoxes,
  }));
  records.sort((a, b) => (a.slide_id < b.slide_id ? -1 : a.slide_id > b.slide_id ? 1 : 0));
  return { records, folds: k };
}

export interface PartBalance {
  part: string;
  patients: number;
  lesionPatients: number;
  slides: number;
  lesionSlides: number;
  boxes: number;
}

/** Counts per fold and for the test set. */
export function balanceOf(records: SplitRecord[], folds: number): PartBalance[] {
  const parts = [...Array.from({ length: folds }, (_, f) => `fold ${f}`), 'test'];
  return parts.map((part) => {
    const rows = records.filter((r) =>
      part === 'test' ? r.set === 'test' : r.set === 'train' && `fold ${r.fold}` === part,
    );
    const patients = new Map<string, boolean>();
    for (const r of rows) patients.set(r.patient_id, (patients.get(r.patient_id) ?? false) || r.has_lesion);
    return {
      part,
      patients: patients.size,
      lesionPatients: [...patients.values()].filter(Boolean).length,
      slides: rows.length,
      lesionSlides: rows.filter((r) => r.has_lesion).length,
      boxes: rows.reduce((n, r) => n + r.n_boxes, 0),
    };
  });
}

/**
 * The stated tolerance: across folds, patients with lesions and patients without each differ
 * by at most 1 (assignGroupFolds guarantees it); box totals are evened but not bounded.
 */
export function foldSpreads(balance: PartBalance[]): { lesionPatients: number; plainPatients: number; boxes: number } {
  const folds = balance.filter((b) => b.part !== 'test');
  const spread = (f: (b: PartBalance) => number) => Math.max(...folds.map(f)) - Math.min(...folds.map(f));
  return {
    lesionPatients: spread((b) => b.lesionPatients),
    plainPatients: spread((b) => b.patients - b.lesionPatients),
    boxes: spread((b) => b.boxes),
  };
}

export function balanceTable(balance: PartBalance[]): string {
  const head = ['part', 'patients', 'with lesion', 'slides', 'with lesion', 'boxes'];
  const rows = balance.map((b) =>
    [b.part, b.patients, b.lesionPatients, b.slides, b.lesionSlides, b.boxes].map(String),
  );
  const total = ['total', ...[1, 2, 3, 4, 5].map((i) => String(rows.reduce((n, r) => n + Number(r[i]), 0)))];
  const all = [head, ...rows, total];
  const widths = head.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  return all.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')).join('\n');
}
