// Synthetic H&E-like patches for tests and benchmarks (never bundled into a tool): pink stroma with
// fibres and elongated purple nuclei; a "lesion" patch adds many small, round, dark nuclei and
// lightens the stroma between them, so its mean colour stays close and mostly texture tells it
// apart (the same idea as wsi-synth's lymphocytic infiltrates).
import { encodeJpeg } from '@slidepipe/jpeg';
import { makeBatch, schemaFor, type StreamMeta } from '@slidepipe/schema';
import { openRecordSink } from '@slidepipe/io';
import { mulberry32 } from './random';

type Rgb = [number, number, number];

function blend(
  img: Float32Array,
  px: number,
  cx: number,
  cy: number,
  a: number,
  b: number,
  angle: number,
  colour: Rgb,
  alpha: number,
): void {
  const r = Math.ceil(Math.max(a, b)) + 1;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  for (let y = Math.max(0, Math.floor(cy - r)); y <= Math.min(px - 1, Math.ceil(cy + r)); y++) {
    for (let x = Math.max(0, Math.floor(cx - r)); x <= Math.min(px - 1, Math.ceil(cx + r)); x++) {
      const dx = x - cx;
      const dy = y - cy;
      const u = (dx * cos + dy * sin) / a;
      const v = (-dx * sin + dy * cos) / b;
      const d = u * u + v * v;
      if (d > 1) continue;
      // Soft edge over the outer fifth of the radius.
      const o = alpha * Math.min(1, (1 - Math.sqrt(d)) / 0.2);
      const i = (y * px + x) * 3;
      for (let c = 0; c < 3; c++) img[i + c] = img[i + c] * (1 - o) + colour[c] * o;
    }
  }
}

export interface PatchStyle {
  /** Slide-level stain tint, multiplied into every colour (about 1 +- 0.05 per channel). */
  tint: Rgb;
}

export function randomStyle(rand: () => number): PatchStyle {
  return { tint: [0.95 + 0.1 * rand(), 0.95 + 0.1 * rand(), 0.95 + 0.1 * rand()] };
}

/**
 * One patch as interleaved RGB bytes. `strength` (0..1] scales how far a lesion patch departs
 * from normal tissue (its lymphocyte count and stroma lightening): low values make a harder task.
 */
export function paintHePatch(
  rand: () => number,
  px: number,
  lesion: boolean,
  style: PatchStyle = { tint: [1, 1, 1] },
  strength = 1,
): Uint8Array {
  const img = new Float32Array(px * px * 3);
  const s0 = lesion ? strength : 0;
  const stroma: Rgb = [228 + 10 * s0, 160 + 22 * s0, 200 + 14 * s0];
  // Fibres: a few sinusoidal bands of darker pink.
  const freq = 0.05 + 0.05 * rand();
  const phase = rand() * 6.28;
  const dir = rand() * Math.PI;
  for (let y = 0; y < px; y++) {
    for (let x = 0; x < px; x++) {
      const s = 0.5 + 0.5 * Math.sin(freq * (x * Math.cos(dir) + y * Math.sin(dir)) + phase);
      const k = 1 - 0.06 * s + 0.03 * (rand() - 0.5);
      const i = (y * px + x) * 3;
      for (let c = 0; c < 3; c++) img[i + c] = stroma[c] * k;
    }
  }
  const area = px * px;
  const normal = Math.round((area / 4000) * (0.7 + 0.6 * rand()) * (1 - 0.5 * s0));
  for (let k = 0; k < normal; k++) {
    const a = 5 + 4 * rand();
    blend(img, px, rand() * px, rand() * px, a, a * (0.4 + 0.2 * rand()), rand() * Math.PI, [95, 65, 140], 0.8);
  }
  if (lesion) {
    const lymph = Math.round((area / 250) * (0.7 + 0.6 * rand()) * strength);
    for (let k = 0; k < lymph; k++) {
      const r = 2.2 + 1 * rand();
      blend(img, px, rand() * px, rand() * px, r, r * (0.9 + 0.1 * rand()), rand() * Math.PI, [60, 40, 115], 0.92);
    }
  }
  const out = new Uint8Array(px * px * 3);
  for (let i = 0; i < out.length; i++) {
    const v = img[i] * style.tint[i % 3] + 6 * (rand() - 0.5);
    out[i] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
  }
  return out;
}

export interface CohortOptions {
  patients: number;
  /** Slides per patient (DigiLut: 2, <patient>_a and <patient>_b). */
  slidesPerPatient?: number;
  patchesPerSlide: number;
  positiveShare: number;
  px: number;
  seed: number;
  /** Folds for the split table: patient p gets fold p % folds; a share of patients can be test. */
  folds: number;
  /** How distinct lesion patches are (see paintHePatch); default 1. */
  strength?: number;
  testPatients?: number;
}

