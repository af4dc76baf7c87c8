// wsi-split through the built tool: a DigiLut-shaped cohort folder, the split table, the report.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sh, tmp } from './helpers';

interface Row {
  slide_id: string;
  patient_id: string;
  set: string;
  fold: number;
  has_lesion: boolean;
  n_boxes: number;
}

/**
 * 40 patients P00.._a/_b; patient i has (i % 5) boxes on slide a (so 1 in 5 patients is
 * lesion-free); patients 0-7 are DigiLut validation patients (in validation.csv, not in train.csv).
 * Slide files are empty: wsi-split only lists names.
 */
function cohort(): string {
  const d = tmp('slidepipe-split-');
  mkdirSync(join(d, 'slides'));
  const train = ['filename,x1,x2,y1,y2,max_x,max_y'];
  const validation = ['filename,max_x,max_y,trustii_id'];
  const presence = ['file_name;presence_of_lesion'];
  let trustii = 0;
  for (let i = 0; i < 40; i++) {
    const p = `P${String(i).padStart(2, '0')}`;
    for (const s of ['a', 'b']) writeFileSync(join(d, 'slides', `${p}_${s}.tif`), '');
    const boxes = i % 5;
    if (i < 8) {
      for (let b = 0; b < boxes; b++) validation.push(`${p}_a.tif,5000,9000,${++trustii}`);
      continue;
    }
    for (let b = 0; b < boxes; b++) train.push(`${p}_a.tif,${100 * b},${100 * b + 90},10,90,5000,9000`);
    presence.push(`${p}_a.tif;${boxes > 0 ? 1 : 0}`, `${p}_b.tif;0`);
  }
  // A box row for a slide that is not in the folder, and a folder slide in no file.
  train.push('Q99_a.tif,1,2,1,2,5000,9000');
  writeFileSync(join(d, 'slides', 'Z01_a.svs'), '');
  writeFileSync(join(d, 'train.csv'), train.join('\n') + '\n');
  writeFileSync(join(d, 'validation.csv'), validation.join('\n') + '\n');
  writeFileSync(join(d, 'presence_of_lesion.csv'), presence.join('\n') + '\n');
  return d;
}

function table(d: string, file: string): Row[] {
  const r = sh(`wsi-cat --jsonl ${file}`, { cwd: d });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout
    .toString()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Row);
}

function partsOfPatients(rows: Row[]): Map<string, Set<string>> {
  const parts = new Map<string, Set<string>>();
  for (const r of rows) {
    if (!parts.has(r.patient_id)) parts.set(r.patient_id, new Set());
    parts.get(r.patient_id)!.add(`${r.set}/${r.fold}`);
  }
  return parts;
}

