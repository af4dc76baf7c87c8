// A PNG of every slide's thumbnail with its true lesion boxes drawn, for a person to check a
// cohort at a glance: red boxes on train slides, orange on validation slides.
import { loadSharp } from './jpeg';
import type { Split } from './plan';
import type { RgbImage } from './slide-writer';
import type { Box } from './tissue-model';

export interface SheetEntry {
  fileName: string;
  split: Split;
  image: RgbImage;
  /** Level-0 boxes, and the level-0 size they refer to. */
  boxes: Box[];
  slideWidthPx: number;
  slideHeightPx: number;
}

const LABEL_PX = 34;
const GAP_PX = 12;

function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export async function contactSheet(entries: SheetEntry[], thumbHeightPx = 360, columns = 6): Promise<Buffer> {
  const sharp = await loadSharp();
  const thumbs = await Promise.all(
    entries.map(async (e) => {
      const widthPx = Math.max(1, Math.round((e.image.widthPx * thumbHeightPx) / e.image.heightPx));
      const png = await sharp(e.image.data, { raw: { width: e.image.widthPx, height: e.image.heightPx, channels: 3 } })
        .resize(widthPx, thumbHeightPx, { fit: 'fill' })
        .png()
        .toBuffer();
      return { png, widthPx };
    }),
  );
  const cols = Math.max(1, Math.min(columns, entries.length));
  const cellW = Math.max(...thumbs.map((t) => t.widthPx), 160) + GAP_PX;
  const cellH = thumbHeightPx + LABEL_PX + GAP_PX;
  const rows = Math.ceil(entries.length / cols);
  const width = cols * cellW + GAP_PX;
  const height = rows * cellH + GAP_PX;
  const svg: string[] = [];
  const composites: { input: Buffer; left: number; top: number }[] = [];
  entries.forEach((e, i) => {
    const left = GAP_PX + (i % cols) * cellW;
    const top = GAP_PX + Math.floor(i / cols) * cellH;
    composites.push({ input: thumbs[i].png, left, top });
    const sx = thumbs[i].widthPx / e.slideWidthPx;
    const sy = thumbHeightPx / e.slideHeightPx;
    const colour = e.split === 'train' ? '#e00000' : '#ff8c00';
    for (const b of e.boxes) {
      // At least a few pixels, so a small lesion stays visible on the sheet.
      const w = Math.max(4, (b.x2 - b.x1) * sx);
      const h = Math.max(4, (b.y2 - b.y1) * sy);
      svg.push(
        `<rect x="${(left + b.x1 * sx).toFixed(1)}" y="${(top + b.y1 * sy).toFixed(1)}" width="${w.toFixed(1)}" height="${h.toFixed(1)}" fill="none" stroke="${colour}" stroke-width="2"/>`,
      );
    }
    const lines = [e.fileName, `${e.split}, ${e.boxes.length} lesion${e.boxes.length === 1 ? '' : 's'}`];
    lines.forEach((t, k) => {
      svg.push(
        `<text x="${left}" y="${top + thumbHeightPx + 14 + 15 * k}" font-family="DejaVu Sans, sans-serif" font-size="12" fill="#222">${escapeXml(t)}</text>`,
      );
    });
  });
  const overlay = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${svg.join('')}</svg>`,
  );
  return sharp({ create: { width, height, channels: 3, background: { r: 255, g: 255, b: 255 } } })
    .composite([...composites, { input: overlay, left: 0, top: 0 }])
    .png()
    .toBuffer();
}
