// wsi-embed: (1) images/s with a ResNet-18-shaped ONNX graph (random weights from libs/models) on
// 2 threads, against python3-torch running the same architecture on the same JPEGs and threads;
// (2) the built-in he-features backbone's patches/s, against ~300 patches/s (about the tiler's
// rate on this machine: it must not be the slow stage of a pipe).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { measure, report, scratch, tool } from './lib.mjs';
import { ensureTools, fixtures, torchPython } from './embed-setup.mjs';

const THREADS = 2;
const resnetImages = Number(process.env.BENCH_EMBED_IMAGES ?? 256);
const builtinPatches = Number(process.env.BENCH_EMBED_PATCHES ?? 2000);
ensureTools('cat', 'embed');
const dir = scratch('embed', 2e9);
const model = join(dir, 'resnet18.onnx');
if (!existsSync(model)) await fixtures('resnet18', model, 224);

// 256 px patches, as the tiler writes them (ResNet input: resized to 224).
async function patches(n) {
  const file = join(dir, `patches-${n}.arrows`);
  if (!existsSync(file)) {
    const perSlide = Math.ceil(n / 2);
    await fixtures('cohort', join(dir, `cohort-${n}`), 1, perSlide, 256);
    measure(`${tool('cat')} -q ${join(dir, `cohort-${n}`, 'patches')}/*.arrows --head ${n} > ${file}`, dir);
  }
  return file;
}

const embed = tool('embed');
const big = await patches(resnetImages);
const small = await patches(resnetImages / 4);
// End to end, and the marginal rate (the difference of two runs: start-up and model load cancel).
const full = measure(`T ${embed} -q --threads ${THREADS} --model ${model} ${big} > /dev/null`, dir);
const quarter = measure(`T ${embed} -q --threads ${THREADS} --model ${model} ${small} > /dev/null`, dir);
const oursEndToEnd = resnetImages / full.wall;
const oursSteady = (resnetImages - resnetImages / 4) / Math.max(full.wall - quarter.wall, 1e-9);

let torch = { reason: 'not measured' };
const py = torchPython();
if (py.python) {
  const jpegs = join(dir, `jpegs-${resnetImages}.bin`);
  if (!existsSync(jpegs)) await fixtures('jpegs', big, jpegs);
  const out = join(dir, 'torch.json');
  const t = measure(
    `T ${py.python} ${join(import.meta.dirname, 'embed-torch.py')} ${jpegs} ${THREADS} 32 > ${out}`,
    dir,
  );
  const r = JSON.parse(readFileSync(out, 'utf8'));
  torch = {
    version: r.torch,
    endToEnd: resnetImages / t.wall,
    steady: r.images / r.loop_s,
    startupS: r.startup_s,
    peakRssMB: Math.round(t.peakRssMB),
  };
} else torch = { reason: py.reason };

const builtin = await patches(builtinPatches);
const he = measure(`T ${embed} -q --threads ${THREADS} ${builtin} > /dev/null`, dir);
const heRate = builtinPatches / he.wall;

report({
  bench: 'embed',
  threads: THREADS,
  resnet18: {
    images: resnetImages,
    imagesPerS: +oursEndToEnd.toFixed(1),
    imagesPerSSteady: +oursSteady.toFixed(1),
    peakRssMB: Math.round(full.peakRssMB),
  },
  torch: torch.reason
    ? { reason: torch.reason }
    : {
        version: torch.version,
        imagesPerS: +torch.endToEnd.toFixed(1),
        imagesPerSSteady: +torch.steady.toFixed(1),
        startupS: +torch.startupS.toFixed(2),
        peakRssMB: torch.peakRssMB,
      },
  ratioVsTorch: torch.reason ? null : +(oursEndToEnd / torch.endToEnd).toFixed(3),
  ratioVsTorchSteady: torch.reason ? null : +(oursSteady / torch.steady).toFixed(3),
  builtin: {
    patches: builtinPatches,
    patchesPerS: +heRate.toFixed(0),
    patchesPerCpuS: +(builtinPatches / he.cpu).toFixed(0),
    peakRssMB: Math.round(he.peakRssMB),
  },
  ratioBuiltinVs300: +(heRate / 300).toFixed(3),
});
