// Patch-score streams simulated from synthetic truth, with DigiLut-like sizes, for wsi-boxes' and
// wsi-heatmap's tests. Level 0 is 0.25 um/px; patches are 256 px at
// 0.5 um/px, i.e. a 512 level-0 px footprint, on a 512 px grid or a 256 px one (overlapping).
// A patch's clean score follows the fraction of it the lesions cover, through a logistic curve
// centred on half cover (a classifier trained on "covered or not"); noise is added on top.
import { boxCoverage, type Box } from '@slidepipe/geometry';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RecordBatch } from 'apache-arrow';
import { openRecordSink } from '@slidepipe/io';
import { RECORDS, schemaFor, makeBatch, type StreamMeta } from '@slidepipe/schema';
import { mulberry32 } from './random';

/** Controlled noise: Gaussian on every score, isolated false-positive spikes, and false-positive blobs. */
export interface NoiseSpec {
  /** Standard deviation of the Gaussian added to every score (then clipped to [0, 1]). */
  sigma: number;
  /** Fraction of background patches given a high score U(0.6, 1) alone. */
  spikeRate: number;
  /** Fraction of background patches starting a 2 x 2 block of scores U(0.5, 0.9). */
  blobRate: number;
  /** Fraction of lesion patches whose score is halved (missed texture). */
  dropRate: number;
}

export const NOISE_LEVELS = {
  none: { sigma: 0, spikeRate: 0, blobRate: 0, dropRate: 0 },
  low: { sigma: 0.05, spikeRate: 0.002, blobRate: 0, dropRate: 0.05 },
  medium: { sigma: 0.1, spikeRate: 0.01, blobRate: 0.001, dropRate: 0.1 },
  high: { sigma: 0.15, spikeRate: 0.02, blobRate: 0.003, dropRate: 0.2 },
} as const satisfies Record<string, NoiseSpec>;
export type NoiseLevel = keyof typeof NOISE_LEVELS;

