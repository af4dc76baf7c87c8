// wsi-heatmap through real pipes on a real slide (CMU-1-Small-Region.svs) with scores simulated
// for two lesions: the PNG's size, the slide under the heat map, the box colours where the boxes
// are, the legend; and a grey canvas and one file per slide without a slide file.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { NOISE_LEVELS, simulateSlide, writeSimFiles } from '@slidepipe/testing';
import { BLANK_COLOUR, PREDICTED_COLOUR, TRUTH_COLOUR } from '../apps/heatmap/src/heatmap';
import { LEGEND_PX } from '../apps/heatmap/src/render';
import { sh, tmp, tool } from './helpers';
import { SVS } from '@slidepipe/fixtures';

const SLIDE = SVS;
const WIDTH0 = 2220;
const HEIGHT0 = 2967;
const LESIONS = [
  { x1: 500, y1: 700, x2: 1440, y2: 1640 },
  { x1: 1300, y1: 2000, x2: 1900, y2: 2600 },
];

async function pixels(path: string) {
  const { data, info } = await sharp(readFileSync(path)).raw().toBuffer({ resolveWithObject: true });
  const at = (x: number, y: number) =>
    Array.from(data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3));
  return { info, at };
}

const same = (a: number[], b: readonly number[]) => a.every((v, i) => v === b[i]);

describe('wsi-heatmap', () => {
  let dir: string;

  beforeAll(async () => {
    tool('heatmap');
    tool('boxes');
    dir = tmp('slidepipe-heatmap-');
    const cmu = simulateSlide({
      slideId: 'CMU-1-Small-Region',
      seed: 3,
      noise: NOISE_LEVELS.low,
      stride0: 256,
      width0: WIDTH0,
      height0: HEIGHT0,
      truth: LESIONS,
    });
    await writeSimFiles(dir, [cmu]);
  });

  it('draws the slide, the heat map, true and predicted boxes in their colours, and a legend', async () => {
    const r = sh(
      `wsi-boxes scores.arrows -n 2 -o boxes.arrows && wsi-heatmap scores.arrows --slide ${SLIDE} --boxes boxes.arrows --truth train.csv --width-px 1000 -o heat.png && wsi-cat --jsonl boxes.arrows`,
      { cwd: dir },
    );
    expect(r.status, r.stderr).toBe(0);
    const predicted = r.stdout
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const { info, at } = await pixels(join(dir, 'heat.png'));
    const scale = 1000 / WIDTH0;
    const height = Math.round(HEIGHT0 * scale);
    expect([info.width, info.height]).toEqual([1000, height + LEGEND_PX]);
    // Truth strokes lie just outside the box, predictions just inside: sample mid-edges.
    for (const t of LESIONS) {
      const x = Math.floor(t.x1 * scale) - 1;
      const y = Math.floor(((t.y1 + t.y2) / 2) * scale);
      expect(at(x, y), `truth left edge of ${JSON.stringify(t)}`).toEqual([...TRUTH_COLOUR]);
      expect(at(Math.ceil(t.x2 * scale), y), 'truth right edge').toEqual([...TRUTH_COLOUR]);
    }
    for (const p of predicted.filter((b) => !b.padded)) {
      const y = Math.floor(((p.y1 + p.y2) / 2) * scale);
      const x = Math.floor(p.x1 * scale);
      // Unless a truth stroke landed on it (boxes within a pixel or two of each other).
      expect(
        same(at(x, y), PREDICTED_COLOUR) || same(at(x, y), TRUTH_COLOUR),
        `predicted left edge ${JSON.stringify(p)}`,
      ).toBe(true);
      expect(same(at(x + 1, y), PREDICTED_COLOUR) || same(at(x + 1, y), TRUTH_COLOUR)).toBe(true);
    }
    expect(predicted.filter((b) => !b.padded)).toHaveLength(2);
    // Inside the first lesion the heat map is red over the slide; far from lesions the slide shows through.
    const [cr, cg, cb] = at(Math.round(970 * scale), Math.round(1170 * scale));
    expect(cr - Math.max(cg, cb)).toBeGreaterThan(60);
    // The slide is there: tissue is not the grey canvas, and differs across the picture.
    const samples = [at(300, 900), at(250, 1000), at(200, 1100), at(700, 150)];
    expect(samples.some((s) => !same(s, BLANK_COLOUR))).toBe(true);
    expect(new Set(samples.map((s) => s.join())).size).toBeGreaterThan(1);
    // The legend strip: white with dark text and the colour swatches.
    let dark = 0;
    let green = 0;
    for (let y = height; y < info.height; y++) {
      for (let x = 0; x < 400; x++) {
        const p = at(x, y);
        if (p[0] < 80 && p[1] < 80 && p[2] < 80) dark++;
        if (same(p, TRUTH_COLOUR)) green++;
      }
    }
    expect(dark).toBeGreaterThan(100);
    expect(green).toBeGreaterThan(20);
    expect(at(999, height + 2)).toEqual([255, 255, 255]);
  });

  it('draws on a grey canvas without a slide file, one PNG per slide with {slide}', async () => {
    const d = tmp('slidepipe-heatmap2-');
    const sims = [0, 1].map((i) =>
      simulateSlide({
        slideId: `g${i}_a`,
        seed: 20 + i,
        noise: NOISE_LEVELS.medium,
        stride0: 512,
        width0: 12000,
        height0: 8000,
        lesions: 1,
      }),
    );
    await writeSimFiles(d, sims);
    const r = sh("wsi-heatmap scores.arrows --truth train.csv --width-px 300 -o 'h-{slide}.png'", { cwd: d });
    expect(r.status, r.stderr).toBe(0);
    expect(
      readdirSync(d)
        .filter((f) => f.endsWith('.png'))
        .sort(),
    ).toEqual(['h-g0_a.png', 'h-g1_a.png']);
    const { info, at } = await pixels(join(d, 'h-g0_a.png'));
    expect([info.width, info.height]).toEqual([300, 200 + LEGEND_PX]);
    expect(at(2, 2)).toEqual([...BLANK_COLOUR]);
    const one = sh('wsi-heatmap scores.arrows -o one.png', { cwd: d });
    expect(one.status).toBe(64);
    expect(one.stderr).toMatch(/^wsi-heatmap: -o: several slides: put \{slide\} in the path$/m);
    expect(readdirSync(d).some((f) => f.includes('one.png'))).toBe(false);
  });
});
