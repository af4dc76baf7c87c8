// wsi-eval through real pipes: hand-computed cases as records and as the stderr table, options,
// Parquet input of several slides (an empty one included), and one-line errors.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openRecordSink } from '@slidepipe/io';
import { makeBatch, RECORDS, schemaFor, type BoxRecord, type StreamMeta } from '@slidepipe/schema';
import { sh, tmp, tool } from './helpers';

type B = [number, number, number, number];

/** One box stream per slide, as wsi-boxes writes them (a slide may have no rows). */
async function writeBoxes(path: string, slides: Record<string, B[]>): Promise<void> {
  const sink = openRecordSink(path, { force: true });
  for (const [slideId, boxes] of Object.entries(slides)) {
    const meta: StreamMeta = {
      record: 'box',
      version: RECORDS.box.version,
      slide: { slide_id: slideId, patient_id: slideId, width0: 10000, height0: 10000, mpp0: 0.25 },
      facts: {},
      provenance: [{ tool: 'test', version: '0', argv: [], params: {}, time: '1970-01-01T00:00:00.000Z' }],
    };
    const schema = schemaFor(meta);
    await sink.begin(schema, meta);
    const rows: BoxRecord[] = boxes.map(([x1, y1, x2, y2], rank) => ({
      slide_id: slideId,
      rank,
      x1,
      y1,
      x2,
      y2,
      score: 1 - rank / 10,
      padded: false,
      trustii_id: null,
    }));
    if (rows.length) {
      await sink.write(
        makeBatch(schema, {
          slide_id: rows.map((r) => r.slide_id),
          rank: Int32Array.from(rows.map((r) => r.rank)),
          x1: Int32Array.from(rows.map((r) => r.x1)),
          y1: Int32Array.from(rows.map((r) => r.y1)),
          x2: Int32Array.from(rows.map((r) => r.x2)),
          y2: Int32Array.from(rows.map((r) => r.y2)),
          score: Float32Array.from(rows.map((r) => r.score)),
          padded: rows.map((r) => r.padded),
          trustii_id: rows.map((r) => r.trustii_id),
        }),
      );
    }
    await sink.end();
  }
  await sink.close();
}

const jsonl = (text: string) =>
  text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