function gaussian(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/** Patch keys and scores as columns (wsi-boxes' PatchColumns' fields, which a library cannot import). */
export interface PatchTable {
  n: number;
  x0: Int32Array;
  y0: Int32Array;
  w0: Int32Array;
  h0: Int32Array;
  col: Int32Array;
  row: Int32Array;
  score: Float32Array;
}

/** What wsi-boxes' PatchColumns offers to fill it. */
export interface PatchSink {
  push(x0: number, y0: number, w0: number, h0: number, col: number, row: number, score: number): void;
}

export interface SimSlide {
  slideId: string;
  width0: number;
  height0: number;
  mpp0: number;
  tileW0: number;
  stride0: number;
  truth: Box[];
  patches: PatchTable;
}

export interface SimOptions {
  slideId: string;
  seed: number;
  noise: NoiseSpec;
  /** Level-0 slide size; default 30000 x 20000 px. */
  width0?: number;
  height0?: number;
  /** Grid step in level-0 px: 512 (patches side by side) or 256 (overlapping by half). */
  stride0?: number;
  /** Lesions on the slide (default 1 to 3 at random). */
  lesions?: number;
  /** Give these truth boxes instead of random ones. */
  truth?: Box[];
}

const TILE0 = 512;

/** Tissue: an ellipse filling most of the slide; patches are made only there. */
function inTissue(x: number, y: number, w: number, h: number): boolean {
  const u = (x - w / 2) / (w * 0.45);
  const v = (y - h / 2) / (h * 0.45);
  return u * u + v * v <= 1;
}

/** Lesion boxes of DigiLut size (log-normal, median 940 px, aspect 0.7-1.4), in tissue, well apart. */
export function randomTruth(r: () => number, width0: number, height0: number, n: number): Box[] {
  const out: Box[] = [];
  for (let tries = 0; out.length < n && tries < 1000; tries++) {
    const side = 940 * Math.exp(0.3 * gaussian(r));
    const aspect = 0.7 + 0.7 * r();
    const w = Math.round(side * Math.sqrt(aspect));
    const h = Math.round(side / Math.sqrt(aspect));
    const x1 = Math.round(r() * (width0 - w));
    const y1 = Math.round(r() * (height0 - h));
    const b = { x1, y1, x2: x1 + w, y2: y1 + h };
    if (!inTissue(x1, y1, width0, height0) || !inTissue(b.x2, b.y2, width0, height0)) continue;
    // 3 patches apart, so that no method could fairly be asked to split them.
    if (out.some((o) => b.x1 < o.x2 + 1536 && o.x1 < b.x2 + 1536 && b.y1 < o.y2 + 1536 && o.y1 < b.y2 + 1536)) continue;
    out.push(b);
  }
  return out;
}

export function simulateSlide(o: SimOptions): SimSlide {
  const r = mulberry32(o.seed);
  const width0 = o.width0 ?? 30000;
  const height0 = o.height0 ?? 20000;
  const stride0 = o.stride0 ?? 512;
  const truth = o.truth ?? randomTruth(r, width0, height0, o.lesions ?? 1 + Math.floor(r() * 3));
  const cols = Math.floor((width0 - TILE0) / stride0) + 1;
  const rows = Math.floor((height0 - TILE0) / stride0) + 1;
  const cap = cols * rows;
  const patches: PatchTable = {
    n: 0,
    x0: new Int32Array(cap),
    y0: new Int32Array(cap),
    w0: new Int32Array(cap),
    h0: new Int32Array(cap),
    col: new Int32Array(cap),
    row: new Int32Array(cap),
    score: new Float32Array(cap),
  };
  const push = (x0: number, y0: number, col: number, row: number, score: number) => {
    const i = patches.n++;
    patches.x0[i] = x0;
    patches.y0[i] = y0;
    patches.w0[i] = TILE0;
    patches.h0[i] = TILE0;
    patches.col[i] = col;
    patches.row[i] = row;
    patches.score[i] = score;
  };
  const at = new Map<number, number>();
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < cols; col++) {
      const x0 = col * stride0;
      const y0 = row * stride0;
      if (!inTissue(x0 + TILE0 / 2, y0 + TILE0 / 2, width0, height0)) continue;
      const cover = boxCoverage({ x1: x0, y1: y0, x2: x0 + TILE0, y2: y0 + TILE0 }, truth);
      let s = 1 / (1 + Math.exp(-12 * (cover - 0.5)));
      if (cover > 0 && r() < o.noise.dropRate) s *= 0.5;
      s += o.noise.sigma * gaussian(r);
      if (cover === 0 && r() < o.noise.spikeRate) s = Math.max(s, 0.6 + 0.4 * r());
      at.set(row * cols + col, patches.n);
      push(x0, y0, col, row, Math.min(1, Math.max(0, s)));
    }
  }
  // Blobs of false positives: a 2 x 2 block (in strides) of moderately high scores, off the lesions.
  for (let i = 0; i < patches.n; i++) {
    if (r() >= o.noise.blobRate) continue;
    const [c, rw] = [patches.col[i], patches.row[i]];
    const block = [0, 1]
      .flatMap((dr) => [0, 1].map((dc) => at.get((rw + dr) * cols + c + dc)))
      .filter((j): j is number => j !== undefined);
    if (
      block.some(
        (j) =>
          boxCoverage(
            { x1: patches.x0[j], y1: patches.y0[j], x2: patches.x0[j] + TILE0, y2: patches.y0[j] + TILE0 },
            truth,
          ) > 0,
      )
    )
      continue;
    for (const j of block) patches.score[j] = Math.max(patches.score[j], 0.5 + 0.4 * r());
  }
  const n = patches.n;
  const used = {
    n,
    x0: patches.x0.subarray(0, n),
    y0: patches.y0.subarray(0, n),
    w0: patches.w0.subarray(0, n),
    h0: patches.h0.subarray(0, n),
    col: patches.col.subarray(0, n),
    row: patches.row.subarray(0, n),
    score: patches.score.subarray(0, n),
  };
  return { slideId: o.slideId, width0, height0, mpp0: 0.25, tileW0: TILE0, stride0, truth, patches: used };
}

/** The false positives that tissue makes and noise does not: what wsi-boxes' methods must see through. */
export interface StructureSpec {
  /** Lesions that sit inside a medium-score plateau (0.5-0.7) several times their size. */
  plateauAround: number;
  /** Plateaus on their own, away from lesions. */
  plateauAlone: number;
  /** Groups of two or three lesions 0-600 level-0 px apart (each lesion counts in `lesions`). */
  adjacentGroups: number;
}

