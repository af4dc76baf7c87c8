import { describe, expect, it } from 'vitest';
import { readBoxFile } from '@slidepipe/geometry';

const boxFile = (text: string) => ({
  name: 'train.csv',
  file: readBoxFile('train.csv', new TextEncoder().encode(text)),
});
import type { SplitRecord } from '@slidepipe/schema';
import {
  assignSplit,
  balanceOf,
  DEFAULT_PATIENT_PATTERN,
  foldSpreads,
  gatherSlides,
  patientOf,
  type CohortInputs,
  type SplitOptions,
} from './split';
import { readPresence, readTestList, slidesInList } from './tables';

const pattern = new RegExp(DEFAULT_PATIENT_PATTERN);

function recorder() {
  const warnings: string[] = [];
  const infos: string[] = [];
  return { warnings, infos, warn: (m: string) => warnings.push(m), info: (m: string) => infos.push(m) };
}

/** A cohort of n patients, two slides each; patient i has (i % 3 === 0 ? 0 : i % 4 + 1) boxes on slide a. */
function cohort(n: number): CohortInputs {
  const rows = ['filename,x1,x2,y1,y2,max_x,max_y'];
  const slides: string[] = [];
  for (let i = 0; i < n; i++) {
    const p = `P${String(i).padStart(3, '0')}`;
    slides.push(`${p}_a`, `${p}_b`);
    const boxes = i % 3 === 0 ? 0 : (i % 4) + 1;
    for (let b = 0; b < boxes; b++) rows.push(`${p}_a.tif,${100 * b},${100 * b + 50},0,50,1000,1000`);
  }
  return { slides, slidesFrom: 'slides/', boxes: boxFile(rows.join('\n')), presence: null, testList: null };
}

function run(inputs: CohortInputs, opts: Partial<SplitOptions> = {}) {
  const o: SplitOptions = { folds: 5, seed: 0, testFraction: 0.2, patientPattern: pattern, badBoxes: 'fail', ...opts };
  const r = recorder();
  const result = assignSplit(gatherSlides(inputs, o, r), o, r);
  return { ...result, ...r };
}

/** Every patient's slides share one set and one fold. */
function partsOfPatients(records: SplitRecord[]): Map<string, Set<string>> {
  const parts = new Map<string, Set<string>>();
  for (const r of records) {
    if (!parts.has(r.patient_id)) parts.set(r.patient_id, new Set());
    parts.get(r.patient_id)!.add(`${r.set}/${r.fold}`);
  }
  return parts;
}

describe('patient ids', () => {
  it('come from the DigiLut pattern, a named group, or group 1', () => {
    expect(patientOf('abc_a', pattern)).toBe('abc');
    expect(patientOf('x_y_b', pattern)).toBe('x_y');
    expect(patientOf('abc_c', pattern)).toBeNull();
    expect(patientOf('P12-HE-3', /^(?<patient>P\d+)-/)).toBe('P12');
  });

  it('a slide the pattern cannot place is an error naming it', () => {
    const inputs = cohort(3);
    inputs.slides!.push('odd-name');
    expect(() => run(inputs)).toThrow(/finds no patient in odd-name/);
  });
});

describe('wsi-split folds', () => {
  const { records, folds } = run(cohort(60), { folds: 5, seed: 3 });

  it('never puts a patient in two folds, or in both train and test', () => {
    expect(records).toHaveLength(120);
    for (const [patient, parts] of partsOfPatients(records)) expect(parts.size, patient).toBe(1);
    const test = records.filter((r) => r.set === 'test');
    expect(test.every((r) => r.fold === -1)).toBe(true);
    // 20 lesion-free and 40 lesion patients, 20% of each to test.
    expect(new Set(test.map((r) => r.patient_id)).size).toBe(12);
  });

  it('balances folds within the stated tolerance: each stratum differs by at most one patient', () => {
    const balance = balanceOf(records, folds);
    const spreads = foldSpreads(balance);
    expect(spreads.lesionPatients).toBeLessThanOrEqual(1);
    expect(spreads.plainPatients).toBeLessThanOrEqual(1);
    // 48 train patients over 5 folds: 9 or 10 each.
    for (const b of balance.filter((x) => x.part !== 'test')) expect([9, 10]).toContain(b.patients);
    // Boxes are evened by swaps (not bounded by a guarantee); with 1..4 boxes per patient they stay close.
    expect(spreads.boxes).toBeLessThanOrEqual(4);
  });

  it('marks has_lesion and n_boxes from the box file', () => {
    const a = records.find((r) => r.slide_id === 'P001_a')!;
    expect(a).toMatchObject({ patient_id: 'P001', has_lesion: true, n_boxes: 2 });
    expect(records.find((r) => r.slide_id === 'P001_b')).toMatchObject({ has_lesion: false, n_boxes: 0 });
  });

  it('is deterministic for a seed and changes with it', () => {
    const again = run(cohort(60), { folds: 5, seed: 3 }).records;
    expect(again).toEqual(records);
    const other = run(cohort(60), { folds: 5, seed: 4 }).records;
    expect(other.map((r) => r.fold)).not.toEqual(records.map((r) => r.fold));
  });

  it('refuses more folds than train patients', () => {
    expect(() => run(cohort(4), { folds: 5, testFraction: 0 })).toThrow(
      /5 folds need at least 5 train patients, there are 4/,
    );
  });
});

