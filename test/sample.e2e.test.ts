// wsi-sample through real pipes: exact ratios, the lesion-free floor, split sets, stdin handling,
// hard negatives from out-of-fold scores.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openRecordSink } from '@slidepipe/io';
import { makeBatch, OUT_OF_FOLD, schemaFor, type PatchKeys, type StreamMeta } from '@slidepipe/schema';
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

interface Patch extends PatchKeys {
  label: number;
}

const KEYS = 'slide_id,x0,y0,w0,h0,col,row,label';
const patchesOf = (csv: string): Patch[] =>
  csv
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => {
      const [slide_id, ...v] = l.split(',');
      const [x0, y0, w0, h0, col, row, label] = v.map(Number);
      return { slide_id, x0, y0, w0, h0, col, row, label };
    });
const keyOf = (p: Patch) => `${p.slide_id}:${p.x0}:${p.y0}`;
// Distinct scores not in row order (a permutation of the patch index on its 400-column grid); the
// lesion-free synth002_a's are the highest.
const scoreOf = (p: Patch) => {
  const slide = Number(p.slide_id.slice(5, 8));
  return ((((p.row * 400 + p.col) * 7919) % 10007) * 3 + slide) / 40000 + (slide === 2 ? 0.5 : 0);
};

/** Out-of-fold patch-score records of `patches` (as wsi-predict --out-of-fold writes them), one file. */
async function writeScores(path: string, patches: Patch[], aggregate = OUT_OF_FOLD): Promise<void> {
  const meta: StreamMeta = {
    record: 'patch-score',
    version: 1,
    slide: null,
    facts: { folds: 1, aggregate },
    provenance: [],
  };
  const schema = schemaFor(meta);
  const sink = openRecordSink(path, { force: true });
  await sink.begin(schema, meta);
  const col = (k: keyof Patch) => Int32Array.from(patches, (p) => p[k] as number);
  await sink.write(
    makeBatch(schema, {
      slide_id: patches.map((p) => p.slide_id),
      x0: col('x0'),
      y0: col('y0'),
      w0: col('w0'),
      h0: col('h0'),
      col: col('col'),
      row: col('row'),
      label: Int8Array.from(patches, (p) => p.label),
      score: Float32Array.from(patches, scoreOf),
      fold_scores: patches.map((p) => Float32Array.of(scoreOf(p))),
    }),
  );
  await sink.close();
}

