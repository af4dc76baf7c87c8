import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { LabAccumulator, macenkoStainsOf, stainTarget } from '@slidepipe/image';
import { mulberry32, paintHePatch } from '@slidepipe/testing';
import { stainTransform } from './stain';

const patch = (seed: number) => ({ data: paintHePatch(mulberry32(seed), 48, false), width: 48, height: 48 });

function targetFile(dir: string): string {
  const ref = patch(1);
  const lab = new LabAccumulator();
  lab.add(ref);
  const m = macenkoStainsOf(ref)!;
  const t = stainTarget(
    { macenko: { ...m, alpha: 1, beta: 0.15 }, reinhard: lab.stats(), tissue_pixels: lab.n, od_pixels: 100 },
    { patches: 1, slides: 1, patients: 1 },
  );
  const path = join(dir, 'stain.json');
  writeFileSync(path, JSON.stringify(t));
  return path;
}

describe('--stain and --stain-augment', () => {
  const dir = mkdtempSync(join(tmpdir(), 'slidepipe-embed-stain-'));
  const path = targetFile(dir);

  it('leaves patches alone by default', () => {
    expect(stainTransform('none', undefined)).toBeNull();
  });

  it('reads the same normalisation from stain.json and from an ensemble.json that recorded it', () => {
    const a = stainTransform(`macenko:target=${path}`, undefined)!;
    const ensemble = join(dir, 'ensemble.json');
    writeFileSync(ensemble, JSON.stringify({ format: 'slidepipe-ensemble', version: 1, stain: a.facts.stain }));
    const b = stainTransform(`macenko:target=${ensemble}`, undefined)!;
    expect(b.facts).toEqual(a.facts);
    const img = patch(2);
    expect(b.apply(img, 's', 0, 0).data).toEqual(a.apply(img, 's', 0, 0).data);
    expect(a.apply(img, 's', 0, 0).data).not.toEqual(img.data);
    writeFileSync(ensemble, JSON.stringify({ format: 'slidepipe-ensemble', version: 1 }));
    expect(() => stainTransform(`reinhard:target=${ensemble}`, undefined)).toThrow(
      /trained on embeddings without stain normalisation: embed without --stain/,
    );
  });

  it('augments each patch the same on every run and differently from its neighbours', () => {
    const t = stainTransform('none', 'hed:sigma=0.2,bias=0.05,seed=7')!;
    expect(t.facts).toEqual({ stain_augment: { method: 'hed', sigma: 0.2, bias: 0.05, seed: 7 } });
    const img = patch(3);
    const once = t.apply(img, 'p001_a', 512, 256).data;
    expect(stainTransform('none', 'hed:sigma=0.2,bias=0.05,seed=7')!.apply(img, 'p001_a', 512, 256).data).toEqual(once);
    expect(t.apply(img, 'p001_a', 768, 256).data).not.toEqual(once);
    expect(stainTransform('none', 'hed:sigma=0.2,bias=0.05,seed=8')!.apply(img, 'p001_a', 512, 256).data).not.toEqual(
      once,
    );
  });

  it('names what is wrong with a recipe or a target file', () => {
    expect(() => stainTransform('macenko', undefined)).toThrow(/--stain macenko: needs target=FILE/);
    expect(() => stainTransform('vahadane:target=x', undefined)).toThrow(/expected one of none, macenko, reinhard/);
    expect(() => stainTransform('none', 'hed:sigma=2')).toThrow(/sigma: expected a number in \[0, 1\], got "2"/);
    const bad = join(dir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({
        format: 'slidepipe-stain-target',
        version: 1,
        od: '-log10((I + 1) / 256)',
        macenko: { stain_matrix: [[1, 2]] },
      }),
    );
    expect(() => stainTransform(`macenko:target=${bad}`, undefined)).toThrow(
      /bad.json: not a stain target \(from wsi-stain\): macenko.stain_matrix: expected two rows/,
    );
  });
});
