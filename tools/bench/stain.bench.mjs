// wsi-embed --stain: patches/s of the built-in backbone with Macenko and Reinhard normalisation and
// HED augmentation, against the same patches without (ratios in the same run); and wsi-stain's
// patches/s fitting a target on them.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { measure, report, scratch, tool } from './lib.mjs';
import { ensureTools, fixtures } from './embed-setup.mjs';

const THREADS = 2;
const n = Number(process.env.BENCH_STAIN_PATCHES ?? 2000);
ensureTools('cat', 'embed', 'stain');
const dir = scratch('stain', 2e9);
const patches = join(dir, `patches-${n}.arrows`);
if (!existsSync(patches)) {
  await fixtures('cohort', join(dir, `cohort-${n}`), 1, Math.ceil(n / 2), 256);
  measure(`${tool('cat')} -q ${join(dir, `cohort-${n}`, 'patches')}/*.arrows --head ${n} > ${patches}`, dir);
}
const target = join(dir, 'stain.json');
const fit = measure(`T ${tool('stain')} -q --threads ${THREADS} ${patches} -o ${target} --force`, dir);
const embed = (args) => measure(`T ${tool('embed')} -q --threads ${THREADS} ${args} ${patches} > /dev/null`, dir);
const none = embed('');
const rate = (m) => +(n / m.wall).toFixed(0);
const settings = {
  macenko: embed(`--stain macenko:target=${target}`),
  reinhard: embed(`--stain reinhard:target=${target}`),
  augment: embed('--stain-augment hed:sigma=0.1,bias=0.02'),
};
report({
  bench: 'stain',
  patches: n,
  threads: THREADS,
  fitPatchesPerS: rate(fit),
  embedPatchesPerS: { none: rate(none), ...Object.fromEntries(Object.entries(settings).map(([k, m]) => [k, rate(m)])) },
  ratioVsNone: Object.fromEntries(Object.entries(settings).map(([k, m]) => [k, +(none.wall / m.wall).toFixed(3)])),
});
