// pipeline/Snakefile run for real with snakemake (Debian's 7.21; `npm test`'s set-up installs
// it): a small synthetic cohort end to end, the outputs the demo writes, nothing to do on a
// re-run, a run killed mid-way that completes after `--unlock`, and the hard-negative round.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, sh, tmp } from '../helpers';

const hasSnakemake = spawnSync('bash', ['-c', 'command -v snakemake']).status === 0;
// The installed bins, as a user has them after set-up.
const env = { ...process.env, PATH: `${join(ROOT, 'node_modules/.bin')}:${process.env.PATH}` };

describe.skipIf(!hasSnakemake)('snakemake runs pipeline/Snakefile', () => {
  let d: string;
  const args = () => [
    '-s',
    join(ROOT, 'pipeline/Snakefile'),
    '--cores',
    '2',
    '--config',
    `data=${d}/data`,
    `out=${d}/out`,
    `truth=${d}/data/validation_truth.csv`,
    'folds=3',
  ];
  const snakemake = (...extra: string[]) =>
    spawnSync('snakemake', [...args(), ...extra], { cwd: d, env, encoding: 'utf8' });

  beforeAll(() => {
    d = tmp('slidepipe-snakemake-');
    sh(`wsi-synth -q -o ${d}/gen --patients 8 --seed 4`);
    mkdirSync(join(d, 'data/images'), { recursive: true });
    for (const f of readdirSync(join(d, 'gen')))
      renameSync(join(d, 'gen', f), join(d, f.endsWith('.tif') ? 'data/images' : 'data', f));
  });

  it('writes what the demo writes, and a second run has nothing to do', () => {
    const r = snakemake();
    expect(r.status, r.stderr).toBe(0);
    const slides = readdirSync(join(d, 'data/images')).map((f) => f.replace(/\.tif$/, ''));
    expect(readdirSync(join(d, 'out/patches')).sort()).toEqual(slides.map((s) => `${s}.parquet`).sort());
    for (const f of [
      'splits.parquet',
      'train-embeddings.parquet',
      'models/ensemble.json',
      'boxes.parquet',
      'eval.parquet',
      'submission.csv',
    ]) {
      expect(existsSync(join(d, 'out', f)), f).toBe(true);
    }
    // Every trustii_id of the validation list is answered once, as in the demo's submission.
    const ids = (text: string, col: number) =>
      text
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(',')[col])
        .sort();
    const validation = readFileSync(join(d, 'data/validation.csv'), 'utf8');
    const trustiiCol = validation.split('\n')[0].split(',').indexOf('trustii_id');
    expect(ids(readFileSync(join(d, 'out/submission.csv'), 'utf8'), 0)).toEqual(ids(validation, trustiiCol));
    const mean = JSON.parse(
      sh(`wsi-cat --jsonl ${join(d, 'out/eval.parquet')}`)
        .stdout.toString()
        .trim()
        .split('\n')
        .at(-1)!,
    );
    expect(mean.scope).toBe('mean');
    expect(readdirSync(join(d, 'out/heatmaps')).length).toBeGreaterThan(0);
    const again = snakemake();
    expect(again.status).toBe(0);
    expect(again.stdout + again.stderr).toMatch(/Nothing to be done/);
  });

  it('completes after being killed mid-run, once unlocked, without files that look complete but are not', async () => {
    sh(`rm -rf ${d}/out ${d}/.snakemake`);
    const first = spawn('snakemake', args(), { cwd: d, env, detached: true, stdio: 'ignore' });
    const patches = join(d, 'out/patches');
    const finished = () =>
      existsSync(patches) ? readdirSync(patches).filter((f) => f.endsWith('.parquet')).length : 0;
    for (let i = 0; i < 600 && finished() < 3; i++) await new Promise((r) => setTimeout(r, 50));
    process.kill(-first.pid!, 'SIGKILL');
    await new Promise((r) => first.on('exit', r));
    expect(finished()).toBeGreaterThanOrEqual(3);
    for (const f of readdirSync(patches).filter((f) => f.endsWith('.parquet')))
      expect(sh(`wsi-cat --count ${join(patches, f)}`).status, f).toBe(0);
    // Snakemake keeps its lock after SIGKILL: --unlock, then the same command.
    expect(snakemake('--unlock').status).toBe(0);
    const r = snakemake('--rerun-incomplete');
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(d, 'out/eval.parquet'))).toBe(true);
    expect(readdirSync(patches).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('with hard_negatives=2 trains a second round on out-of-fold hard negatives of the training slides', () => {
    const out = join(d, 'out-hn');
    const r = spawnSync(
      'snakemake',
      [...args().filter((a) => !a.startsWith('out=')), `out=${out}`, 'hard_negatives=2'],
      { cwd: d, env, encoding: 'utf8' },
    );
    expect(r.status, r.stderr).toBe(0);
    for (const f of ['round1/models/ensemble.json', 'models/ensemble.json', 'eval.parquet', 'submission.csv'])
      expect(existsSync(join(out, f)), f).toBe(true);
    const schema = (f: string) => {
      const s = JSON.parse(sh(`wsi-cat --schema ${join(out, f)}`).stdout.toString());
      return Array.isArray(s) ? s[0] : s;
    };
    expect(schema('round1/oof-scores.parquet').facts.aggregate).toBe('out-of-fold');
    // Every training slide of the split table is scored, and no other.
    const csv = (cmd: string) => sh(cmd).stdout.toString().trim().split('\n').slice(1);
    const train = csv(`wsi-cat --csv --select slide_id,set ${join(out, 'splits.parquet')}`)
      .filter((l) => l.endsWith(',train'))
      .map((l) => l.split(',')[0]);
    const scored = new Set(csv(`wsi-cat --csv --select slide_id ${join(out, 'round1/oof-scores.parquet')}`));
    expect([...scored].sort()).toEqual(train.sort());
    const sample = schema('train-embeddings.parquet').provenance.find((p: { tool: string }) => p.tool === 'wsi-sample');
    expect(sample.params.hard_negatives).toMatchObject({
      scores: [join(out, 'round1/oof-scores.parquet')],
      per_pos: 2,
      mode: 'global',
    });
    expect(sample.params.hard_negatives.added).toBeGreaterThan(0);
  });
});
