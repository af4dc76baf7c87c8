// Stain normalisation through real pipes: wsi-stain fits a target on the training patches,
// wsi-embed --stain applies it and records it, wsi-train keeps it in ensemble.json, and held-out
// patches embedded with --stain <method>:target=models/ensemble.json are scored; other settings are
// refused with one line.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sh, tmp } from './helpers';
import { writeCohort } from './train-fixtures';

let dir: string;

beforeAll(async () => {
  dir = tmp('slidepipe-stain-e2e-');
  await writeCohort(dir, 24);
  const r = sh(
    [
      'wsi-cat -q patches/*.arrows | wsi-stain -q -o stain.json',
      'wsi-cat -q patches/*.arrows | wsi-embed -q --stain macenko:target=stain.json -o emb.parquet',
      'wsi-train -q emb.parquet --splits splits.arrows -o models --epochs 3 --hidden 8 --batch-size 64 --no-mlflow --no-tensorboard',
    ].join(' && '),
    { cwd: dir },
  );
  if (r.status !== 0) throw new Error(r.stderr);
});

describe('wsi-stain | wsi-embed --stain | wsi-train | wsi-predict', () => {
  it('fits one target on every slide and carries it from the embeddings into ensemble.json', () => {
    const target = JSON.parse(readFileSync(join(dir, 'stain.json'), 'utf8'));
    expect(target.fitted_on).toMatchObject({ patches: 8 * 24, slides: 8, patients: 4 });
    expect(target.macenko.stain_matrix).toHaveLength(2);
    expect(target.reinhard.lab_std.every((s: number) => s > 0)).toBe(true);
    const facts = JSON.parse(sh('wsi-cat --schema emb.parquet', { cwd: dir }).stdout.toString()).facts;
    const manifest = JSON.parse(readFileSync(join(dir, 'models/ensemble.json'), 'utf8'));
    expect(facts.stain).toEqual({ method: 'macenko', target: target.macenko, fitted_on: target.fitted_on });
    expect(manifest.stain).toEqual(facts.stain);
  });

  it('scores patches normalised with the ensemble target, and refuses other settings with one line', () => {
    const ok = sh(
      'wsi-embed -q --stain macenko:target=models/ensemble.json patches/p000_a.arrows | wsi-predict -q --models models | wsi-cat -q --count',
      { cwd: dir },
    );
    expect(ok.stderr).toBe('');
    expect(ok.stdout.toString().trim()).toBe('24');
    const fix = 'embed with --stain macenko:target=models/ensemble.json';
    const plain = sh('wsi-embed -q patches/p000_a.arrows | wsi-predict -q --models models > /dev/null', { cwd: dir });
    expect(plain.status).toBe(65);
    expect(plain.stderr.trim()).toBe(
      `wsi-predict: <stdin>: embeddings without stain normalisation but the models in models were trained on embeddings normalised with macenko: ${fix}`,
    );
    const reinhard = sh(
      'wsi-embed -q --stain reinhard:target=stain.json patches/p000_a.arrows | wsi-predict -q --models models > /dev/null',
      { cwd: dir },
    );
    expect(reinhard.status).toBe(65);
    expect(reinhard.stderr.trim().split('\n')).toHaveLength(1);
    const augmented = sh(
      'wsi-embed -q --stain macenko:target=stain.json --stain-augment hed:seed=3 patches/p000_a.arrows | wsi-predict -q --models models > /dev/null',
      { cwd: dir },
    );
    expect(augmented.status).toBe(65);
    expect(augmented.stderr).toMatch(/^wsi-predict: <stdin>: embeddings made with stain augmentation .*\n$/);
    const wrong = sh('wsi-embed -q --stain reinhard:target=models/ensemble.json patches/p000_a.arrows > /dev/null', {
      cwd: dir,
    });
    expect(wrong.status).toBe(65);
    expect(wrong.stderr.trim()).toBe(
      'wsi-embed: models/ensemble.json: the models were trained with macenko normalisation, not reinhard: use --stain macenko:target=models/ensemble.json',
    );
  });
});
