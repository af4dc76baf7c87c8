// Simulated score streams with structured false positives for boxes-methods.mjs (bundled with
// esbuild there):  boxes-sim <dir> <slides> <seed>
// writes <dir>/scores.arrows, truth.csv (the slides' lesions), validation.csv (their counts) and
// prior.csv (lesions of as many other simulated slides: the "training boxes" of --size-prior).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simulateStructuredSlide, trainCsv, writeSimFiles, type SimSlide } from '@slidepipe/testing';

const [dir, count, seedText] = process.argv.slice(2);
const slides = Number(count);
const seed = Number(seedText);

function slide(k: number, base: number): SimSlide {
  const r = (n: number) => (((base + k) * 2654435761) >>> 0) % n;
  // Each slide draws its mix: 1-3 single lesions (some in a plateau), up to one adjacent group,
  // up to two plateaus alone; one slide in eight has no lesion at all.
  const empty = r(8) === 0;
  const lesions = empty ? 0 : 1 + r(3);
  return simulateStructuredSlide({
    slideId: `sim${String(base + k).padStart(5, '0')}_a`,
    seed: base + k,
    lesions,
    structure: {
      plateauAround: empty ? 0 : r(7) % (lesions + 1),
      plateauAlone: r(5) % 3,
      adjacentGroups: empty ? 0 : r(11) % 2,
    },
  });
}

const test = Array.from({ length: slides }, (_, k) => slide(k, seed * 100000));
const train = Array.from({ length: slides }, (_, k) => slide(k, seed * 100000 + 50000));
await writeSimFiles(dir, test);
writeFileSync(join(dir, 'truth.csv'), trainCsv(test));
writeFileSync(join(dir, 'prior.csv'), trainCsv(train));
process.stdout.write(
  `${JSON.stringify({ slides, lesions: test.reduce((a, s) => a + s.truth.length, 0), patches: test.reduce((a, s) => a + s.patches.n, 0) })}\n`,
);