export interface CohortFiles {
  slides: string[];
  /** One labelled-patch Arrow stream per slide. */
  patchFiles: string[];
  splitsFile: string;
}

/** Writes patches/<slide>.arrows (labelled-patch) and splits.arrows (split) under `dir`. */
export async function writeSyntheticCohort(dir: string, o: CohortOptions): Promise<CohortFiles> {
  const rand = mulberry32(o.seed);
  const per = o.slidesPerPatient ?? 2;
  const slides: string[] = [];
  const patchFiles: string[] = [];
  const split: {
    slide_id: string;
    patient_id: string;
    set: string;
    fold: number;
    has_lesion: boolean;
    n_boxes: number;
  }[] = [];
  const { mkdirSync } = await import('node:fs');
  mkdirSync(`${dir}/patches`, { recursive: true });
  for (let p = 0; p < o.patients; p++) {
    const patient = `p${String(p).padStart(3, '0')}`;
    const test = p >= o.patients - (o.testPatients ?? 0);
    for (let s = 0; s < per; s++) {
      const slide = `${patient}_${String.fromCharCode(97 + s)}`;
      slides.push(slide);
      const style = randomStyle(rand);
      const n = o.patchesPerSlide;
      const labels = Int8Array.from({ length: n }, () => (rand() < o.positiveShare ? 1 : 0));
      // Every slide gets at least one positive, so each fold can be scored.
      labels[0] = 1;
      const meta: StreamMeta = {
        record: 'labelled-patch',
        version: 1,
        slide: { slide_id: slide, patient_id: patient, width0: 64 * o.px, height0: 64 * o.px, mpp0: 0.25 },
        facts: { tile_px: o.px, stride_px: o.px, synthetic: 'he-synth' },
        provenance: [
          { tool: 'he-synth', version: '1', argv: [], params: { seed: o.seed }, time: new Date(0).toISOString() },
        ],
      };
      const images = Array.from(labels, (l) =>
        encodeJpeg(paintHePatch(rand, o.px, l === 1, style, o.strength ?? 1), o.px, o.px, {
          pixelFormat: 'rgb',
          quality: 90,
        }),
      );
      const idx = Int32Array.from({ length: n }, (_, i) => i);
      const batch = makeBatch(schemaFor(meta), {
        slide_id: Array(n).fill(slide),
        x0: idx.map((i) => (i % 64) * o.px * 2),
        y0: idx.map((i) => Math.floor(i / 64) * o.px * 2),
        w0: new Int32Array(n).fill(o.px * 2),
        h0: new Int32Array(n).fill(o.px * 2),
        col: idx.map((i) => i % 64),
        row: idx.map((i) => Math.floor(i / 64)),
        mpp: new Float32Array(n).fill(0.5),
        tissue: new Float32Array(n).fill(1),
        image: images,
        coverage: Float32Array.from(labels, (l) => (l ? 0.8 : 0)),
        iou: Float32Array.from(labels, (l) => (l ? 0.5 : 0)),
        giou: Float32Array.from(labels, (l) => (l ? 0.5 : -0.5)),
        box_id: Array.from(labels, (l) => (l ? `${slide}-box` : null)),
        label: labels,
      });
      const file = `${dir}/patches/${slide}.arrows`;
      const sink = openRecordSink(file, { force: true });
      await sink.begin(batch.schema, meta);
      await sink.write(batch);
      await sink.close();
      patchFiles.push(file);
      split.push({
        slide_id: slide,
        patient_id: patient,
        set: test ? 'test' : 'train',
        fold: test ? -1 : p % o.folds,
        has_lesion: true,
        n_boxes: 1,
      });
    }
  }
  const smeta: StreamMeta = { record: 'split', version: 1, slide: null, facts: { folds: o.folds }, provenance: [] };
  const sbatch = makeBatch(schemaFor(smeta), {
    slide_id: split.map((r) => r.slide_id),
    patient_id: split.map((r) => r.patient_id),
    set: split.map((r) => r.set),
    fold: Int32Array.from(split, (r) => r.fold),
    has_lesion: split.map((r) => r.has_lesion),
    n_boxes: Int32Array.from(split, (r) => r.n_boxes),
  });
  const splitsFile = `${dir}/splits.arrows`;
  const sink = openRecordSink(splitsFile, { force: true });
  await sink.begin(sbatch.schema, smeta);
  await sink.write(sbatch);
  await sink.close();
  return { slides, patchFiles, splitsFile };
}
