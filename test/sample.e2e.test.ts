// wsi-sample through real pipes: exact ratios, the lesion-free floor, split sets, stdin handling.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makePatches, sh, tmp } from './helpers';

// make-patches 6000 rows, 3 slides: synth000_a..synth002_a, 2000 patches each, 512-px grid of 400 columns.
// Boxes: 3 x 3 patches on synth000_a, 2 x 1 on synth001_a; synth002_a is lesion-free.
const TRAIN = [
  'filename,x1,x2,y1,y2,max_x,max_y',
  'synth000_a.tif,1024,2560,0,1536,200000,100000',
  'synth001_a.tif,5120,6144,512,1024,200000,100000',
].join('\n');

type Counts = Record<string, { pos: number; neg: number }>;

function countsOf(csv: string): Counts {
  const out: Counts = {};
  for (const line of csv.trim().split('\n').slice(1)) {
    const [slide, label] = line.split(',');
    out[slide] ??= { pos: 0, neg: 0 };
    if (label === '1') out[slide].pos++;
    else out[slide].neg++;
  }
  return out;
}

describe('wsi-sample', () => {
  let d = '';
  beforeAll(() => {
    d = tmp();
    writeFileSync(join(d, 'train.csv'), TRAIN + '\n');
    const r = sh(`${makePatches(6000, 64, 3)} | wsi-label --boxes train.csv -q > labelled.arrows`, { cwd: d });
    expect(r.status, r.stderr).toBe(0);
  });

  it('keeps every positive and exactly --neg-per-pos negatives per positive over the input', () => {
    const r = sh('wsi-sample --neg-per-pos 3 < labelled.arrows | wsi-cat --csv --select slide_id,label > out.csv', {
      cwd: d,
    });
    expect(r.status, r.stderr).toBe(0);
    const c = countsOf(readFileSync(join(d, 'out.csv'), 'utf8'));
    expect(c.synth000_a.pos).toBe(9);
    expect(c.synth001_a.pos).toBe(2);
    const neg = Object.values(c).reduce((n, x) => n + x.neg, 0);
    expect(neg).toBe(3 * 11);
    // The lesion-free slide gives at least the default floor of 10.
    expect(c.synth002_a.neg).toBeGreaterThanOrEqual(10);
    expect(r.stderr).toMatch(
      /wsi-sample: 11 positives \(of 11\) and 33 negatives \(of 5989\) from 3 slides to <stdout>: 3\.000 negatives per positive \(requested 3, global\)/,
    );
  });

  it('applies the ratio per slide, with the floor for the lesion-free slide and a cap', () => {
    const r = sh(
      'wsi-sample --neg-per-pos 2 --per-slide --min-neg-per-slide 25 --max-per-slide 20 labelled.arrows | wsi-cat --csv --select slide_id,label > out.csv',
      { cwd: d },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(countsOf(readFileSync(join(d, 'out.csv'), 'utf8'))).toEqual({
      synth000_a: { pos: 9, neg: 11 }, // 9 + 18 would pass the cap of 20
      synth001_a: { pos: 2, neg: 4 },
      synth002_a: { pos: 0, neg: 20 }, // the floor of 25, capped
    });
    expect(r.stderr).toMatch(/warning: slide synth000_a: 11 negatives kept, fewer than the 18 requested/);
  });

  it('keeps only the slides of a split set, and is the same for the same seed', () => {
    writeFileSync(join(d, 'slides.txt'), 'synth000_a\nsynth001_a\nsynth002_a\n');
    writeFileSync(join(d, 'validation.csv'), 'filename,max_x,max_y,trustii_id\nsynth001_a.tif,200000,100000,1\n');
    const split = sh('wsi-split --slides slides.txt --test-list validation.csv --folds 2 -o splits.parquet', {
      cwd: d,
    });
    expect(split.status, split.stderr).toBe(0);
    const run = (seed: number) =>
      sh(
        `wsi-sample --neg-per-pos 2 --seed ${seed} --splits splits.parquet labelled.arrows | wsi-cat --csv --drop image`,
        { cwd: d },
      );
    const a = run(4);
    expect(a.status, a.stderr).toBe(0);
    const c = countsOf(
      a.stdout
        .toString()
        .split('\n')
        .map((l) =>
          l
            .split(',')
            .filter((_, i) => i === 0 || i === 13)
            .join(','),
        )
        .join('\n'),
    );
    expect(Object.keys(c).sort()).toEqual(['synth000_a', 'synth002_a']);
    expect(c.synth000_a.pos + c.synth002_a.pos).toBe(9);
    expect(c.synth000_a.neg + c.synth002_a.neg).toBe(18);
    expect(a.stderr).toMatch(/2000 rows of slides outside set "train" left out/);
    expect(run(4).stdout.equals(a.stdout)).toBe(true);
    expect(run(5).stdout.equals(a.stdout)).toBe(false);
  });

  it('reads Parquet files and several inputs, one output stream per input stream, with provenance', () => {
    const r = sh(
      `wsi-cat labelled.arrows -o all.parquet
       wsi-sample --neg-per-pos 1 all.parquet labelled.arrows -o s.parquet && wsi-cat --schema s.parquet > schema.json && wsi-cat --count s.parquet`,
      { cwd: d },
    );
    expect(r.status, r.stderr).toBe(0);
    // Each slide appears twice in the input: 2 x 11 positives and as many negatives.
    expect(r.stdout.toString().trim()).toBe('44');
    const schema = JSON.parse(readFileSync(join(d, 'schema.json'), 'utf8'));
    expect(schema.record).toBe('labelled-patch');
    const sampleEntry = schema.provenance.find((p: { tool: string }) => p.tool === 'wsi-sample');
    expect(sampleEntry.params).toMatchObject({
      neg_per_pos: 1,
      mode: 'global',
      totals: { positives: [22, 22], negatives: [22, 11978] },
    });
  });

  it('fails naming <stdin> on a truncated stream, and on records without labels, leaving no output', () => {
    const cut = sh('head -c 100000 labelled.arrows | wsi-sample -o cut.parquet', { cwd: d });
    expect(cut.status).toBe(74);
    expect(cut.stderr).toMatch(/^wsi-sample: <stdin>: stream cut/);
    expect(existsSync(join(d, 'cut.parquet'))).toBe(false);
    const unlabelled = sh(`${makePatches(10, 0)} | wsi-sample > /dev/null`, { cwd: d });
    expect(unlabelled.status).toBe(65);
    expect(unlabelled.stderr).toMatch(
      /^wsi-sample: <stdin>: expected "labelled-patch" or "embedding" or "patch-score" records, got "patch"/,
    );
  });
});
