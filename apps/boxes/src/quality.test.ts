// On patch scores simulated from known truth with controlled noise (see simulate.ts), the DigiLut
// F2 each method reaches with refined and with grid-snapped boxes, N = the true count per slide.
// The table is printed; the assertions state what the methods must keep reaching.
import { beforeAll, describe, expect, it } from 'vitest';
import { scoreSlides } from '@slidepipe/metrics';
import { boxesForGrid } from './boxes';
import { METHODS, methodFromRecipe } from './methods/registry';
import { DEFAULT_REFINE } from './refine';
import { NOISE_LEVELS, scoreGrids, simulateSlide, type NoiseLevel, type SimSlide } from '@slidepipe/testing';
import { PatchColumns, ScoreGrid } from './grid';

// The grid helpers, bound to this tool's own grid classes.
const { simGrid } = scoreGrids(PatchColumns, ScoreGrid);

const SLIDES = 24;
const STRIDES = [512, 256] as const;
const NOISES = Object.keys(NOISE_LEVELS) as NoiseLevel[];
type Row = { stride0: number; noise: NoiseLevel; method: string; refined: number; snapped: number };

function f2(sims: { sim: SimSlide; grid: ScoreGrid }[], method: string, refine: boolean): number {
  const chosen = methodFromRecipe(method);
  const slides = sims.map(({ sim, grid }) => ({
    slideId: sim.slideId,
    predicted: boxesForGrid(grid, chosen, refine ? DEFAULT_REFINE : null, sim.truth.length).map((b) => b.box),
    truth: sim.truth,
  }));
  return scoreSlides(slides, { threshold: 0.5, beta: 2, matching: 'one-to-one' }).meanFBeta;
}

describe('box quality on simulated scores (24 slides, 1-3 lesions of ~940 px each)', () => {
  const rows: Row[] = [];
  const at = (stride0: number, noise: NoiseLevel, method: string) =>
    rows.find((r) => r.stride0 === stride0 && r.noise === noise && r.method === method)!;

  beforeAll(() => {
    for (const stride0 of STRIDES) {
      for (const noise of NOISES) {
        const sims = Array.from({ length: SLIDES }, (_, i) => {
          const sim = simulateSlide({ slideId: `s${i}`, seed: 1000 + i, noise: NOISE_LEVELS[noise], stride0 });
          return { sim, grid: simGrid(sim) };
        });
        for (const { name } of METHODS)
          rows.push({ stride0, noise, method: name, refined: f2(sims, name, true), snapped: f2(sims, name, false) });
      }
    }
    const line = (r: Row) =>
      `| ${r.stride0} | ${r.noise} | ${r.method} | ${r.refined.toFixed(3)} | ${r.snapped.toFixed(3)} |`;
    console.log(
      ['| stride0 | noise | method | F2 refined | F2 grid-snapped |', '|---|---|---|---|---|', ...rows.map(line)].join(
        '\n',
      ),
    );
  });

  it('reaches F2 >= 0.9 on overlapping patches (stride 256) at low noise, >= 0.75 at medium, with every method', () => {
    for (const { name } of METHODS) {
      expect(at(256, 'low', name).refined, name).toBeGreaterThanOrEqual(0.9);
      expect(at(256, 'medium', name).refined, name).toBeGreaterThanOrEqual(0.75);
    }
  });

  it('needs no overlap to beat 0.6 without noise, with the default method', () => {
    expect(at(512, 'none', 'components').refined).toBeGreaterThanOrEqual(0.6);
    expect(at(512, 'low', 'components').refined).toBeGreaterThanOrEqual(0.6);
  });

  it('refined boxes beat grid-snapped ones clearly: never worse below high noise, +0.1 F2 or more on average', () => {
    for (const stride0 of STRIDES) {
      for (const { name } of METHODS) {
        const mine = rows.filter((r) => r.stride0 === stride0 && r.method === name);
        for (const r of mine.filter((x) => x.noise !== 'high'))
          expect(r.refined, `${stride0} ${r.noise} ${name}`).toBeGreaterThanOrEqual(r.snapped);
        const gain = mine.reduce((s, r) => s + r.refined - r.snapped, 0) / mine.length;
        expect(gain, `${stride0} ${name}`).toBeGreaterThanOrEqual(0.1);
      }
    }
  });

  it('degrades with noise, as the simulation intends', () => {
    expect(at(256, 'none', 'components').refined).toBeGreaterThan(at(256, 'high', 'components').refined);
  });
});
