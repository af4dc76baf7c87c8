// Slurm for real (npm run test:cluster, as root): tools/slurm-local.sh starts a one-node cluster,
// the sbatch --array template tiles a synthetic cohort, and Snakemake 7 runs pipeline/Snakefile
// with the sbatch profile, every job submitted to the scheduler.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, sh, tmp } from '../helpers';

const env = {
  ...process.env,
  USER: process.env.USER ?? 'root',
  PATH: `${join(ROOT, 'node_modules/.bin')}:${process.env.PATH}`,
};
const run = (cmd: string, args: string[], cwd: string) => spawnSync(cmd, args, { cwd, env, encoding: 'utf8' });

describe('a one-node Slurm cluster runs the pipeline', () => {
  let d: string;
  let slides: string[];

  beforeAll(() => {
    const up = run('bash', [join(ROOT, 'tools/slurm-local.sh'), 'start'], ROOT);
    expect(up.status, up.stderr).toBe(0);
    expect(run('sinfo', ['-h', '-o', '%T'], ROOT).stdout).toMatch(/idle|mix|alloc/);
    d = tmp('slidepipe-slurm-');
    sh(`wsi-synth -q -o ${d}/gen --patients 6 --seed 5`);
    mkdirSync(join(d, 'data/images'), { recursive: true });
    for (const f of readdirSync(join(d, 'gen')))
      renameSync(join(d, 'gen', f), join(d, f.endsWith('.tif') ? 'data/images' : 'data', f));
    slides = readdirSync(join(d, 'data/images')).sort();
  });

  it('the sbatch --array template tiles every slide as its own task', () => {
    writeFileSync(join(d, 'slides.txt'), slides.map((s) => join(d, 'data/images', s)).join('\n') + '\n');
    mkdirSync(join(d, 'logs'));
    const r = run(
      'sbatch',
      [
        '--wait',
        '--parsable',
        '--export=ALL',
        `--array=1-${slides.length}`,
        join(ROOT, 'pipeline/tile-array.sbatch'),
        'slides.txt',
        'data',
        'out',
      ],
      d,
    );
    expect(r.status, r.stderr).toBe(0);
    const job = r.stdout.trim();
    expect(readdirSync(join(d, 'out/patches')).sort()).toEqual(slides.map((s) => s.replace(/\.tif$/, '.parquet')));
    for (const s of slides)
      expect(sh(`wsi-cat --count ${join(d, 'out/patches', s.replace(/\.tif$/, '.parquet'))}`).status, s).toBe(0);
    // One log per array task, each naming its slide.
    const logs = readdirSync(join(d, 'logs')).filter((f) => f.startsWith(`slidepipe-tile-${job}_`));
    expect(logs).toHaveLength(slides.length);
    for (const f of logs) expect(readFileSync(join(d, 'logs', f), 'utf8')).toMatch(/wsi-tile: .* patches kept/);
  });

  it('snakemake with the sbatch profile submits every rule to Slurm and writes what the demo writes', () => {
    const r = run(
      'snakemake',
      [
        '-s',
        join(ROOT, 'pipeline/Snakefile'),
        '--profile',
        join(ROOT, 'pipeline/profiles/slurm-sbatch'),
        '--max-threads',
        '2',
        '--jobs',
        '4',
        '--latency-wait',
        '10',
        '--config',
        `data=${d}/data`,
        `out=${d}/smk`,
        `truth=${d}/data/validation_truth.csv`,
        'folds=3',
      ],
      d,
    );
    expect(r.status, r.stderr.slice(-3000)).toBe(0);
    for (const f of [
      'splits.parquet',
      'train-embeddings.parquet',
      'models/ensemble.json',
      'boxes.parquet',
      'eval.parquet',
      'submission.csv',
    ]) {
      expect(existsSync(join(d, 'smk', f)), f).toBe(true);
    }
    const submitted = (r.stdout + r.stderr).match(/Submitted job \d+ with external jobid '\d+'/g) ?? [];
    const perSlide = readdirSync(join(d, 'logs/slurm')).filter((f) => f.startsWith('tile_label-'));
    expect(perSlide).toHaveLength(slides.length);
    expect(submitted.length).toBeGreaterThan(slides.length);
  });
});
