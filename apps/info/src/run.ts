// wsi-info's run: the slide's facts and read plan as JSON on stdout.
import { SlidepipeError, writeStdout, type ToolContext } from '@slidepipe/cli';
import { Slide } from '@slidepipe/openslide';
import { slideInfo, type Target } from './info';

/** The flags, parsed. */
export interface InfoFlags {
  mpp?: number;
  magnification?: number;
  slideMpp?: number;
  tilePx: number;
}

export async function run(ctx: ToolContext, [path]: string[], f: InfoFlags): Promise<void> {
  const slide = await Slide.open(path, { mpp: f.slideMpp });
  try {
    const asked = f.mpp !== undefined || f.magnification !== undefined;
    const target: Target = f.magnification !== undefined ? { magnification: f.magnification } : { mpp: f.mpp ?? 0.5 };
    if (!slide.mpp) {
      const fix = 'give the level-0 resolution with --slide-mpp UM_PER_PX (e.g. 0.25 for a 40x scan)';
      // Asked for a plan that cannot be made: an error; otherwise the facts, with the plan left out.
      if (asked)
        throw new SlidepipeError('bad-input', slide.path, `the slide states no resolution, so no read plan: ${fix}`);
      ctx.log.warn(
        `${slide.path}: the slide states no resolution (no openslide.mpp-x, no usable TIFF resolution tags): ${fix}`,
      );
    }
    await writeStdout(`${JSON.stringify(slideInfo(slide, target, f.tilePx), null, 2)}\n`);
  } finally {
    await slide.close();
  }
}