describe('wsi-split with DigiLut lists', () => {
  it('puts the test list patients in test, the whole patient, and reports the moved slide', () => {
    const inputs = cohort(10);
    inputs.testList = {
      name: 'validation.csv',
      ...readTestList(
        'filename,max_x,max_y,trustii_id\nP004_a.tif,1,1,1\nP004_a.tif,1,1,2\nP007_b.tif,1,1,3\n',
        'validation.csv',
      ),
    };
    const { records, warnings } = run(inputs, { folds: 2, testFraction: 0 });
    const test = records.filter((r) => r.set === 'test').map((r) => r.slide_id);
    expect(test).toEqual(['P004_a', 'P004_b', 'P007_a', 'P007_b']);
    // Box counts of test slides are the list's expected boxes.
    expect(records.find((r) => r.slide_id === 'P004_a')).toMatchObject({ n_boxes: 2, has_lesion: true });
    expect(warnings.join('\n')).toMatch(/patient P004: P004_a in the test set, so P004_b goes to test too/);
  });

  it('reports slides of the box file missing from the folder, and folder slides without rows', () => {
    const inputs = cohort(6);
    inputs.slides = inputs.slides!.filter((s) => s !== 'P001_a');
    const { records, warnings, infos } = run(inputs, { folds: 2, testFraction: 0 });
    expect(records.some((r) => r.slide_id === 'P001_a')).toBe(false);
    expect(warnings.join('\n')).toMatch(/1 slide in train\.csv but not in slides\/, left out: P001_a/);
    expect(infos.join('\n')).toMatch(
      /slides in slides\/ appear in no annotation or list file \(taken as lesion-free\): P000_a, P000_b, P001_b/,
    );
  });

  it('stops at a bad box row, naming its line; under drop reports it and does not count it', () => {
    const inputs = cohort(4);
    inputs.boxes = boxFile(
      'filename,x1,x2,y1,y2,max_x,max_y\nP001_a.tif,10,20,0,5,100,100\nP001_a.tif,20,10,0,5,100,100\n',
    );
    expect(() => run(inputs, { folds: 2, testFraction: 0 })).toThrow(
      'train.csv:3: x1 > x2 (x1=20, x2=10): bad annotation of slide P001_a (--bad-boxes drop leaves it out)',
    );
    const { records, warnings } = run(inputs, { folds: 2, testFraction: 0, badBoxes: 'drop' });
    expect(warnings).toEqual(['train.csv:3: x1 > x2 (x1=20, x2=10): slide P001_a: not counted']);
    expect(records.find((r) => r.slide_id === 'P001_a')!.n_boxes).toBe(1);
  });

  it('refuses a box file with a header and no rows instead of blaming the split', () => {
    const inputs = cohort(4);
    inputs.boxes = boxFile('filename,x1,x2,y1,y2,max_x,max_y\n');
    expect(() => run(inputs, { folds: 2 })).toThrow(
      'train.csv: has a header but no annotation rows: no slide is known to have a lesion',
    );
  });

  it('takes slides outside the presence list as test when a test list is given', () => {
    const inputs = cohort(6);
    const presence = [
      'file_name;presence_of_lesion',
      ...inputs
        .slides!.filter((s) => !s.startsWith('P005'))
        .map((s) => `${s}.tif;${s === 'P001_a' || s === 'P002_a' || s === 'P004_a' ? 1 : 0}`),
    ];
    inputs.presence = { name: 'presence_of_lesion.csv', bySlide: readPresence(presence.join('\n'), 'p.csv') };
    inputs.testList = { name: 'validation.csv', ...readTestList('filename,max_x,max_y,trustii_id\n', 'v.csv') };
    const { records } = run(inputs, { folds: 2, testFraction: 0 });
    expect(records.filter((r) => r.set === 'test').map((r) => r.slide_id)).toEqual(['P005_a', 'P005_b']);
  });
});

describe('list files', () => {
  it('reads the semicolon presence file and rejects a bad value with its line', () => {
    expect([...readPresence('file_name;presence_of_lesion\na_a.tif;1\na_b.tif;0\n', 'p.csv')]).toEqual([
      ['a_a', true],
      ['a_b', false],
    ]);
    expect(() => readPresence('file_name;presence_of_lesion\na_a.tif;1\na_b.tif;maybe\n', 'p.csv')).toThrow(
      /p\.csv:3: expected presence 0 or 1, received "maybe"/,
    );
  });

  it('reads slide lists with a header or plain names', () => {
    expect(slidesInList('filename,x\na_a.tif,1\nb_b.svs,2\n', 'l.csv')).toEqual(['a_a', 'b_b']);
    expect(slidesInList('slide_id\nv1.2_a\n', 'l.csv')).toEqual(['v1.2_a']);
    expect(slidesInList('a_a.tif\nb_b\n', 'l.txt')).toEqual(['a_a', 'b_b']);
  });
});
