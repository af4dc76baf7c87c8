import { describe, expect, it } from 'vitest';
import { readDigilutBoxCsv, slideIdOfFilename, splitDelimited } from './digilut-csv';

describe('readDigilutBoxCsv', () => {
  it('finds columns by name, keeps line numbers through CRLF, a BOM and blank lines, and ids rows by content', () => {
    const text =
      '\uFEFFfilename,max_x,max_y,x1,x2,y1,y2,extra\r\n\r\n"a_a.tif",100,200,1,5,2,9,z\r\nb_b.svs,100,200,0,100,0,200,\r\n';
    const { rows, bySlide } = readDigilutBoxCsv(text, 't.csv');
    expect(rows.map((r) => [r.line, r.slideId, r.id, r.problems])).toEqual([
      [3, 'a_a', 'a_a:x1-5:y2-9', []],
      [4, 'b_b', 'b_b:x0-100:y0-200', []],
    ]);
    expect(rows[0].box).toEqual({ x1: 1, y1: 2, x2: 5, y2: 9 });
    expect([...bySlide.keys()]).toEqual(['a_a', 'b_b']);
  });

  it('flags, and keeps, every kind of bad row', () => {
    const { rows } = readDigilutBoxCsv(
      ['filename,x1,x2,y1,y2,max_x,max_y', 'a.tif,5,1,1,1,9,9', 'a.tif,1,2,1,2,0,9', ',1,2,1,2,9,9'].join('\n'),
    );
    expect(rows.map((r) => r.problems)).toEqual([
      ['x1 > x2 (x1=5, x2=1)', 'zero height (y1 = y2 = 1)'],
      [
        'outside the slide: x 2 > max_x 0',
        'slide size max_x=0, max_y=9 is not positive',
        'max_x,max_y = 0,9 differ from line 2 (9,9) for the same slide',
      ],
      ['empty filename'],
    ]);
  });
});

describe('helpers', () => {
  it('marks the rows that have no usable box, and only those', () => {
    const csv = readDigilutBoxCsv(
      [
        'filename,x1,x2,y1,y2,max_x,max_y',
        'a_a.tif,10,20,10,20,100,100', // fine
        'a_a.tif,30,20,10,20,100,100', // inverted x
        'a_a.tif,10,20,10,20,100,100', // duplicate of line 2
        'a_a.tif,10,200,10,20,100,100', // outside the slide: a policy matter, still a box
        'a_a.tif,x,20,10,20,100,100', // not a number
      ].join('\n'),
      'boxes.csv',
    );
    expect(csv.rows.map((r) => r.unusable)).toEqual([
      null,
      'x1 > x2 (x1=30, x2=20)',
      'duplicate of line 2',
      null,
      'x1 is not a number ("x")',
    ]);
    expect(csv.rows[3].problems[0]).toMatch(/outside the slide/);
  });

  it('splits quoted fields with escaped quotes and another separator', () => {
    expect(splitDelimited('a;"b;c";"say ""hi"""\n', ';')).toEqual([{ line: 1, fields: ['a', 'b;c', 'say "hi"'] }]);
  });

  it('takes the slide id from a file name or path', () => {
    expect(slideIdOfFilename('data/abc_a.tif')).toBe('abc_a');
    expect(slideIdOfFilename('v1.2_b.svs')).toBe('v1.2_b');
    expect(slideIdOfFilename('noext')).toBe('noext');
  });
});
