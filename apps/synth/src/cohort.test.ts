import { describe, expect, it } from 'vitest';
import { DEFAULT_PARAMS, objectivePower, patientIds, planCohort, tissueOf } from './cohort';
import type { CohortParams, CohortPlan } from './plan';
import { SIZE_PRESETS } from './presets';
import { insidePolygon } from './tissue-model';

const plans = new Map<string, CohortPlan>();
function plan(p: Partial<CohortParams>): CohortPlan {
  const params = { ...DEFAULT_PARAMS, ...p };
  const key = JSON.stringify(params);
  if (!plans.has(key)) plans.set(key, planCohort(params));
  return plans.get(key)!;
}

// Typed arrays do not survive JSON.stringify as arrays; compare them by value.
const canonical = (p: CohortPlan) =>
  JSON.stringify(p, (_k, v) => (ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v));

describe('planCohort', () => {
  it('is a function of the seed', () => {
    expect(canonical(planCohort({ ...DEFAULT_PARAMS, seed: 5 }))).toBe(canonical(plan({ seed: 5 })));
    expect(canonical(plan({ seed: 6 }))).not.toBe(canonical(plan({ seed: 5 })));
  });

  it('names two slides per patient with DigiLut-like ids', () => {
    const p = plan({ seed: 5 });
    expect(p.slides).toHaveLength(12);
    for (const s of p.slides) expect(s.fileName).toMatch(/^[A-Za-z0-9]{10}_[ab]\.tif$/);
    expect(new Set(p.slides.map((s) => s.fileName)).size).toBe(12);
    expect(patientIds(5, 50)).toEqual(patientIds(5, 50));
    expect(new Set(patientIds(5, 500)).size).toBe(500);
  });

  it('holds out whole patients and keeps negatives in both splits', () => {
    for (const seed of [1, 2, 3]) {
      const p = plan({ seed });
      const validation = p.patients.filter((x) => x.split === 'validation');
      expect(validation).toHaveLength(2); // round(6 * 0.25)
      for (const s of p.slides) expect(s.split).toBe(p.patients.find((x) => x.id === s.patientId)!.split);
      for (const split of ['train', 'validation'] as const) {
        const slides = p.slides.filter((s) => s.split === split);
        const negatives = slides.filter((s) => s.lesions.length === 0).length;
        expect(negatives).toBe(Math.round(slides.length / 3));
        expect(slides.length - negatives).toBeGreaterThan(0);
      }
    }
  });

  it('reports the objective power of the resolution', () => {
    expect(objectivePower(0.25)).toBe(40);
    expect(objectivePower(0.5)).toBe(20);
    expect(plan({ seed: 1, mpp: 0.5 }).slides[0].objectivePower).toBe(20);
  });

  it('scales pixel sizes with the resolution, not the tissue', () => {
    const fine = plan({ seed: 2 });
    const coarse = plan({ seed: 2, mpp: 0.5 });
    const ratio = fine.slides[0].widthPx / coarse.slides[0].widthPx;
    expect(ratio).toBeCloseTo(2, 2);
  });

  it('puts every lesion box inside the slide and on tissue, a few against an edge', () => {
    let lesions = 0;
    let nearEdge = 0;
    for (const seed of [1, 2, 3, 4]) {
      for (const s of plan({ seed }).slides) {
        const tissue = tissueOf(s);
        expect(s.lesions.length).toBeLessThanOrEqual(SIZE_PRESETS.tiny.maxLesions);
        for (const l of s.lesions) {
          lesions++;
          if (l.nearEdge) nearEdge++;
          expect(l.box.x1).toBeGreaterThanOrEqual(0);
          expect(l.box.y1).toBeGreaterThanOrEqual(0);
          expect(l.box.x2).toBeLessThanOrEqual(s.widthPx);
          expect(l.box.y2).toBeLessThanOrEqual(s.heightPx);
          expect(l.box.x2 - l.box.x1).toBeGreaterThan(50);
          // Checked afresh (finer grid than the planner's) rather than trusting tissueFraction.
          expect(tissue.tissueFraction(l.box, 32)).toBeGreaterThan(0.4);
          // The centre lies within a fragment's outline (it may fall in a hole).
          expect(s.fragments.some((f) => insidePolygon(f.xs, f.ys, l.cx, l.cy))).toBe(true);
        }
        // Boxes do not overlap each other.
        for (const [i, a] of s.lesions.entries()) {
          for (const b of s.lesions.slice(i + 1)) {
            expect(a.box.x2 <= b.box.x1 || b.box.x2 <= a.box.x1 || a.box.y2 <= b.box.y1 || b.box.y2 <= a.box.y1).toBe(
              true,
            );
          }
        }
      }
    }
    expect(lesions).toBeGreaterThan(20);
    expect(nearEdge / lesions).toBeGreaterThan(0.1);
    expect(nearEdge / lesions).toBeLessThan(0.6);
  });

  it('sizes lesion boxes around the preset median', () => {
    for (const size of ['tiny', 'small'] as const) {
      const sides: number[] = [];
      for (const seed of [1, 2, 3, 4, 5, 6]) {
        for (const s of plan({ seed, size }).slides)
          for (const l of s.lesions) sides.push(Math.sqrt((l.box.x2 - l.box.x1) * (l.box.y2 - l.box.y1)));
      }
      sides.sort((a, b) => a - b);
      const median = sides[Math.floor(sides.length / 2)];
      const want = SIZE_PRESETS[size].lesionMedianUm / 0.25;
      expect(median / want).toBeGreaterThan(0.8);
      expect(median / want).toBeLessThan(1.2);
      // A spread of sizes, as in DigiLut.
      expect(sides[sides.length - 1] / sides[0]).toBeGreaterThan(2);
    }
  });

  it('plans DigiLut-sized slides', () => {
    const p = plan({ seed: 3, size: 'digilut', patients: 1 });
    for (const s of p.slides) {
      expect(s.widthPx).toBeGreaterThan(78_000);
      expect(s.widthPx).toBeLessThan(88_000);
      expect(s.heightPx).toBeGreaterThan(188_000);
      expect(s.heightPx).toBeLessThan(208_000);
      expect(s.fragments.length).toBeGreaterThanOrEqual(SIZE_PRESETS.digilut.fragments[0] - 2);
    }
  });

  it('varies stain and artefacts between slides', () => {
    const slides = [1, 2, 3].flatMap((seed) => plan({ seed }).slides);
    const eosin = slides.map((s) => s.stain.eosinScale);
    expect(Math.max(...eosin) - Math.min(...eosin)).toBeGreaterThan(0.2);
    expect(slides.some((s) => s.folds.length > 0)).toBe(true);
    expect(slides.some((s) => s.pens.length > 0)).toBe(true);
    expect(slides.some((s) => s.blurs.length > 0)).toBe(true);
    expect(slides.some((s) => s.folds.length + s.pens.length + s.blurs.length === 0)).toBe(true);
  });
});