describe('wsi-eval', () => {
  let dir: string;

  beforeAll(async () => {
    tool('eval');
    dir = tmp('slidepipe-eval-');
    // hit: exact; twice: the truth box and a copy moved 5 px (GIoU 19/21); edge: touching, GIoU 0;
    // empty: predicted nothing, truth 1; clean: nothing either side; extra: a box, no truth.
    await writeBoxes(join(dir, 'boxes.arrows'), {
      hit_a: [[0, 0, 100, 100]],
      twice_a: [
        [0, 0, 100, 100],
        [0, 5, 100, 105],
      ],
      edge_a: [[100, 0, 200, 100]],
      empty_a: [],
      clean_a: [],
      extra_a: [[10, 10, 20, 20]],
    });
    // The same boxes as a DigiLut submission; clean_a and empty_a are listed with one (padded) box
    // in the validation list but answered by nothing here, as a slide with no prediction.
    const validation = [
      'filename,max_x,max_y,trustii_id',
      'hit_a.tif,10000,10000,1',
      'twice_a.tif,10000,10000,2',
      'twice_a.tif,10000,10000,3',
      'edge_a.tif,10000,10000,4',
      'empty_a.tif,10000,10000,7',
      'clean_a.tif,10000,10000,8',
      'extra_a.tif,10000,10000,6',
    ];
    writeFileSync(join(dir, 'validation.csv'), `${validation.join('\n')}\n`);
    writeFileSync(join(dir, 'validation-short.csv'), `${validation.slice(0, 3).join('\n')}\n`);
    const sub = [
      'trustii_id,filename,x1,x2,y1,y2',
      '1,hit_a.tif,0,100,0,100',
      '2,twice_a.tif,0,100,0,100',
      '3,twice_a.tif,0,100,5,105',
      '4,edge_a.tif,100,200,0,100',
      '6,extra_a.tif,10,20,10,20',
    ];
    writeFileSync(join(dir, 'sub.csv'), `${sub.join('\n')}\n`);
    writeFileSync(
      join(dir, 'sub-reordered.csv'),
      `filename,trustii_id,x1,y1,x2,y2\n${sub
        .slice(1)
        .map((l) => {
          const [t, f, x1, x2, y1, y2] = l.split(',');
          return [f, t, x1, y1, x2, y2].join(',');
        })
        .join('\n')}\n`,
    );
    writeFileSync(
      join(dir, 'sub-noname.csv'),
      `trustii_id,x1,x2,y1,y2\n${sub
        .slice(1, 5)
        .map((l) =>
          l
            .split(',')
            .filter((_, i) => i !== 1)
            .join(','),
        )
        .join('\n')}\n`,
    );
    writeFileSync(join(dir, 'sub-bad.csv'), `${sub.slice(0, 2).join('\n')}\n2,twice_a.tif,0,ten,0,100\n`);
    writeFileSync(join(dir, 'notes.txt'), 'just some notes\n');
    writeFileSync(join(dir, 'negative.csv'), 'filename,x1,x2,y1,y2,max_x,max_y\nhit_a.tif,-5,100,0,100,10000,10000\n');
    writeFileSync(join(dir, 'other.csv'), 'filename,x1,x2,y1,y2,max_x,max_y\nzzz_a.tif,0,100,0,100,10000,10000\n');
    writeFileSync(
      join(dir, 'truth.csv'),
      [
        'filename,x1,x2,y1,y2,max_x,max_y',
        'hit_a.tif,0,100,0,100,10000,10000',
        'twice_a.tif,0,100,0,100,10000,10000',
        'edge_a.tif,0,100,0,100,10000,10000',
        'empty_a.tif,0,100,0,100,10000,10000',
        'unseen_a.tif,0,100,0,100,10000,10000',
        '',
      ].join('\n'),
    );
  });

  it('scores each slide by hand-computable rules and writes the mean as the last record', () => {
    const r = sh('wsi-eval boxes.arrows --truth truth.csv -o e.arrows --force && wsi-cat --jsonl e.arrows', {
      cwd: dir,
    });
    expect(r.status, r.stderr).toBe(0);
    const rows = jsonl(r.stdout.toString());
    const f = (id: string) => rows.find((x) => x.slide_id === id);
    expect(f('hit_a')).toMatchObject({ scope: 'slide', tp: 1, fp: 0, fn: 0, fbeta: 1 });
    expect(f('twice_a')).toMatchObject({ tp: 1, fp: 1, fn: 0, precision: 0.5, recall: 1, fbeta: 5 / 6 });
    expect(f('edge_a')).toMatchObject({ tp: 0, fp: 1, fn: 1, fbeta: 0 });
    expect(f('empty_a')).toMatchObject({ n_pred: 0, n_truth: 1, precision: 1, recall: 0, fbeta: 0 });
    expect(f('clean_a')).toMatchObject({ n_pred: 0, n_truth: 0, precision: 1, recall: 1, fbeta: 1 });
    expect(f('extra_a')).toMatchObject({ n_pred: 1, n_truth: 0, precision: 0, recall: 1, fbeta: 0 });
    expect(f('unseen_a')).toBeUndefined();
    const mean = rows.at(-1);
    expect(mean.scope).toBe('mean');
    expect(mean.fbeta).toBeCloseTo((1 + 5 / 6 + 0 + 0 + 1 + 0) / 6, 12);
    expect(r.stderr).toMatch(/twice_a\s+1\s+2\s+1\s+1\s+0\s+0\.500\s+1\.000\s+0\.833/);
    expect(r.stderr).toMatch(/mean of 6\s+4\s+5\s+2\s+3\s+2\s+[\d.]+\s+[\d.]+\s+0\.472/);
    expect(r.stderr).toMatch(/1 truth slide\(s\) not in the input left out .*: unseen_a/);
  });

  it('takes --matching any, --beta 1, --giou and --include-unpredicted', () => {
    const r = sh(
      'wsi-eval boxes.arrows --truth truth.csv --matching any --beta 1 --giou -0.1 --include-unpredicted -q | wsi-cat --jsonl',
      { cwd: dir },
    );
    expect(r.status, r.stderr).toBe(0);
    const rows = jsonl(r.stdout.toString());
    const f = (id: string) => rows.find((x) => x.slide_id === id);
    expect(f('twice_a')).toMatchObject({ tp: 2, fp: 0, fn: 0, fbeta: 1 });
    // GIoU 0 of the touching box is above -0.1.
    expect(f('edge_a')).toMatchObject({ tp: 1, fbeta: 1 });
    expect(f('unseen_a')).toMatchObject({ n_pred: 0, fn: 1, fbeta: 0 });
    expect(rows).toHaveLength(8);
    expect(r.stderr).toBe('');
  });

  it('reads a Parquet file of several slides, keeping a slide without boxes', () => {
    const r = sh(
      'wsi-cat boxes.arrows -o boxes.parquet --force && wsi-eval boxes.parquet --truth truth.csv -q | wsi-cat --jsonl',
      { cwd: dir },
    );
    expect(r.status, r.stderr).toBe(0);
    const rows = jsonl(r.stdout.toString());
    expect(rows.map((x) => x.slide_id).sort()).toEqual([
      '*',
      'clean_a',
      'edge_a',
      'empty_a',
      'extra_a',
      'hit_a',
      'twice_a',
    ]);
  });

  it('scores a DigiLut submission CSV as it scores the same boxes as records', () => {
    const a = sh('wsi-eval boxes.arrows --truth truth.csv -q | wsi-cat --jsonl', { cwd: dir });
    const b = sh('wsi-eval sub.csv --validation validation.csv --truth truth.csv -q | wsi-cat --jsonl', { cwd: dir });
    expect(b.status, b.stderr).toBe(0);
    expect(jsonl(b.stdout.toString())).toEqual(jsonl(a.stdout.toString()));
    // Columns in another order, without the validation list: slides come from filename, and a
    // slide without rows (clean_a, empty_a) is not known to have been predicted.
    const c = sh('wsi-eval sub-reordered.csv --truth truth.csv -q | wsi-cat --jsonl', { cwd: dir });
    expect(c.status, c.stderr).toBe(0);
    expect(
      jsonl(c.stdout.toString())
        .map((r) => r.slide_id)
        .sort(),
    ).toEqual(['*', 'edge_a', 'extra_a', 'hit_a', 'twice_a']);
    // trustii_id only: the validation list names the slides; an unanswered id is reported.
    const d = sh('wsi-eval sub-noname.csv --validation validation.csv --truth truth.csv | wsi-cat --jsonl', {
      cwd: dir,
    });
    expect(d.status, d.stderr).toBe(0);
    expect(d.stderr).toMatch(
      /sub-noname\.csv: 3 trustii_id\(s\) of the validation list have no row \(scored as missed\): 7, 8, 6/,
    );
    expect(jsonl(d.stdout.toString()).find((r) => r.slide_id === 'extra_a')).toMatchObject({ n_pred: 0 });
  });

  it('leaves bad truth boxes out under --bad-boxes drop, and warns when the truth names no predicted slide', () => {
    const drop = sh('wsi-eval boxes.arrows --truth negative.csv --bad-boxes drop | wsi-cat --jsonl', { cwd: dir });
    expect(drop.status, drop.stderr).toBe(0);
    expect(drop.stderr).toMatch(
      /1 truth row\(s\) or feature\(s\) left out \(--bad-boxes drop\), first: negative\.csv:2: outside the slide: negative corner/,
    );
    const other = sh('wsi-eval boxes.arrows --truth other.csv -q | wsi-cat --count', { cwd: dir });
    expect(other.status).toBe(0);
    const loud = sh('wsi-eval boxes.arrows --truth other.csv > /dev/null', { cwd: dir });
    expect(loud.stderr).toMatch(
      /warning: the truth \(other\.csv\) names none of the 6 predicted slide\(s\), so every one is scored lesion-free: check that slide ids match \(first predicted: hit_a, first in the truth: zzz_a\)/,
    );
  });

  it('fails with one line naming the problem', () => {
    const cases: [string, number, RegExp][] = [
      ['wsi-eval boxes.arrows > /dev/null', 64, /^wsi-eval: .*--truth/],
      ['wsi-eval boxes.arrows --truth missing.csv > /dev/null', 66, /^wsi-eval: missing\.csv: no such file/],
      [
        'wsi-eval boxes.arrows --truth truth.csv --giou 1 > /dev/null',
        64,
        /^wsi-eval: --giou: expected a number in \[-1, 1\), got "1"/,
      ],
      [
        'wsi-eval truth.csv --truth truth.csv > /dev/null',
        65,
        /^wsi-eval: truth\.csv: is a DigiLut box CSV with max_x,max_y \(ground truth\): give it as --truth/,
      ],
      [
        'wsi-eval notes.txt --truth truth.csv > /dev/null',
        65,
        /^wsi-eval: notes\.txt: not an Arrow stream or a Parquet file/,
      ],
      [
        'wsi-eval sub-noname.csv --truth truth.csv > /dev/null',
        65,
        /^wsi-eval: sub-noname\.csv: has no filename column: give the validation list \(--validation\)/,
      ],
      [
        'wsi-eval sub-bad.csv --truth truth.csv > /dev/null',
        65,
        /^wsi-eval: sub-bad\.csv:3: x2 is not a number \("ten"\)/,
      ],
      [
        'wsi-eval sub.csv --validation validation-short.csv --truth truth.csv > /dev/null',
        65,
        /^wsi-eval: sub\.csv:4: trustii_id 3 is not in the validation list/,
      ],
      [
        'wsi-eval boxes.arrows --validation validation.csv --truth truth.csv > /dev/null',
        64,
        /^wsi-eval: --validation: goes with a submission CSV input/,
      ],
      [
        'wsi-eval boxes.arrows --truth negative.csv > /dev/null',
        65,
        /^wsi-eval: negative\.csv:2: outside the slide: negative corner \(x1=-5, x2=100, y1=0, y2=100\): bad annotation/,
      ],
      ['wsi-eval boxes.arrows --truth truth.csv --matching greedy > /dev/null', 64, /greedy/],
    ];
    for (const [cmd, status, pattern] of cases) {
      const r = sh(cmd, { cwd: dir });
      expect(r.status, cmd).toBe(status);
      expect(r.stderr, cmd).toMatch(pattern);
    }
  });
});
