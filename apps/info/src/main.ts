import { Option } from 'commander';
import { expectParam, runTool, SlidepipeError, writeStdout } from '@slidepipe/cli';
import { Slide } from '@slidepipe/openslide';
import { slideInfo, type Target } from './info';

interface Opts {
  mpp?: number;
  magnification?: number;
  slideMpp?: number;
  tilePx: number;
}

const positive = (flag: string) => (v: string) => {
  const n = Number(v);
  expectParam(Number.isFinite(n) && n > 0, flag, 'a positive number', v);
  return n;
};

void runTool<Opts>({
  name: 'info',
  summary:
    "A slide's facts as JSON: vendor, levels, every OpenSlide property, mpp and magnification (derived when the file lacks them), and the level and resampling wsi-tile would use for a target resolution.",
  args: '<slide>',
  shared: { output: false, force: false, provenance: false, threads: false },
  examples: [
    'wsi-info slide.svs                             # plan for 256 px patches at 0.5 µm/px',
    'wsi-info slide.tif --magnification 20 | jq .target',
    'wsi-info scan.tif --slide-mpp 0.25 --mpp 0.5   # a slide without resolution metadata',
  ],
  options: (cmd) => {
    cmd
      .addOption(new Option('--mpp <um>', 'target µm per pixel for the read plan (default 0.5)').argParser(positive('--mpp')).conflicts('magnification'))
      .addOption(new Option('--magnification <x>', 'target magnification relative to the objective power, e.g. 20').argParser(positive('--magnification')))
      .option('--slide-mpp <um>', "level-0 µm per pixel, replacing the slide's own", positive('--slide-mpp'))
      .option('--tile-px <px>', 'patch side in output pixels for the read plan', (v: string) => {
        const n = Number(v);
        expectParam(Number.isInteger(n) && n >= 1 && n <= 65535, '--tile-px', 'an integer in 1..65535', v);
        return n;
      }, 256);
  },
  async run(ctx, [path], opts) {
    const slide = await Slide.open(path, { mpp: opts.slideMpp });
    try {
      const asked = opts.mpp !== undefined || opts.magnification !== undefined;
      const target: Target = opts.magnification !== undefined ? { magnification: opts.magnification } : { mpp: opts.mpp ?? 0.5 };
      if (!slide.mpp) {
        const fix = 'give the level-0 resolution with --slide-mpp UM_PER_PX (e.g. 0.25 for a 40x scan)';
        // Asked for a plan that cannot be made: an error; otherwise the facts, with the plan left out.
        if (asked) throw new SlidepipeError('bad-input', slide.path, `the slide states no resolution, so no read plan: ${fix}`);
        ctx.log.warn(`${slide.path}: the slide states no resolution (no openslide.mpp-x, no usable TIFF resolution tags): ${fix}`);
      }
      await writeStdout(`${JSON.stringify(slideInfo(slide, target, opts.tilePx), null, 2)}\n`);
    } finally {
      await slide.close();
    }
  },
});
