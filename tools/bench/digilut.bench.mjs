// One DigiLut-size slide (wsi-synth --size digilut: about 80k x 190k px at 0.25 um/px) through
// tile -> label -> embed -> predict -> boxes, at stride 256 and 128, with the built-in backbone and
// with ResNet-18 (ONNX, seeded weights: the same work as trained ones): wall time, CPU time and peak
// RSS per stage. Goal (issue "cohort scale"): under 60 s on 2 cores with the built-in backbone,
// under 1 GB a process. The built-in heads are the demo's (the demo is run first when they are
// missing); the ResNet-18 heads are trained here on the demo's training patches.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fixtures } from './embed-setup.mjs';
import { measure, report, ROOT, scratch, tool } from './lib.mjs';

const GOAL_S = 60;
const dir = scratch('digilut', 2e9);
const models = join(ROOT, 'demo-out/models');
if (!existsSync(join(models, 'ensemble.json')))
  execFileSync('bash', [join(ROOT, 'tools/demo.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
if (!existsSync(join(dir, 'cohort/manifest.json'))) {
  measure(
    `${tool('synth')} -q -o cohort --force --size digilut --patients 1 --validation-fraction 0 --negative-fraction 0 --seed 3`,
    dir,
  );
}
const slide = join(
  dir,
  'cohort',
  readdirSync(join(dir, 'cohort')).find((f) => f.endsWith('_a.tif')),
);
const [tile, label, embed, predict, boxes, cat, info, sample, train] = [
  'tile',
  'label',
  'embed',
  'predict',
  'boxes',
  'cat',
  'info',
  'sample',
  'train',
].map(tool);
const level0 = JSON.parse(execFileSync('bash', ['-c', `${info} ${slide}`]).toString()).levels[0];
const truth = join(dir, 'cohort/train.csv');

// ResNet-18 heads: the demo's training sample embedded with ResNet-18, five folds.
const resnet = join(dir, 'resnet18.onnx');
if (!existsSync(resnet)) await fixtures('resnet18', resnet, 224);
const resnetModels = join(dir, 'models-resnet18');
if (!existsSync(join(resnetModels, 'ensemble.json'))) {
  const demo = join(ROOT, 'demo-out');
  measure(
    `${cat} -q ${demo}/patches/*.parquet | ${sample} -q --neg-per-pos 2 --splits ${demo}/splits.parquet --set train | ${embed} -q --model ${resnet} -o resnet-train.parquet --force && ${train} -q resnet-train.parquet --splits ${demo}/splits.parquet -o ${resnetModels} --force`,
    dir,
  );
}

const stages = ['tile', 'label', 'embed', 'predict', 'boxes'];
for (const [backbone, embedArgs, heads] of [
  ['built-in', '', models],
  ['resnet18', `--model ${resnet}`, resnetModels],
]) {
  for (const stride of [256, 128]) {
    const scores = `scores-${backbone}-${stride}.arrows`;
    const run = measure(
      `T ${tile} ${slide} -q --stride-px ${stride} | T ${label} -q --boxes ${truth} | T ${embed} -q ${embedArgs} | T ${predict} --models ${heads} -q | tee ${scores} | T ${boxes} -n 2 -q --force -o boxes-${backbone}-${stride}.parquet`,
      dir,
    );
    const patches = Number(
      execFileSync('bash', ['-c', `${cat} --count ${scores}`], { cwd: dir })
        .toString()
        .trim(),
    );
    report({
      bench: 'digilut',
      slide: `wsi-synth --size digilut: ${level0.width} x ${level0.height} px at ${level0.mpp} um/px`,
      stride,
      patches,
      backbone,
      wallS: +run.wall.toFixed(2),
      cpuS: +run.cpu.toFixed(2),
      goalS: GOAL_S,
      ratioToGoal: +(GOAL_S / run.wall).toFixed(2),
      patchesPerWallS: Math.round(patches / run.wall),
      peakRssMB: Math.round(Math.max(...run.procs.map((p) => p.rssMB))),
      perStage: Object.fromEntries(
        stages.map((s, i) => [s, { cpuS: +run.procs[i].cpu.toFixed(2), peakRssMB: Math.round(run.procs[i].rssMB) }]),
      ),
    });
  }
}
