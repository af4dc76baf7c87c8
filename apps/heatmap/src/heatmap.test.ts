import { describe, expect, it } from 'vitest';
import {
  blankCanvas,
  BLANK_COLOUR,
  canvasSize,
  drawHeat,
  drawPicture,
  heatAlpha,
  heatColour,
  PREDICTED_COLOUR,
  strokeBox,
  TRUTH_COLOUR,
  type Rgb,
} from './heatmap';
import { legendSvg } from './render';

const px = (img: Rgb, x: number, y: number) =>
  Array.from(img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3));

describe('heat map drawing', () => {
  it('ramps from pale yellow to dark red, more opaque with the score', () => {
    expect(heatColour(0)).toEqual([255, 255, 178]);
    expect(heatColour(1)).toEqual([189, 0, 38]);
    expect(heatColour(2)).toEqual([189, 0, 38]);
    expect(heatAlpha(0, 0.6)).toBeCloseTo(0.06, 9);
    expect(heatAlpha(1, 0.6)).toBeCloseTo(0.6, 9);
  });

  it('averages overlapping patches and leaves unscored pixels alone', () => {
    const img = blankCanvas(40, 20);
    // Scale 0.01: patches of 1000 level-0 px are 10 px; the second overlaps the first by half.
    drawHeat(img, 0.01, { n: 2, x0: [0, 500], y0: [0, 0], w0: [1000, 1000], h0: [1000, 1000], score: [1, 0] }, 1);
    const blend = (s: number) =>
      heatColour(s).map((c, i) => Math.round(BLANK_COLOUR[i] * (1 - heatAlpha(s, 1)) + c * heatAlpha(s, 1)));
    expect(px(img, 2, 2)).toEqual(blend(1));
    expect(px(img, 7, 2)).toEqual(blend(0.5));
    expect(px(img, 12, 2)).toEqual(blend(0));
    expect(px(img, 30, 15)).toEqual([...BLANK_COLOUR]);
  });

  it('strokes truth outside and predictions inside the same box, so both show', () => {
    const img = blankCanvas(50, 50);
    const box = { x1: 1000, y1: 1000, x2: 3000, y2: 3000 };
    strokeBox(img, box, 0.01, PREDICTED_COLOUR, 2, 'inside');
    strokeBox(img, box, 0.01, TRUTH_COLOUR, 2, 'outside');
    // The box covers pixels 10..29.
    expect([8, 9].map((x) => px(img, x, 20))).toEqual([[...TRUTH_COLOUR], [...TRUTH_COLOUR]]);
    expect([10, 11].map((x) => px(img, x, 20))).toEqual([[...PREDICTED_COLOUR], [...PREDICTED_COLOUR]]);
    expect(px(img, 12, 20)).toEqual([...BLANK_COLOUR]);
    expect([28, 29, 30, 31, 32].map((x) => px(img, x, 20))).toEqual([
      [...PREDICTED_COLOUR],
      [...PREDICTED_COLOUR],
      [...TRUTH_COLOUR],
      [...TRUTH_COLOUR],
      [...BLANK_COLOUR],
    ]);
  });

  it('clips strokes at the canvas edge', () => {
    const { width, height, scale } = canvasSize(5000, 2500, 100);
    expect([width, height, scale]).toEqual([100, 50, 0.02]);
    const pic = drawPicture(
      blankCanvas(width, height),
      scale,
      { n: 0, x0: [], y0: [], w0: [], h0: [], score: [] },
      [{ x1: 0, y1: 0, x2: 5000, y2: 2500 }],
      [],
      0.6,
    );
    expect(px(pic.image, 0, 0)).toEqual([...BLANK_COLOUR]);
    expect(pic.image.data.length).toBe(100 * 50 * 3);
  });

  it('writes the slide id into the legend as text, escaped', () => {
    const svg = legendSvg(600, { slideId: 'a<b>&c', width0: 10, height0: 20, truth: 1, predicted: 2, patches: 3 });
    expect(svg).toContain('a&#60;b&#62;&#38;c');
    expect(svg).toContain('truth (1)');
    expect(svg).toContain('predicted (2)');
  });
});
