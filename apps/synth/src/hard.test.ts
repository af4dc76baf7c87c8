// The hard cohort: what it plants (sizes, neighbours, hard negatives, patient stains), that its
// slides open, and that it is what it claims: mean colour near chance, texture clearly better.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SVS } from '@slidepipe/fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PARAMS, planCohort, tissueOf } from './cohort';
import { checkHardCohort } from './hard-check';
import { DIGILUT_WIDTH_UM } from './hard-plan';
import { HardSlideRenderer } from './hard-texture';
import type { Manifest } from './manifest';
import { slideInfo, slideProperties } from './openslide-check';
import { boxesOverlap } from './tissue-model';
import { synthesizeCohort, SynthError } from './synth';
import { loadTextureSource, type TextureSource } from './texture-source';

const root = mkdtempSync(join(tmpdir(), 'synth-hard-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))];

describe('the plan of a hard cohort', () => {
  const plan = planCohort({ ...DEFAULT_PARAMS, size: 'small', patients: 40, seed: 2, difficulty: 'hard' });
  const positive = plan.slides.filter((s) => s.lesions.length > 0);

  it("draws lesion boxes from DigiLut's widths, several per positive slide, some side by side", () => {
    const widthsUm = positive.flatMap((s) => s.lesions.map((l) => (l.box.x2 - l.box.x1) * s.mpp));
    // The placement shrinks a few large ones that do not fit: the spread stays DigiLut's.
    expect(quantile(widthsUm, 0.5)).toBeGreaterThan(0.8 * DIGILUT_WIDTH_UM.p50);
    expect(quantile(widthsUm, 0.5)).toBeLessThan(1.2 * DIGILUT_WIDTH_UM.p50);
    expect(quantile(widthsUm, 0.1)).toBeGreaterThan(0.7 * DIGILUT_WIDTH_UM.p10);
    expect(quantile(widthsUm, 0.1)).toBeLessThan(1.3 * DIGILUT_WIDTH_UM.p10);
    expect(quantile(widthsUm, 0.9)).toBeGreaterThan(0.7 * DIGILUT_WIDTH_UM.p90);
    expect(quantile(widthsUm, 0.9)).toBeLessThan(1.3 * DIGILUT_WIDTH_UM.p90);
    const aspects = positive.flatMap((s) => s.lesions.map((l) => (l.box.y2 - l.box.y1) / (l.box.x2 - l.box.x1)));
    expect(quantile(aspects, 0.9) / quantile(aspects, 0.1)).toBeGreaterThan(1.8);
    expect(widthsUm.length / positive.length).toBeGreaterThanOrEqual(2);
    const gapUm = 50;
    const adjacent = positive.filter((s) =>
      s.lesions.some((a, i) => s.lesions.some((b, j) => i < j && boxesOverlap(a.box, b.box, gapUm / s.mpp))),
    );
    expect(adjacent.length).toBeGreaterThan(0.1 * positive.length);
  });

  it('places hard negatives on every slide, off the lesions, some of lesion size and some next to one', () => {
    for (const s of plan.slides) {
      expect(s.hard!.negatives.length).toBeGreaterThanOrEqual(2);
      for (const n of s.hard!.negatives) for (const l of s.lesions) expect(boxesOverlap(n.box, l.box)).toBe(false);
    }
    const negatives = plan.slides.flatMap((s) => s.hard!.negatives);
    expect(new Set(negatives.map((n) => n.kind))).toEqual(new Set(['spindle', 'cellular', 'vessel']));
    expect(negatives.filter((n) => n.nextToLesion).length).toBeGreaterThan(0.1 * negatives.length);
    expect(negatives.filter((n) => (n.box.x2 - n.box.x1) * 0.25 > 150).length).toBeGreaterThan(0.2 * negatives.length);
  });

  it('gives both slides of a patient one stain, and patients very different ones', () => {
    const byPatient = plan.patients.map((p) =>
      plan.slides.filter((s) => s.patientId === p.id).map((s) => s.hard!.stain),
    );
    for (const [a, b] of byPatient) {
      expect(a.hematoxylinOd).toEqual(b.hematoxylinOd);
      expect(a.jpegQuality).toBe(b.jpegQuality);
      expect(Math.abs(Math.log(a.hematoxylinScale / b.hematoxylinScale))).toBeLessThan(0.11);
    }
    const scales = byPatient.map(([a]) => a.hematoxylinScale);
    expect(Math.max(...scales) / Math.min(...scales)).toBeGreaterThan(1.8);
    expect(Math.max(...byPatient.map(([a]) => a.jpegQuality))).toBeLessThan(DEFAULT_PARAMS.jpegQuality);
  });
});

describe('hard slides', () => {
  let texture: TextureSource;
  beforeAll(async () => {
    texture = await loadTextureSource(SVS);
  });

  it('needs a texture slide', async () => {
    await expect(
      synthesizeCohort({ ...DEFAULT_PARAMS, difficulty: 'hard', outDir: join(root, 'none'), force: false }),
    ).rejects.toThrow(SynthError);
  });

  it('draws the same tile from a fresh renderer', () => {
    const s = planCohort({ ...DEFAULT_PARAMS, patients: 1, difficulty: 'hard' }).slides.find((p) => p.lesions.length)!;
    const l = s.lesions[0].box;
    const tile = () => {
      const out = new Uint8Array(256 * 256 * 3);
      new HardSlideRenderer(s, tissueOf(s), texture).renderTile(l.x1 - (l.x1 % 256), l.y1 - (l.y1 % 256), out);
      return out;
    };
    expect(Buffer.from(tile()).equals(Buffer.from(tile()))).toBe(true);
  });

  it('keeps the mean colour where it paints lesions and hard negatives', () => {
    const s = planCohort({ ...DEFAULT_PARAMS, size: 'small', patients: 1, seed: 4, difficulty: 'hard' }).slides.find(
      (p) => p.lesions.length > 0,
    )!;
    const bare = { ...s, lesions: [], hard: { ...s.hard!, negatives: [] } };
    const painted = new HardSlideRenderer(s, tissueOf(s), texture);
    const plain = new HardSlideRenderer(bare, tissueOf(bare), texture);
    const a = new Uint8Array(256 * 256 * 3);
    const b = new Uint8Array(256 * 256 * 3);
    for (const st of [s.lesions[0], s.hard!.negatives[0]]) {
      // The 512 px square (a 0.5 µm/px patch) at the structure's centre.
      const x0 = Math.round((st.box.x1 + st.box.x2) / 2 / 256) * 256 - 256;
      const y0 = Math.round((st.box.y1 + st.box.y2) / 2 / 256) * 256 - 256;
      const sum = [0, 0, 0];
      let changed = 0;
      for (const [dx, dy] of [
        [0, 0],
        [256, 0],
        [0, 256],
        [256, 256],
      ]) {
        painted.renderTile(x0 + dx, y0 + dy, a);
        plain.renderTile(x0 + dx, y0 + dy, b);
        for (let i = 0; i < a.length; i++) {
          sum[i % 3] += a[i] - b[i];
          if (Math.abs(a[i] - b[i]) > 30) changed++;
        }
      }
      // Texture changed a lot, the mean by at most 1% (2.5 levels of 255; near-white pixels clip a little).
      expect(changed / (4 * a.length)).toBeGreaterThan(0.02);
      for (const v of sum) expect(Math.abs(v / (4 * 256 * 256))).toBeLessThan(2.5);
    }
  });

  it('writes a cohort that OpenSlide opens, with its difficulty and draws in the manifest', async () => {
    const dir = join(root, 'cohort');
    await synthesizeCohort({
      ...DEFAULT_PARAMS,
      patients: 1,
      difficulty: 'hard',
      texturePath: SVS,
      outDir: dir,
      force: false,
    });
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest & {
      difficulty: string;
      texture: { file: string; sha256: string };
      slides: { hard: { jpegQuality: number; negatives: unknown[]; lesionWidthsUm: number[] } }[];
    };
    expect(manifest.difficulty).toBe('hard');
    expect(manifest.params.difficulty).toBe('hard');
    expect(manifest.texture.file).toBe('CMU-1-Small-Region.svs');
    expect(manifest.texture.sha256).toMatch(/^[0-9a-f]{64}$/);
    for (const s of manifest.slides) {
      expect(s.hard.negatives.length).toBeGreaterThan(0);
      expect(s.hard.lesionWidthsUm).toHaveLength(s.lesions.length);
      expect(slideInfo(join(dir, s.fileName)).dimensions).toEqual([s.widthPx, s.heightPx]);
      expect(slideProperties(join(dir, s.fileName))['tiff.ImageDescription']).toContain(`Q=${s.hard.jpegQuality}`);
    }
  });

  it('hides lesions from a mean-colour classifier, not from a texture one (held-out patients)', () => {
    const r = checkHardCohort(
      { ...DEFAULT_PARAMS, size: 'small', patients: 4, seed: 11, validationFraction: 0.5 },
      texture,
      10,
      8,
    );
    console.log(`hard cohort check: ${JSON.stringify(r)}`);
    expect(r.train.lesion).toBeGreaterThanOrEqual(15);
    expect(r.heldOut.lesion).toBeGreaterThanOrEqual(15);
    expect(r.heldOut.hardNegative).toBeGreaterThanOrEqual(10);
    expect(r.colourAuc).toBeLessThanOrEqual(0.65);
    expect(r.textureAuc).toBeGreaterThan(r.colourAuc + 0.1);
  });
});