describe('wsi-sample --hard-negatives', () => {
  let d = '';
  let input: Patch[] = [];
  const sample = (args: string) => sh(`wsi-sample ${args} | wsi-cat --csv --select ${KEYS}`, { cwd: d });
  /** The n highest-scoring negatives of `slides` not in `kept`. */
  const topUnkept = (kept: Set<string>, n: number, slides?: string[]) =>
    new Set(
      input
        .filter((p) => p.label === 0 && !kept.has(keyOf(p)) && (!slides || slides.includes(p.slide_id)))
        .sort((a, b) => scoreOf(b) - scoreOf(a))
        .slice(0, n)
        .map(keyOf),
    );

  beforeAll(async () => {
    d = tmp();
    writeFileSync(join(d, 'train.csv'), TRAIN + '\n');
    const r = sh(`${makePatches(6000, 64, 3)} | wsi-label --boxes train.csv -q > labelled.arrows`, { cwd: d });
    expect(r.status, r.stderr).toBe(0);
    input = patchesOf(sh(`wsi-cat --csv --select ${KEYS} labelled.arrows`, { cwd: d }).stdout.toString());
    expect(input).toHaveLength(6000);
    mkdirSync(join(d, 'oof'));
    for (const s of ['synth000_a', 'synth001_a', 'synth002_a'])
      await writeScores(
        join(d, 'oof', `${s}.parquet`),
        input.filter((p) => p.slide_id === s),
      );
    writeFileSync(join(d, 'slides.txt'), 'synth000_a\nsynth001_a\nsynth002_a\n');
    writeFileSync(join(d, 'validation.csv'), 'filename,max_x,max_y,trustii_id\nsynth001_a.tif,200000,100000,1\n');
    const split = sh('wsi-split -q --slides slides.txt --test-list validation.csv --folds 2 -o hn-splits.parquet', {
      cwd: d,
    });
    expect(split.status, split.stderr).toBe(0);
  });

  it('adds the --per-pos x positives highest-scoring negatives not already kept, in input order, with provenance', () => {
    const plain = sample('--neg-per-pos 2 labelled.arrows');
    expect(plain.status, plain.stderr).toBe(0);
    const kept = new Set(patchesOf(plain.stdout.toString()).map(keyOf));
    const r = sh(
      'wsi-sample --neg-per-pos 2 --hard-negatives oof --per-pos 3 labelled.arrows -o hard.parquet && wsi-cat --schema hard.parquet > hard-schema.json',
      { cwd: d },
    );
    expect(r.status, r.stderr).toBe(0);
    const out = patchesOf(sh(`wsi-cat --csv --select ${KEYS} hard.parquet`, { cwd: d }).stdout.toString());
    const added = out.filter((p) => !kept.has(keyOf(p)));
    expect(out.length - added.length).toBe(kept.size);
    expect(added.every((p) => p.label === 0)).toBe(true);
    expect(new Set(added.map(keyOf))).toEqual(topUnkept(kept, 33));
    // The input's row order, every row once.
    const chosen = new Set(out.map(keyOf));
    expect(out.map(keyOf)).toEqual(input.filter((p) => chosen.has(keyOf(p))).map(keyOf));
    expect(r.stderr).toMatch(/; 33 hard negatives added \(3 per positive, global\)/);
    const schema = JSON.parse(readFileSync(join(d, 'hard-schema.json'), 'utf8'));
    const entry = schema.provenance.find((p: { tool: string }) => p.tool === 'wsi-sample');
    expect(entry.params.hard_negatives).toEqual({
      scores: ['oof/synth000_a.parquet', 'oof/synth001_a.parquet', 'oof/synth002_a.parquet'],
      per_pos: 3,
      mode: 'global',
      added: 33,
      candidates: 6000 - 11 - (kept.size - 11),
      scored_patches: 6000,
    });
  });

  it('--per-slide picks within each slide, per its own positives', () => {
    const plain = sample('--neg-per-pos 1 --per-slide labelled.arrows');
    const kept = new Set(patchesOf(plain.stdout.toString()).map(keyOf));
    const r = sample(
      '--neg-per-pos 1 --per-slide --hard-negatives oof/synth000_a.parquet --hard-negatives oof/synth002_a.parquet --hard-negatives oof/synth001_a.parquet --per-pos 2 labelled.arrows',
    );
    expect(r.status, r.stderr).toBe(0);
    const added = patchesOf(r.stdout.toString()).filter((p) => !kept.has(keyOf(p)));
    const of = (s: string) => new Set(added.filter((p) => p.slide_id === s).map(keyOf));
    expect(of('synth000_a')).toEqual(topUnkept(kept, 18, ['synth000_a']));
    expect(of('synth001_a')).toEqual(topUnkept(kept, 4, ['synth001_a']));
    expect(of('synth002_a').size).toBe(0);
    expect(r.stderr).toMatch(/; 22 hard negatives added \(2 per positive, per slide\)/);
  });

  it('warns and adds what it can when fewer scored negatives are left than wanted', async () => {
    const plain = sample('--neg-per-pos 2 labelled.arrows');
    const kept = new Set(patchesOf(plain.stdout.toString()).map(keyOf));
    const few = input.filter((p) => p.slide_id === 'synth001_a' && p.label === 0).slice(0, 8);
    await writeScores(join(d, 'few.parquet'), few);
    const left = few.filter((p) => !kept.has(keyOf(p))).length;
    const r = sample('--neg-per-pos 2 --hard-negatives few.parquet --per-pos 3 labelled.arrows');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      `wsi-sample: warning: only ${left} hard negatives added, fewer than the 33 requested (${left} scored negatives not already kept)`,
    );
    expect(patchesOf(r.stdout.toString())).toHaveLength(kept.size + left);
  });

  it('refuses scores of test-set slides, of patches not in the input, and scores that are not out of fold', async () => {
    const test = sh('wsi-sample --splits hn-splits.parquet --hard-negatives oof labelled.arrows -o refused.parquet', {
      cwd: d,
    });
    expect(test.status).toBe(65);
    expect(test.stderr.trim()).toBe(
      'wsi-sample: oof/synth001_a.parquet: scores slide synth001_a of set "test" in hn-splits.parquet: hard negatives come from set "train" only',
    );
    expect(existsSync(join(d, 'refused.parquet'))).toBe(false);
    // The training slides' scores only: accepted.
    const train = sample(
      '--splits hn-splits.parquet --hard-negatives oof/synth000_a.parquet --hard-negatives oof/synth002_a.parquet labelled.arrows',
    );
    expect(train.status, train.stderr).toBe(0);
    expect(train.stderr).toMatch(/; 9 hard negatives added \(1 per positive, global\)/);

    const shifted = input.slice(0, 5).map((p) => ({ ...p, x0: p.x0 + 256 }));
    await writeScores(join(d, 'shifted.parquet'), [...input.slice(10, 20), ...shifted]);
    const unmatched = sh('wsi-sample --hard-negatives shifted.parquet labelled.arrows > /dev/null', { cwd: d });
    expect(unmatched.status).toBe(65);
    expect(unmatched.stderr.trim()).toBe(
      'wsi-sample: shifted.parquet: 5 of the 15 scored patches are not in the input (first: slide synth000_a x0=256 y0=0 w0=512 h0=512): scores of another tiling, or of slides left out of the input?',
    );

    await writeScores(join(d, 'ensemble.parquet'), input.slice(0, 5), 'mean-prob');
    const ensemble = sh('wsi-sample --hard-negatives ensemble.parquet labelled.arrows > /dev/null', { cwd: d });
    expect(ensemble.status).toBe(65);
    expect(ensemble.stderr).toMatch(
      /^wsi-sample: ensemble\.parquet: scores are not out-of-fold \(facts\.aggregate "mean-prob"\)/,
    );
  });

  it('--per-pos without --hard-negatives is a usage error', () => {
    const r = sh('wsi-sample --per-pos 2 labelled.arrows > /dev/null', { cwd: d });
    expect(r.status).toBe(64);
    expect(r.stderr.trim()).toBe('wsi-sample: --per-pos: is used only with --hard-negatives');
  });
});
