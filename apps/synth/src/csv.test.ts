import { describe, expect, it } from 'vitest';
import { DEFAULT_PARAMS, planCohort } from './cohort';
import { cohortCsvs, parseCsv, PRESENCE_HEADER, TRAIN_HEADER, VALIDATION_HEADER } from './csv';

describe('cohortCsvs', () => {
  const plan = planCohort({ ...DEFAULT_PARAMS, seed: 11, patients: 8 });
  const csv = cohortCsvs(plan);
  const slide = new Map(plan.slides.map((s) => [s.fileName, s]));

  it('uses the exact DigiLut headers and separators', () => {
    expect(csv['train.csv'].split('\n')[0]).toBe('filename,x1,x2,y1,y2,max_x,max_y');
    expect(csv['validation.csv'].split('\n')[0]).toBe('filename,max_x,max_y,trustii_id');
    expect(csv['presence_of_lesion.csv'].split('\n')[0]).toBe('file_name;presence_of_lesion');
    expect(csv['validation_truth.csv'].split('\n')[0]).toBe(TRAIN_HEADER);
    for (const text of Object.values(csv)) expect(text.endsWith('\n')).toBe(true);
  });

  it('lists every train lesion box with the slide size', () => {
    const { header, rows } = parseCsv(csv['train.csv']);
    expect(header.join(',')).toBe(TRAIN_HEADER);
    const train = plan.slides.filter((s) => s.split === 'train');
    expect(rows).toHaveLength(train.reduce((n, s) => n + s.lesions.length, 0));
    for (const [name, x1, x2, y1, y2, maxX, maxY] of rows) {
      const s = slide.get(name)!;
      expect(s.split).toBe('train');
      expect([Number(maxX), Number(maxY)]).toEqual([s.widthPx, s.heightPx]);
      expect(
        s.lesions.some(
          (l) =>
            l.box.x1 === Number(x1) && l.box.x2 === Number(x2) && l.box.y1 === Number(y1) && l.box.y2 === Number(y2),
        ),
      ).toBe(true);
      expect(Number(x1)).toBeLessThan(Number(x2));
      expect(Number(y2)).toBeLessThanOrEqual(s.heightPx);
    }
  });

  it('lists one validation row per expected box, numbered from 1', () => {
    const { header, rows } = parseCsv(csv['validation.csv']);
    expect(header.join(',')).toBe(VALIDATION_HEADER);
    const validation = plan.slides.filter((s) => s.split === 'validation');
    expect(rows).toHaveLength(validation.reduce((n, s) => n + s.lesions.length, 0));
    expect(rows.map((r) => Number(r[3]))).toEqual(rows.map((_, i) => i + 1));
    for (const [name, maxX, maxY] of rows) {
      const s = slide.get(name)!;
      expect(s.split).toBe('validation');
      expect([Number(maxX), Number(maxY)]).toEqual([s.widthPx, s.heightPx]);
    }
    // Per slide, as many rows as lesions: the expected box count is known.
    for (const s of validation) expect(rows.filter((r) => r[0] === s.fileName)).toHaveLength(s.lesions.length);
    expect(parseCsv(csv['validation_truth.csv']).rows).toHaveLength(rows.length);
  });

  it('labels every train slide 0 or 1, with semicolons', () => {
    const { header, rows } = parseCsv(csv['presence_of_lesion.csv'], ';');
    expect(header.join(';')).toBe(PRESENCE_HEADER);
    const train = plan.slides.filter((s) => s.split === 'train');
    expect(rows.map((r) => r[0]).sort()).toEqual(train.map((s) => s.fileName).sort());
    for (const [name, presence] of rows) expect(presence).toBe(slide.get(name)!.lesions.length > 0 ? '1' : '0');
    expect(rows.some((r) => r[1] === '0')).toBe(true);
    expect(rows.some((r) => r[1] === '1')).toBe(true);
  });
});