export interface StructuredSimOptions {
  slideId: string;
  seed: number;
  /** Single lesions besides the adjacent groups. */
  lesions: number;
  structure: StructureSpec;
  /** Gaussian sigma on every score; default 0.05. */
  sigma?: number;
  /** Isolated high patches; default 0.003 of background patches. */
  spikeRate?: number;
  width0?: number;
  height0?: number;
  /** 256 (overlapping, as held-out slides are tiled) or 512. */
  stride0?: number;
}

/** A DigiLut-sized lesion box (widths p10/p50/p90 about 517/943/1855 level-0 px, aspect 0.6-1.6). */
function digilutLesion(r: () => number, cx: number, cy: number): Box {
  const side = 943 * Math.exp(0.5 * gaussian(r));
  const aspect = Math.exp(0.3 * (2 * r() - 1) * 1.6);
  const w = Math.max(200, Math.round(side * Math.sqrt(aspect)));
  const h = Math.max(200, Math.round(side / Math.sqrt(aspect)));
  return {
    x1: Math.round(cx - w / 2),
    y1: Math.round(cy - h / 2),
    x2: Math.round(cx + w / 2),
    y2: Math.round(cy + h / 2),
  };
}

/**
 * A slide whose scores carry structured false positives: lesions (peak 0.8-1.0, following the
 * covered fraction of each patch) inside medium-score plateaus, plateaus alone, and lesions two or
 * three together; Gaussian noise and isolated spikes on top. Seeded: the same options give the
 * same slide.
 */
