// End to end through the library: a tiny cohort is generated, then read back through OpenSlide.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PARAMS, planSlide, tissueOf } from './cohort';
import { parseCsv, PRESENCE_HEADER, TRAIN_HEADER, VALIDATION_HEADER } from './csv';
import { auc, laplacianEnergy, meanRgb, twoSidedAuc } from './features';
import type { Manifest } from './manifest';
import { readRegions, slideInfo, slideProperties } from './openslide-check';
import type { SlidePlan } from './plan';
import { SIZE_PRESETS } from './presets';
import { writeSlide } from './slide-writer';
import { sha256File, synthesizeCohort, SynthError, type SynthReport } from './synth';
import { SlideRenderer, TILE_PX } from './texture';

const root = mkdtempSync(join(tmpdir(), 'synth-e2e-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('a tiny cohort of 6 patients', () => {
  const dir = join(root, 'cohort');
  let report: SynthReport;
  let manifest: Manifest;

  beforeAll(async () => {
    const started = performance.now();
    report = await synthesizeCohort({ ...DEFAULT_PARAMS, outDir: dir, force: false });
    // Measured and reported, never asserted (the machine is shared).
    console.log(`wsi-synth: 6 patients, 12 tiny slides in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  });

  it('writes 12 slides, the DigiLut CSVs, a manifest and a contact sheet', () => {
    const files = readdirSync(dir).sort();
    expect(files.filter((f) => f.endsWith('.tif'))).toHaveLength(12);
    for (const f of [
      'train.csv',
      'validation.csv',
      'presence_of_lesion.csv',
      'validation_truth.csv',
      'manifest.json',
      'contact-sheet.png',
    ])
      expect(files).toContain(f);
    expect(files.some((f) => f.includes('partial'))).toBe(false);
    expect(readFileSync(join(dir, 'contact-sheet.png')).subarray(1, 4).toString()).toBe('PNG');
  });

  it('writes slides that OpenSlide opens with their size, levels, mpp and magnification', () => {
    for (const entry of manifest.slides) {
      const path = join(dir, entry.fileName);
      const info = slideInfo(path);
      expect(info.vendor).toBe('aperio');
      expect(info.dimensions).toEqual([entry.widthPx, entry.heightPx]);
      expect(info.levels).toBe(entry.levels.length);
      expect(info.levels).toBeGreaterThanOrEqual(3);
      expect(info.levelDimensions).toEqual(entry.levels.map((l) => [l.widthPx, l.heightPx]));
      // Power-of-two levels down to a small one.
      info.downsamples.forEach((d, l) => expect(d / 2 ** l).toBeCloseTo(1, 2));
      expect(Math.max(...info.levelDimensions[info.levels - 1])).toBeLessThanOrEqual(SIZE_PRESETS.tiny.smallestLevelPx);
      expect(info.mpp).toEqual(['0.25', '0.25']);
      expect(info.objectivePower).toBe('40');
      expect(info.associated).toEqual(['thumbnail']);
    }
    const props = slideProperties(join(dir, manifest.slides[0].fileName));
    expect(props['openslide.level[0].tile-width']).toBe('256');
    expect(props['aperio.AppMag']).toBe('40');
  });

  it('reads back the colours that were drawn', () => {
    const s = report.plan.slides.find((x) => x.lesions.length > 0)!;
    const renderer = new SlideRenderer(s, tissueOf(s));
    const l = s.lesions[0];
    // The tile holding the lesion centre, and the slide's top-left tile (glass).
    const x0 = Math.floor(l.cx / TILE_PX) * TILE_PX;
    const y0 = Math.floor(l.cy / TILE_PX) * TILE_PX;
    const drawn = new Uint8Array(TILE_PX * TILE_PX * 3);
    expect(renderer.renderTile(x0, y0, drawn)).toBe(true);
    const [read, glass] = readRegions(join(dir, s.fileName), [
      { x0, y0, level: 0, widthPx: TILE_PX, heightPx: TILE_PX },
      { x0: 0, y0: 0, level: 0, widthPx: 64, heightPx: 64 },
    ]);
    let diff = 0;
    for (let i = 0; i < read.length; i++) diff += Math.abs(read[i] - drawn[i]);
    // JPEG at quality 80 moves pixels by a few levels, not more.
    expect(diff / read.length).toBeLessThan(4);
    const m = meanRgb(glass);
    for (let c = 0; c < 3; c++) expect(Math.abs(m[c] - s.stain.backgroundRgb[c])).toBeLessThan(3);
  });

  it('writes CSVs with the exact DigiLut headers that agree with the manifest', () => {
    const train = parseCsv(readFileSync(join(dir, 'train.csv'), 'utf8'));
    const validation = parseCsv(readFileSync(join(dir, 'validation.csv'), 'utf8'));
    const presence = parseCsv(readFileSync(join(dir, 'presence_of_lesion.csv'), 'utf8'), ';');
    expect(train.header.join(',')).toBe(TRAIN_HEADER);
    expect(validation.header.join(',')).toBe(VALIDATION_HEADER);
    expect(presence.header.join(';')).toBe(PRESENCE_HEADER);
    const bySplit = (split: string) => manifest.slides.filter((s) => s.split === split);
    expect(train.rows).toHaveLength(bySplit('train').reduce((n, s) => n + s.lesions.length, 0));
    expect(validation.rows).toHaveLength(bySplit('validation').reduce((n, s) => n + s.lesions.length, 0));
    expect(presence.rows).toHaveLength(bySplit('train').length);
    for (const s of manifest.slides)
      expect(s.sha256).toBe(
        createHash('sha256')
          .update(readFileSync(join(dir, s.fileName)))
          .digest('hex'),
      );
  });

  it('puts every box inside the slide and on tissue that a simple detector sees', () => {
    for (const s of report.plan.slides) {
      for (const l of s.lesions) {
        expect(l.box.x1).toBeGreaterThanOrEqual(0);
        expect(l.box.y1).toBeGreaterThanOrEqual(0);
        expect(l.box.x2).toBeLessThanOrEqual(s.widthPx);
        expect(l.box.y2).toBeLessThanOrEqual(s.heightPx);
        // Read at level 2 (1/4): tissue is where the pixel is clearly not glass.
        const w = Math.floor((l.box.x2 - l.box.x1) / 4);
        const h = Math.floor((l.box.y2 - l.box.y1) / 4);
        const [px] = readRegions(join(dir, s.fileName), [
          { x0: l.box.x1, y0: l.box.y1, level: 2, widthPx: w, heightPx: h },
        ]);
        let tissue = 0;
        for (let i = 0; i < px.length; i += 3)
          if (Math.max(px[i], px[i + 1], px[i + 2]) - Math.min(px[i], px[i + 1], px[i + 2]) > 30) tissue++;
        expect(tissue / (w * h)).toBeGreaterThan(0.4);
      }
    }
  });

  it('refuses to overwrite an existing cohort', async () => {
    await expect(synthesizeCohort({ ...DEFAULT_PARAMS, outDir: dir, force: false })).rejects.toThrow(SynthError);
    await expect(synthesizeCohort({ ...DEFAULT_PARAMS, outDir: dir, force: false })).rejects.toThrow(/output exists/);
  });
});

describe('determinism', () => {
  async function hashes(seed: number, name: string): Promise<Map<string, string>> {
    const dir = join(root, name);
    await synthesizeCohort({ ...DEFAULT_PARAMS, patients: 1, seed, outDir: dir, force: false });
    const out = new Map<string, string>();
    for (const f of readdirSync(dir).sort()) out.set(f, await sha256File(join(dir, f)));
    return out;
  }

  it('writes the same bytes for the same seed, and a different cohort for another', async () => {
    const a = await hashes(21, 'seed21-a');
    const b = await hashes(21, 'seed21-b');
    const c = await hashes(22, 'seed22');
    expect([...b]).toEqual([...a]);
    expect(a.size).toBe(8); // 2 slides + 4 CSVs + manifest + contact sheet
    const slidesA = [...a.keys()].filter((f) => f.endsWith('.tif'));
    const slidesC = [...c.keys()].filter((f) => f.endsWith('.tif'));
    expect(slidesC).not.toEqual(slidesA);
    expect(c.get('manifest.json')).not.toBe(a.get('manifest.json'));
    // With one patient nobody is held out, so only the (empty) validation files may agree.
    const same = [...c.keys()].filter((f) => [...a.values()].includes(c.get(f)!));
    expect(same.sort()).toEqual(['validation.csv', 'validation_truth.csv']);
  });
});

describe('the lesion signal', () => {
  // Positive tiny slides with large lesions, so there are enough whole patches inside them; four
  // slides pooled, so the AUCs are not at the mercy of a dozen patches.
  const plans: SlidePlan[] = [2024, 2025, 2026, 2027].map((seed) =>
    planSlide({
      preset: { ...SIZE_PRESETS.tiny, lesionMedianUm: 220, maxLesions: 3 },
      mpp: 0.25,
      seed,
      patientId: `signal${seed}`,
      letter: 'a',
      split: 'train',
      positive: true,
    }),
  );
  const P = 128;

  /** Whole patches inside a lesion core, and patches of tissue clear of every lesion box. */
  function patchesOf(plan: SlidePlan) {
    const tissue = tissueOf(plan);
    const regions: { x0: number; y0: number; level: number; widthPx: number; heightPx: number; lesion: boolean }[] = [];
    for (let y0 = 0; y0 + P <= plan.heightPx; y0 += P) {
      for (let x0 = 0; x0 + P <= plan.widthPx; x0 += P) {
        if (tissue.tissueFraction({ x1: x0, x2: x0 + P, y1: y0, y2: y0 + P }, 8) < 0.95) continue;
        const corners = [
          [x0, y0],
          [x0 + P, y0],
          [x0, y0 + P],
          [x0 + P, y0 + P],
        ];
        const inside = plan.lesions.some((l) =>
          corners.every(([x, y]) => {
            const c = Math.cos(l.angleRad);
            const s = Math.sin(l.angleRad);
            const u = ((x - l.cx) * c + (y - l.cy) * s) / l.semiMajorPx;
            const v = (-(x - l.cx) * s + (y - l.cy) * c) / l.semiMinorPx;
            return Math.hypot(u, v) < 0.6;
          }),
        );
        const clear = plan.lesions.every(
          (l) => x0 + P < l.box.x1 - 64 || x0 > l.box.x2 + 64 || y0 + P < l.box.y1 - 64 || y0 > l.box.y2 + 64,
        );
        if (inside || clear) regions.push({ x0, y0, level: 0, widthPx: P, heightPx: P, lesion: inside });
      }
    }
    return regions;
  }

  it('is texture, not mean colour', async () => {
    const pos: Uint8Array[] = [];
    const neg: Uint8Array[] = [];
    for (const plan of plans) {
      const path = join(root, plan.fileName);
      await writeSlide(plan, path, { jpegQuality: 80, bigTiff: 'auto', smallestLevelPx: 1024 });
      const regions = patchesOf(plan);
      readRegions(path, regions).forEach((p, i) => (regions[i].lesion ? pos : neg).push(p));
    }
    expect(pos.length).toBeGreaterThanOrEqual(25);
    expect(neg.length).toBeGreaterThanOrEqual(200);

    const means = (set: Uint8Array[], c: number) => set.map((p) => meanRgb(p)[c]);
    const colourAuc = [0, 1, 2].map((c) => twoSidedAuc(means(pos, c), means(neg, c)));
    const textureAuc = auc(
      pos.map((p) => laplacianEnergy(p, P)),
      neg.map((p) => laplacianEnergy(p, P)),
    );
    console.log(
      `lesion patches ${pos.length}, normal ${neg.length}; mean-colour AUC R/G/B ${colourAuc.map((a) => a.toFixed(2)).join('/')}, texture AUC ${textureAuc.toFixed(2)}`,
    );
    expect(Math.max(...colourAuc)).toBeLessThan(0.7);
    expect(textureAuc).toBeGreaterThan(0.85);
  });
});
