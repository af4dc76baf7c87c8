import { describe, expect, it } from 'vitest';
import { digilutCsvKind, readDigilutSubmissionCsv, readDigilutValidationCsv } from './digilut-lists';

const validation = readDigilutValidationCsv(
  'filename,max_x,max_y,trustii_id\na_a.tif,100,100,1\na_a.tif,100,100,2\nb_b.tif,,,3\n',
  'validation.csv',
);

describe('DigiLut validation list and submission', () => {
  it('tells a submission from a truth box CSV and from anything else', () => {
    expect(digilutCsvKind('trustii_id,filename,x1,x2,y1,y2\n1,a.tif,0,1,0,1')).toBe('submission');
    expect(digilutCsvKind('\uFEFF"filename","x1","y1","x2","y2"\r\n')).toBe('submission');
    expect(digilutCsvKind('filename,x1,x2,y1,y2,max_x,max_y\n')).toBe('boxes');
    expect(digilutCsvKind('x1,x2,y1,y2\n')).toBeNull();
    expect(digilutCsvKind('ARROW1\0\0')).toBeNull();
  });

  it('reads the validation list per slide, sizes where given', () => {
    expect([...validation.values()]).toEqual([
      { slideId: 'a_a', filename: 'a_a.tif', trustiiIds: ['1', '2'], width0: 100, height0: 100 },
      { slideId: 'b_b', filename: 'b_b.tif', trustiiIds: ['3'], width0: null, height0: null },
    ]);
  });

  it('maps trustii_id to slides, lists every listed slide and the unanswered ids', () => {
    const sub = readDigilutSubmissionCsv('y2,x1,trustii_id,y1,x2\n20,0,2,10,5\n', 'sub.csv', validation);
    expect([...sub.bySlide]).toEqual([
      ['a_a', [{ x1: 0, y1: 10, x2: 5, y2: 20 }]],
      ['b_b', []],
    ]);
    expect(sub.unanswered).toEqual(['1', '3']);
  });

  it('stops at the first row it cannot use, naming file and line', () => {
    const read =
      (rows: string, v = validation) =>
      () =>
        readDigilutSubmissionCsv(`trustii_id,filename,x1,x2,y1,y2\n${rows}`, 'sub.csv', v);
    expect(read('1,a_a.tif,5,0,0,1\n')).toThrow('sub.csv:2: inverted box (x1=5, x2=0, y1=0, y2=1)');
    expect(read('1,a_a.tif,0,1,0,1\n1,a_a.tif,0,1,0,1\n')).toThrow('sub.csv:3: trustii_id 1 appears twice');
    expect(read('3,a_a.tif,0,1,0,1\n')).toThrow(
      'sub.csv:2: trustii_id 3 belongs to b_b in the validation list, not to a_a.tif',
    );
    expect(read('9,a_a.tif,0,1,0,1\n')).toThrow('sub.csv:2: trustii_id 9 is not in the validation list');
    expect(read('1,a_a.tif,0,1,0\n')).toThrow('sub.csv:2: 5 fields, expected 6');
    expect(() => readDigilutSubmissionCsv('trustii_id,filename,x1,x2,y1,y2\n,,0,1,0,1\n', 'sub.csv')).toThrow(
      'sub.csv:2: empty filename (give --validation to map trustii_id to slides)',
    );
    expect(() => readDigilutSubmissionCsv('', 'sub.csv')).toThrow('sub.csv: empty file');
  });
});