export function simulateStructuredSlide(o: StructuredSimOptions): SimSlide {
  const r = mulberry32(o.seed);
  const width0 = o.width0 ?? 20000;
  const height0 = o.height0 ?? 14000;
  const stride0 = o.stride0 ?? 256;
  const sigma = o.sigma ?? 0.05;
  const spikeRate = o.spikeRate ?? 0.003;
  const truth: Box[] = [];
  const peakOf: number[] = [];
  const plateaus: { cx: number; cy: number; rx: number; ry: number; level: number }[] = [];
  const taken: Box[] = [];
  const free = (b: Box, margin: number) =>
    inTissue(b.x1, b.y1, width0, height0) &&
    inTissue(b.x2, b.y2, width0, height0) &&
    !taken.some((t) => b.x1 < t.x2 + margin && t.x1 < b.x2 + margin && b.y1 < t.y2 + margin && t.y1 < b.y2 + margin);
  const place = (w: number, h: number): { cx: number; cy: number } | null => {
    for (let tries = 0; tries < 200; tries++) {
      const cx = w / 2 + r() * (width0 - w);
      const cy = h / 2 + r() * (height0 - h);
      const b = { x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2 };
      if (free(b, 1024)) {
        taken.push(b);
        return { cx, cy };
      }
    }
    return null;
  };
  const addLesion = (b: Box) => {
    truth.push(b);
    peakOf.push(0.8 + 0.2 * r());
  };
  const plateau = (cx: number, cy: number, rx: number, ry: number) =>
    plateaus.push({ cx, cy, rx, ry, level: 0.5 + 0.15 * r() });
  for (let k = 0; k < o.lesions; k++) {
    const around = k < o.structure.plateauAround;
    const span = around ? 6000 : 2400;
    const at = place(span, span);
    if (!at) continue;
    const lesion = digilutLesion(r, at.cx, at.cy);
    addLesion(lesion);
    // The lesion off-centre in a plateau 2.5-5 times its size.
    if (around) {
      const lw = lesion.x2 - lesion.x1;
      const lh = lesion.y2 - lesion.y1;
      const f = 1.25 + 1.25 * r();
      plateau(at.cx + (r() - 0.5) * lw, at.cy + (r() - 0.5) * lh, Math.max(1200, f * lw), Math.max(1200, f * lh));
    }
  }
  for (let g = 0; g < o.structure.adjacentGroups; g++) {
    const at = place(5000, 5000);
    if (!at) continue;
    const n = 2 + Math.floor(r() * 2);
    const first = digilutLesion(r, at.cx - 1000, at.cy);
    addLesion(first);
    let prev = first;
    for (let k = 1; k < n; k++) {
      const gap = Math.round(r() * 600);
      const side = digilutLesion(r, 0, 0);
      const w = side.x2 - side.x1;
      const h = side.y2 - side.y1;
      // Right of the previous one or below it, roughly aligned.
      const right = r() < 0.5;
      const x1 = right ? prev.x2 + gap : prev.x1 + Math.round((r() - 0.5) * 300);
      const y1 = right ? prev.y1 + Math.round((r() - 0.5) * 300) : prev.y2 + gap;
      const b = { x1, y1, x2: x1 + w, y2: y1 + h };
      if (!inTissue(b.x2, b.y2, width0, height0)) break;
      addLesion(b);
      prev = b;
    }
    // Medium scores between them, as the stroma between close lesions.
    if (r() < 0.5) plateau(at.cx, at.cy, 2200, 2200);
  }
  for (let k = 0; k < o.structure.plateauAlone; k++) {
    const at = place(5000, 5000);
    if (at) plateau(at.cx, at.cy, 1000 + 1500 * r(), 1000 + 1500 * r());
  }
  const cols = Math.floor((width0 - TILE0) / stride0) + 1;
  const rows = Math.floor((height0 - TILE0) / stride0) + 1;
  const cap = cols * rows;
  const patches: PatchTable = {
    n: 0,
    x0: new Int32Array(cap),
    y0: new Int32Array(cap),
    w0: new Int32Array(cap),
    h0: new Int32Array(cap),
    col: new Int32Array(cap),
    row: new Int32Array(cap),
    score: new Float32Array(cap),
  };
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < cols; col++) {
      const x0 = col * stride0;
      const y0 = row * stride0;
      const cx = x0 + TILE0 / 2;
      const cy = y0 + TILE0 / 2;
      if (!inTissue(cx, cy, width0, height0)) continue;
      const foot = { x1: x0, y1: y0, x2: x0 + TILE0, y2: y0 + TILE0 };
      // The tissue's own score: 0.1, or a plateau's level (soft-edged, fading over its outer fifth).
      let ground = 0.1;
      for (const p of plateaus) {
        const u = (cx - p.cx) / p.rx;
        const v = (cy - p.cy) / p.ry;
        const inner = Math.min(1, Math.max(0, (1 - Math.sqrt(u * u + v * v)) * 5));
        ground = Math.max(ground, 0.1 + (p.level - 0.1) * inner);
      }
      // A patch part lesion, part tissue scores between the two, half-way at half cover.
      let s = ground;
      truth.forEach((b, k) => {
        const cover = boxCoverage(foot, [b]);
        if (cover > 0) s = Math.max(s, ground + (peakOf[k] - ground) / (1 + Math.exp(-12 * (cover - 0.5))));
      });
      s += sigma * gaussian(r);
      if (s < 0.3 && r() < spikeRate) s = 0.6 + 0.4 * r();
      const i = patches.n++;
      patches.x0[i] = x0;
      patches.y0[i] = y0;
      patches.w0[i] = TILE0;
      patches.h0[i] = TILE0;
      patches.col[i] = col;
      patches.row[i] = row;
      patches.score[i] = Math.min(1, Math.max(0, s));
    }
  }
  const n = patches.n;
  const used: PatchTable = {
    n,
    x0: patches.x0.slice(0, n),
    y0: patches.y0.slice(0, n),
    w0: patches.w0.slice(0, n),
    h0: patches.h0.slice(0, n),
    col: patches.col.slice(0, n),
    row: patches.row.slice(0, n),
    score: patches.score.slice(0, n),
  };
  const clamped = truth.map((b) => ({
    x1: Math.max(0, b.x1),
    y1: Math.max(0, b.y1),
    x2: Math.min(width0, b.x2),
    y2: Math.min(height0, b.y2),
  }));
  return { slideId: o.slideId, width0, height0, mpp0: 0.25, tileW0: TILE0, stride0, truth: clamped, patches: used };
}

/** The slide as a patch-score stream (metadata and batches of at most `batchRows` rows). */
export function simStream(s: SimSlide, batchRows = 4096): { meta: StreamMeta; batches: RecordBatch[] } {
  const meta: StreamMeta = {
    record: 'patch-score',
    version: RECORDS['patch-score'].version,
    slide: {
      slide_id: s.slideId,
      patient_id: s.slideId.replace(/_[ab]$/, ''),
      width0: s.width0,
      height0: s.height0,
      mpp0: s.mpp0,
    },
    facts: { tile_px: 256, stride_px: (s.stride0 * s.mpp0) / 0.5, mpp: 0.5, folds: 1 },
    provenance: [
      { tool: 'simulate', version: '0', argv: [], params: { stride0: s.stride0 }, time: '1970-01-01T00:00:00.000Z' },
    ],
  };
  const schema = schemaFor(meta);
  const p = s.patches;
  const batches: RecordBatch[] = [];
  for (let a = 0; a < p.n; a += batchRows) {
    const b = Math.min(p.n, a + batchRows);
    const n = b - a;
    batches.push(
      makeBatch(schema, {
        slide_id: Array.from({ length: n }, () => s.slideId),
        x0: p.x0.slice(a, b),
        y0: p.y0.slice(a, b),
        w0: p.w0.slice(a, b),
        h0: p.h0.slice(a, b),
        col: p.col.slice(a, b),
        row: p.row.slice(a, b),
        label: Array.from({ length: n }, () => null),
        score: p.score.slice(a, b),
        fold_scores: Array.from({ length: n }, (_, k) => Float32Array.of(p.score[a + k])),
      }),
    );
  }
  return { meta, batches };
}