describe('wsi-split', () => {
  it('splits a cohort folder with the DigiLut lists: test = validation patients, folds grouped and stratified', () => {
    const d = cohort();
    const r = sh(
      'wsi-split --slides slides --boxes train.csv --presence presence_of_lesion.csv --test-list validation.csv --folds 4 --seed 11 -o splits.parquet',
      { cwd: d },
    );
    expect(r.status, r.stderr).toBe(0);
    // Both mismatches are reported.
    expect(r.stderr).toMatch(/1 slide in train\.csv but not in slides, left out: Q99_a/);
    // P00 and P05 have no box (so no validation.csv row), the b slides of P01-P07 neither; and Z01_a.
    expect(r.stderr).toMatch(
      /11 slides in slides appear in no annotation or list file \(not labelled train slides: taken as test\): P00_a, P00_b, P01_b, .*\(11 in all\)/,
    );
    // The balance report: one line per fold, the test set and the total.
    expect(r.stderr).toMatch(
      /part +patients +with lesion +slides +with lesion +boxes\nfold 0 .*\nfold 1 .*\nfold 2 .*\nfold 3 .*\ntest .*\ntotal +41 /,
    );
    const rows = table(d, 'splits.parquet');
    expect(rows).toHaveLength(81);
    for (const [patient, parts] of partsOfPatients(rows)) expect(parts.size, patient).toBe(1);
    const testPatients = new Set(rows.filter((x) => x.set === 'test').map((x) => x.patient_id));
    expect([...testPatients].sort()).toEqual(['P00', 'P01', 'P02', 'P03', 'P04', 'P05', 'P06', 'P07', 'Z01']);
    expect(rows.find((x) => x.slide_id === 'P03_a')).toMatchObject({
      set: 'test',
      fold: -1,
      n_boxes: 3,
      has_lesion: true,
    });
    // 32 train patients P08-P39, 26 with lesions and 6 without (10, 15, ..., 35): per fold 6-7 and 1-2.
    const train = rows.filter((x) => x.set === 'train' && x.slide_id.endsWith('_a'));
    for (let f = 0; f < 4; f++) {
      const inFold = train.filter((x) => x.fold === f);
      expect([6, 7], `fold ${f}`).toContain(inFold.filter((x) => x.has_lesion).length);
      expect([1, 2], `fold ${f}`).toContain(inFold.filter((x) => !x.has_lesion).length);
    }
    expect(r.stderr).toMatch(
      /fold spread \(max - min over folds\): patients with lesions [01], without [01] \(guaranteed <= 1 each\)/,
    );
  });

  it('draws a test fraction by patient when there is no test list, the same for the same seed', () => {
    const d = cohort();
    const run = (seed: number, out: string) =>
      sh(
        `wsi-split --slides slides --boxes train.csv --test-fraction 0.25 --folds 3 --seed ${seed} --patient-pattern '^(?<patient>[A-Z]\\d+)_' -o ${out}`,
        { cwd: d },
      );
    for (const [seed, out] of [
      [1, 'a.arrows'],
      [1, 'b.arrows'],
      [2, 'c.arrows'],
    ] as const)
      expect(run(seed, out).status).toBe(0);
    const a = table(d, 'a.arrows');
    expect(table(d, 'b.arrows')).toEqual(a);
    expect(table(d, 'c.arrows').map((x) => `${x.set}${x.fold}`)).not.toEqual(a.map((x) => `${x.set}${x.fold}`));
    for (const parts of partsOfPatients(a).values()) expect(parts.size).toBe(1);
    // Validation patients have no rows in train.csv, so here they count as lesion-free.
    const testPatients = new Set(a.filter((x) => x.set === 'test').map((x) => x.patient_id));
    // 26 patients with lesions, 15 without (P00-P07, P10, ..., P35, Z01): round(6.5) + round(3.75) = 7 + 4.
    expect(testPatients.size).toBe(11);
  });

  it('refuses a slide name the patient pattern cannot read, and more folds than patients', () => {
    const d = cohort();
    writeFileSync(join(d, 'slides', 'scan-0001.tif'), '');
    const bad = sh('wsi-split --slides slides --folds 2 > /dev/null', { cwd: d });
    expect(bad.status).toBe(65);
    expect(bad.stderr).toMatch(/^wsi-split: --patient-pattern: \^\(\.\*\)_\[ab\]\$ finds no patient in scan-0001$/m);
    const many = sh('wsi-split --boxes train.csv --test-fraction 0 --folds 40 > /dev/null', { cwd: d });
    expect(many.status).toBe(64);
    expect(many.stderr).toMatch(/--folds: 40 folds need at least 40 train patients, there are 27/);
  });

  it('stops at a malformed box row as wsi-label does, or leaves it out under --bad-boxes drop', () => {
    const d = cohort();
    writeFileSync(
      join(d, 'bad.csv'),
      'filename,x1,x2,y1,y2,max_x,max_y\nP10_a.tif,10,90,10,90,5000,9000\nP11_a.tif,500,400,10,90,5000,9000\n',
    );
    const fail = sh('wsi-split --boxes bad.csv --test-fraction 0 --folds 2 -o s.parquet', { cwd: d });
    expect(fail.status).toBe(65);
    expect(fail.stderr).toBe(
      'wsi-split: bad.csv:3: x1 > x2 (x1=500, x2=400): bad annotation of slide P11_a (--bad-boxes drop leaves it out)\n',
    );
    expect(existsSync(join(d, 's.parquet'))).toBe(false);
    const label = sh('wsi-label --boxes bad.csv --check > /dev/null', { cwd: d });
    expect(label.status).toBe(65);
    const drop = sh('wsi-split --boxes bad.csv --test-fraction 0 --folds 2 --bad-boxes drop -o s.parquet', { cwd: d });
    expect(drop.status, drop.stderr).toBe(0);
    expect(drop.stderr).toMatch(/bad\.csv:3: x1 > x2 \(x1=500, x2=400\): slide P11_a: not counted/);
    writeFileSync(join(d, 'header.csv'), 'filename,x1,x2,y1,y2,max_x,max_y\n');
    const empty = sh('wsi-split --slides slides --boxes header.csv --folds 2 > /dev/null', { cwd: d });
    expect(empty.status).toBe(65);
    expect(empty.stderr).toBe(
      'wsi-split: header.csv: has a header but no annotation rows: no slide is known to have a lesion\n',
    );
  });

  it('writes split records that wsi-cat reads back with their provenance', () => {
    const d = cohort();
    expect(
      sh('wsi-split --slides slides --boxes train.csv --folds 2 -o s.parquet 2>/dev/null', { cwd: d }).status,
    ).toBe(0);
    const schema = JSON.parse(sh('wsi-cat --schema s.parquet', { cwd: d }).stdout.toString());
    expect(schema.record).toBe('split');
    expect(schema.facts).toMatchObject({ folds: 2, seed: 0, test: 'fraction:0.2' });
    expect(schema.provenance[0]).toMatchObject({ tool: 'wsi-split', params: { folds: 2, boxes: 'train.csv' } });
    expect(readFileSync(join(d, 's.parquet')).subarray(0, 4).toString()).toBe('PAR1');
  });
});
