// Text and PNG for wsi-heatmap: rank labels and the legend are SVG, drawn by sharp (librsvg), and
// composed with the picture into one PNG. sharp and OpenSlide are loaded only when drawing.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  heatColour,
  PREDICTED_COLOUR,
  TRUTH_COLOUR,
  type Colour,
  type Picture,
  type PredictedBox,
  type Rgb,
  boxPixels,
} from './heatmap';

export const LEGEND_PX = 64;
const FONT = 'DejaVu Sans, Liberation Sans, Arial, sans-serif';

const esc = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
const rgb = (c: Colour) => `rgb(${c[0]},${c[1]},${c[2]})`;

/** "#rank score" above each predicted box, with a white halo so it reads on any background. */
export function labelsSvg(pic: Picture, predicted: readonly PredictedBox[]): string {
  const size = Math.max(11, Math.round(pic.image.width / 90));
  const texts = predicted.map((b) => {
    const p = boxPixels(b, pic.scale);
    const y = p.y1 - pic.thickness - 3 >= size ? p.y1 - pic.thickness - 3 : p.y2 + pic.thickness + size + 1;
    return `<text x="${p.x1}" y="${y}">#${b.rank} ${b.score.toFixed(2)}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${pic.image.width}" height="${pic.image.height}">
<g font-family="${FONT}" font-size="${size}" font-weight="bold" fill="${rgb(PREDICTED_COLOUR)}" stroke="white" stroke-width="3" paint-order="stroke">${texts.join('')}</g></svg>`;
}

export interface LegendFacts {
  slideId: string;
  width0: number;
  height0: number;
  truth: number;
  predicted: number;
  patches: number;
}

/** The strip under the picture: what each colour means, the score ramp, and the slide. */
export function legendSvg(width: number, f: LegendFacts): string {
  const stops = [0, 0.25, 0.5, 0.75, 1].map((t) => `<stop offset="${t}" stop-color="${rgb(heatColour(t))}"/>`).join('');
  const barX = Math.max(430, width - 260);
  const barW = Math.min(200, width - barX - 20);
  const bar =
    barW > 40
      ? `<rect x="${barX}" y="30" width="${barW}" height="14" fill="url(#ramp)" stroke="#666"/>
<text x="${barX}" y="58" font-size="11">0</text><text x="${barX + barW}" y="58" font-size="11" text-anchor="end">1</text>
<text x="${barX + barW / 2}" y="24" font-size="12" text-anchor="middle">patch score</text>`
      : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${LEGEND_PX}">
<defs><linearGradient id="ramp">${stops}</linearGradient></defs>
<rect width="${width}" height="${LEGEND_PX}" fill="white"/>
<g font-family="${FONT}" font-size="13" fill="#222">
<text x="10" y="20" font-weight="bold">${esc(f.slideId)}</text>
<text x="10" y="38" font-size="11" fill="#555">${f.width0} x ${f.height0} level-0 px, ${f.patches} patches</text>
<rect x="10" y="46" width="22" height="12" fill="none" stroke="${rgb(TRUTH_COLOUR)}" stroke-width="3"/>
<text x="38" y="57">truth (${f.truth})</text>
<rect x="140" y="46" width="22" height="12" fill="none" stroke="${rgb(PREDICTED_COLOUR)}" stroke-width="3"/>
<text x="168" y="57">predicted (${f.predicted}): #rank score</text>
${bar}</g></svg>`;
}

/** The PNG: picture, labels on it, legend below. */
export async function composePng(
  pic: Picture,
  predicted: readonly PredictedBox[],
  facts: LegendFacts,
): Promise<Buffer> {
  const { default: sharp } = await import('sharp');
  const { width, height } = pic.image;
  return sharp({ create: { width, height: height + LEGEND_PX, channels: 3, background: { r: 255, g: 255, b: 255 } } })
    .composite([
      { input: Buffer.from(pic.image.data), raw: { width, height, channels: 3 }, top: 0, left: 0 },
      { input: Buffer.from(labelsSvg(pic, predicted)), top: 0, left: 0 },
      { input: Buffer.from(legendSvg(width, facts)), top: height, left: 0 },
    ])
    .png()
    .toBuffer();
}

const SLIDE_EXT = /\.(tiff?|svs|ndpi|mrxs|scn|vms|vmu|bif|czi|qptiff)$/i;

/** The slide file: the one given, else the path in the slide facts, else <dir>/<slide_id>.<ext>. */
export function findSlide(
  slideId: string,
  given: string | undefined,
  factsPath: string | undefined,
  dir: string | undefined,
): string | null {
  if (given) return given;
  if (factsPath && existsSync(factsPath)) return factsPath;
  if (dir && existsSync(dir)) {
    const hit = readdirSync(dir).find((f) => SLIDE_EXT.test(f) && f.replace(SLIDE_EXT, '') === slideId);
    if (hit) return join(dir, hit);
  }
  return null;
}

/**
 * The slide at canvas size: the smallest pyramid level that is at least as large, read whole and
 * resized; the slide's thumbnail when even that level is too big to read at once.
 */
export async function slideBackground(path: string, width: number, height: number): Promise<Rgb> {
  const [{ Slide, argbToRgb }, { default: sharp }] = await Promise.all([
    import('@slidepipe/openslide'),
    import('sharp'),
  ]);
  const slide = await Slide.open(path);
  try {
    let level = slide.levelCount - 1;
    while (level > 0 && (slide.levelDimensions[level].width < width || slide.levelDimensions[level].height < height))
      level--;
    const dims = slide.levelDimensions[level];
    let rgbData: Buffer;
    let w: number;
    let h: number;
    if (dims.width * dims.height <= 64 << 20) {
      const region = await slide.readRegion(0, 0, level, dims.width, dims.height);
      rgbData = argbToRgb(region);
      [w, h] = [dims.width, dims.height];
    } else if (slide.associatedImageNames.includes('thumbnail')) {
      const t = slide.readAssociatedImage('thumbnail');
      [rgbData, w, h] = [t.data, t.width, t.height];
    } else {
      throw new Error(
        `its smallest level (${dims.width} x ${dims.height} px) is too large to read whole, and it has no thumbnail`,
      );
    }
    const data = await sharp(rgbData, { raw: { width: w, height: h, channels: 3 } })
      .resize(width, height, { fit: 'fill' })
      .raw()
      .toBuffer();
    return { data: new Uint8Array(data), width, height };
  } finally {
    await slide.close();
  }
}