/** DigiLut train.csv text for slides' truth boxes. */
export function trainCsv(slides: readonly SimSlide[]): string {
  const rows = slides.flatMap((s) =>
    s.truth.map((b) => [`${s.slideId}.tif`, b.x1, b.x2, b.y1, b.y2, s.width0, s.height0].join(',')),
  );
  return ['filename,x1,x2,y1,y2,max_x,max_y', ...rows].join('\n') + '\n';
}

/** DigiLut validation.csv text: one row per truth box, trustii_ids numbered from `firstId`. */
export function validationCsv(slides: readonly SimSlide[], firstId = 1): string {
  let id = firstId;
  const rows = slides.flatMap((s) => s.truth.map(() => [`${s.slideId}.tif`, s.width0, s.height0, id++].join(',')));
  return ['filename,max_x,max_y,trustii_id', ...rows].join('\n') + '\n';
}

/** Writes `scores.arrows` (one stream per slide), `train.csv` and `validation.csv` into `dir`. */
export async function writeSimFiles(
  dir: string,
  slides: readonly SimSlide[],
  scoresName = 'scores.arrows',
): Promise<void> {
  const sink = openRecordSink(join(dir, scoresName), { force: true });
  for (const s of slides) {
    const { meta, batches } = simStream(s);
    await sink.begin(schemaFor(meta), meta);
    for (const b of batches) await sink.write(b);
    await sink.end();
  }
  await sink.close();
  writeFileSync(join(dir, 'train.csv'), trainCsv(slides));
  writeFileSync(join(dir, 'validation.csv'), validationCsv(slides));
}

type GridClass<P, G> = new (slideId: string, p: P, width0: number, height0: number) => G;

/**
 * Grids for wsi-boxes' tests, built with its own PatchColumns and ScoreGrid classes (handed in,
 * as a library cannot import an app): `scoreGrids(PatchColumns, ScoreGrid)`.
 */
export function scoreGrids<P extends PatchSink, G>(Columns: new () => P, Grid: GridClass<P, G>) {
  /** Rows of scores (null = no patch) on a grid of `stride0` with `tile0` footprints, from (0, 0). */
  function gridOf(scores: (number | null)[][], stride0 = 512, tile0 = 512, size0 = 100_000): G {
    const p = new Columns();
    scores.forEach((line, row) =>
      line.forEach((s, col) => {
        if (s !== null) p.push(col * stride0, row * stride0, tile0, tile0, col, row, s);
      }),
    );
    return new Grid('t', p, size0, size0);
  }

  /** A grid from a picture of scores: "." = 0.05, "#" = 0.95, digits d = d / 10, " " = no patch. */
  function gridFromPicture(picture: string, stride0 = 512, tile0 = 512, size0 = 100_000): G {
    const lines = picture.split('\n').filter((l) => l.trim() !== '');
    const indent = Math.min(...lines.map((l) => l.length - l.trimStart().length));
    const cell = (ch: string) => (ch === ' ' ? null : ch === '.' ? 0.05 : ch === '#' ? 0.95 : Number(ch) / 10);
    return gridOf(
      lines.map((l) => [...l.slice(indent)].map(cell)),
      stride0,
      tile0,
      size0,
    );
  }

  /** A simulated slide's grid. */
  function simGrid(s: SimSlide): G {
    const c = new Columns();
    const p = s.patches;
    for (let i = 0; i < p.n; i++) c.push(p.x0[i], p.y0[i], p.w0[i], p.h0[i], p.col[i], p.row[i], p.score[i]);
    return new Grid(s.slideId, c, s.width0, s.height0);
  }

  return { gridOf, gridFromPicture, simGrid };
}
