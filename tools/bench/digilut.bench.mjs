// One DigiLut-size slide (wsi-synth --size digilut: about 86k x 197k px at 0.25 um/px) through
// tile -> embed (built-in backbone) -> predict -> boxes, at stride 256 and 128: wall time, CPU time
// and peak RSS per stage. Goal (issue "cohort scale"): under 60 s on 2 cores, under 1 GB a process.
// The heads are the demo's (built-in backbone); the demo is run first when they are missing.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { measure, report, ROOT, scratch, tool } from './lib.mjs';

const GOAL_S = 60;
const dir = scratch('digilut', 2e9);
const models = join(ROOT, 'demo-out/models');
if (!existsSync(join(models, 'ensemble.json'))) execFileSync('bash', [join(ROOT, 'tools/demo.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
if (!existsSync(join(dir, 'cohort/manifest.json'))) {
  measure(`${tool('synth')} -q -o cohort --force --size digilut --patients 1 --validation-fraction 0 --negative-fraction 0 --seed 3`, dir);
}
const slide = join(dir, 'cohort', readdirSync(join(dir, 'cohort')).find((f) => f.endsWith('_a.tif')));
const [tile, embed, predict, boxes, cat, info] = ['tile', 'embed', 'predict', 'boxes', 'cat', 'info'].map(tool);
const level0 = JSON.parse(execFileSync('bash', ['-c', `${info} ${slide}`]).toString()).levels[0];

const stages = ['tile', 'embed', 'predict', 'boxes'];
for (const stride of [256, 128]) {
  const run = measure(
    `T ${tile} ${slide} -q --stride-px ${stride} | T ${embed} -q | T ${predict} --models ${models} -q | tee scores-${stride}.arrows | T ${boxes} -n 2 -q --force -o boxes-${stride}.parquet`,
    dir,
  );
  const patches = Number(execFileSync('bash', ['-c', `${cat} --count scores-${stride}.arrows`], { cwd: dir }).toString().trim());
  report({
    bench: 'digilut',
    slide: `wsi-synth --size digilut: ${level0.width} x ${level0.height} px at ${level0.mpp} um/px`,
    stride,
    patches,
    backbone: 'built-in',
    wallS: +run.wall.toFixed(2),
    cpuS: +run.cpu.toFixed(2),
    goalS: GOAL_S,
    ratioToGoal: +(GOAL_S / run.wall).toFixed(2),
    patchesPerWallS: Math.round(patches / run.wall),
    perStage: Object.fromEntries(stages.map((s, i) => [s, { cpuS: +run.procs[i].cpu.toFixed(2), peakRssMB: Math.round(run.procs[i].rssMB) }])),
  });
}
