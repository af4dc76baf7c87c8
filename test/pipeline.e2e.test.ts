// The cluster forms of the pipeline: the GNU parallel one-liner runs on a DigiLut-shaped folder;
// the Snakefile's rules call only the commands the demo calls (and pass a dry run where
// snakemake is installed).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, sh, tmp } from './helpers';

const commandsIn = (text: string) => new Set([...text.matchAll(/\bwsi-([a-z]+)\b/g)].map((m) => m[1]));
const hasSnakemake = spawnSync('bash', ['-c', 'command -v snakemake']).status === 0;

/** A DigiLut-shaped folder of 2 synthetic patients: d/data/images/*.tif and the CSVs in d/data. */
function digilutFolder(): string {
  const d = tmp();
  sh(`wsi-synth -q -o ${d}/gen --patients 2 --seed 4`);
  mkdirSync(join(d, 'data/images'), { recursive: true });
  for (const f of readdirSync(join(d, 'gen')))
    renameSync(join(d, 'gen', f), join(d, f.endsWith('.tif') ? 'data/images' : 'data', f));
  return d;
}

describe('pipeline descriptions', () => {
  it('the README one-liner for GNU parallel tiles and labels every slide of a DigiLut-shaped folder', () => {
    const d = tmp();
    sh(`wsi-synth -q -o ${d}/gen --patients 2 --seed 4`);
    mkdirSync(join(d, 'data/images'), { recursive: true });
    for (const f of readdirSync(join(d, 'gen'))) {
      renameSync(join(d, 'gen', f), join(d, f.endsWith('.tif') ? 'data/images' : 'data', f));
    }
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const oneLiner = readme.split('\n').find((l) => l.startsWith('parallel '));
    expect(oneLiner).toBeDefined();
    // The installed bins, as a user has them after set-up (parallel starts fresh shells).
    const r = spawnSync('bash', ['-o', 'pipefail', '-c', `cd ${d}/data && mkdir -p patches && ${oneLiner}`], {
      env: { ...process.env, PATH: `${join(ROOT, 'node_modules/.bin')}:${process.env.PATH}` },
    });
    expect(r.status, r.stderr.toString()).toBe(0);
    expect(r.stderr.toString()).not.toMatch(/error|Error|failed/);
    const outputs = readdirSync(join(d, 'data/patches')).sort();
    const slides = readdirSync(join(d, 'data/images'))
      .map((f) => f.replace(/\.tif$/, '.parquet'))
      .sort();
    expect(outputs).toEqual(slides);
    const schema = JSON.parse(sh(`wsi-cat --schema ${join(d, 'data/patches', outputs[0])}`).stdout.toString());
    expect(schema.record).toBe('labelled-patch');
    expect(schema.provenance.map((p: { tool: string }) => p.tool)).toEqual(['wsi-tile', 'wsi-label', 'wsi-cat']);
  });

  it('the Snakefile and the Slurm template call only commands the demo calls', () => {
    const demo = commandsIn(readFileSync(join(ROOT, 'tools/demo.sh'), 'utf8'));
    for (const f of ['pipeline/Snakefile', 'pipeline/tile-array.sbatch']) {
      const used = commandsIn(readFileSync(join(ROOT, f), 'utf8'));
      expect(used.size, f).toBeGreaterThan(0);
      for (const c of used) expect(demo.has(c), `${f} calls wsi-${c}, which the demo does not`).toBe(true);
    }
    expect(commandsIn(readFileSync(join(ROOT, 'pipeline/Snakefile'), 'utf8'))).toEqual(
      new Set(['split', 'tile', 'label', 'cat', 'sample', 'embed', 'train', 'predict', 'boxes', 'eval', 'heatmap']),
    );
  });

  it.skipIf(!hasSnakemake)('the Snakefile passes a snakemake dry run on a DigiLut-shaped folder', () => {
    const d = digilutFolder();
    const out = execFileSync(
      'snakemake',
      ['-s', join(ROOT, 'pipeline/Snakefile'), '-n', '--cores', '2', '--config', `data=${d}/data`, `out=${d}/out`],
      {
        cwd: d,
      },
    ).toString();
    expect(out).toMatch(/tile_label/);
    expect(out).not.toMatch(/round1|--hard-negatives|--out-of-fold/);
  });

  it.skipIf(!hasSnakemake)("with hard_negatives=2 the dry run adds the demo's second training round", () => {
    const d = digilutFolder();
    const out = execFileSync(
      'snakemake',
      [
        ...['-s', join(ROOT, 'pipeline/Snakefile'), '-n', '-p', '--cores', '2'],
        ...['--config', `data=${d}/data`, `out=${d}/out`, 'hard_negatives=2'],
      ],
      { cwd: d },
    ).toString();
    for (const rule of ['round1_sample_embed', 'round1_train', 'oof_scores', 'sample_embed', 'train'])
      expect(out).toMatch(new RegExp(`^rule ${rule}:`, 'm'));
    // Round 1's heads score the training patches out of fold; those scores pick the hard negatives.
    expect(out).toContain(
      `wsi-predict --models ${d}/out/round1/models --out-of-fold --splits ${d}/out/splits.parquet | wsi-cat -o ${d}/out/round1/oof-scores.parquet`,
    );
    expect(out).toContain(
      `wsi-sample --neg-per-pos 2 --splits ${d}/out/splits.parquet --set train --hard-negatives ${d}/out/round1/oof-scores.parquet --per-pos 2 | wsi-embed`,
    );
    // The ensemble is the second round's: models/ is trained on the sample with hard negatives.
    expect(out).toContain(
      `wsi-train ${d}/out/train-embeddings.parquet --splits ${d}/out/splits.parquet -o ${d}/out/models`,
    );
    expect(out).toContain(
      `wsi-train ${d}/out/round1/train-embeddings.parquet --splits ${d}/out/splits.parquet -o ${d}/out/round1/models`,
    );
  });
});
