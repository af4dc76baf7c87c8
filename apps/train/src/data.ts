// Loads what training needs into memory: every embedding row (a growing float32 buffer, labels,
// slide of each row) and the split table. Bad inputs are refused here, each with one clear line.
import type { RecordBatch } from 'apache-arrow';
import { inputError } from '@slidepipe/cli';
import type { RecordStream } from '@slidepipe/io';
import { mergeMeta, type ProvenanceEntry, type StreamMeta, flatFloat32List } from '@slidepipe/schema';

export interface BackboneFacts {
  name: string;
  sha256: string;
  dim: number;
  kind?: string;
  preprocessing?: unknown;
}

export interface EmbeddingTable {
  /** Row-major [rows, dim]. */
  x: Float32Array;
  y: Uint8Array;
  /** Index into `slides` of each row. */
  slideOf: Uint32Array;
  slides: string[];
  rows: number;
  dim: number;
  backbone: BackboneFacts;
  /** The embeddings' stain normalisation and augmentation (wsi-embed's facts.stain, facts.stain_augment), if any. */
  stain?: Record<string, unknown>;
  stainAugment?: Record<string, unknown>;
  /** The input files, as named in messages. */
  sources: string[];
  /** Upstream provenance of all streams, each entry once. */
  provenance: ProvenanceEntry[];
}

/** The embedding column of a batch as one row-major float32 array (a view when it can be). */
export const flatEmbeddings = (b: RecordBatch, dim: number): Float32Array => flatFloat32List(b, 'embedding', dim);

export function backboneOf(s: RecordStream): BackboneFacts {
  // A Parquet table written from streams of two backbones carries a conflict marker, not one identity.
  if (typeof s.meta.facts.backbone === 'string') {
    throw inputError(
      s.source,
      "holds embeddings of several backbones (facts.backbone differs between its streams): train on one backbone's embeddings",
    );
  }
  const b = s.meta.facts.backbone as BackboneFacts | undefined;
  if (!b || typeof b.sha256 !== 'string' || typeof b.name !== 'string') {
    throw inputError(
      s.source,
      'embedding stream without a backbone identity (facts.backbone with name and sha256): embed it with wsi-embed',
    );
  }
  return b;
}

/** facts.stain and facts.stain_augment of a stream: objects, or absent; several merged into one table are refused. */
export function stainOf(s: RecordStream): { stain?: Record<string, unknown>; stainAugment?: Record<string, unknown> } {
  const out: { stain?: Record<string, unknown>; stainAugment?: Record<string, unknown> } = {};
  for (const [key, name] of [
    ['stain', 'stain'],
    ['stain_augment', 'stainAugment'],
  ] as const) {
    const v = s.meta.facts[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'object')
      throw inputError(
        s.source,
        `holds embeddings of several stain settings (facts.${key} differs between its streams): train on embeddings made with one --stain/--stain-augment`,
      );
    out[name] = v as Record<string, unknown>;
  }
  return out;
}

const where = (b: RecordBatch, i: number) =>
  `slide ${b.getChild('slide_id')!.get(i)} patch x0=${b.getChild('x0')!.get(i)} y0=${b.getChild('y0')!.get(i)}`;

/** Reads every embedding stream into one table; refuses NaN/infinite values, missing labels, mixed backbones. */
export async function loadEmbeddings(streams: AsyncIterable<RecordStream>): Promise<EmbeddingTable> {
  let x = new Float32Array(0);
  let y = new Uint8Array(0);
  let slideOf = new Uint32Array(0);
  const slides: string[] = [];
  const slideIndex = new Map<string, number>();
  const sources = new Set<string>();
  const metas: StreamMeta[] = [];
  let rows = 0;
  let dim = 0;
  let backbone: BackboneFacts | undefined;
  let stain: ReturnType<typeof stainOf> = {};
  const grow = (need: number) => {
    if (need <= y.length) return;
    const cap = Math.max(need, y.length * 2, 4096);
    const nx = new Float32Array(cap * dim);
    nx.set(x.subarray(0, rows * dim));
    x = nx;
    const ny = new Uint8Array(cap);
    ny.set(y.subarray(0, rows));
    y = ny;
    const ns = new Uint32Array(cap);
    ns.set(slideOf.subarray(0, rows));
    slideOf = ns;
  };
  for await (const s of streams) {
    sources.add(s.source);
    metas.push(s.meta);
    const bb = backboneOf(s);
    const d = Number(s.meta.facts.dim);
    const st = stainOf(s);
    if (!backbone) {
      stain = st;
    } else if (JSON.stringify(st) !== JSON.stringify(stain)) {
      throw inputError(
        s.source,
        `embeddings with stain ${describeStain(st)} mixed with ${describeStain(stain)}: train on embeddings made with one --stain/--stain-augment`,
      );
    }
    if (!backbone) {
      backbone = bb;
      dim = d;
    } else if (bb.sha256 !== backbone.sha256 || bb.name !== backbone.name || d !== dim) {
      throw inputError(
        s.source,
        `embeddings from backbone ${bb.name} (${bb.sha256.slice(0, 12)}, dim ${d}) mixed with ${backbone.name} (${backbone.sha256.slice(0, 12)}, dim ${dim}): train on one backbone's embeddings`,
      );
    }
    for await (const b of s.batches) {
      const n = b.numRows;
      grow(rows + n);
      const flat = flatEmbeddings(b, dim);
      for (let i = 0; i < flat.length; i++) {
        if (!Number.isFinite(flat[i])) {
          throw inputError(s.source, `${where(b, Math.floor(i / dim))}: embedding component ${i % dim} is ${flat[i]}`);
        }
      }
      x.set(flat, rows * dim);
      const label = b.getChild('label')!;
      const slide = b.getChild('slide_id')!;
      for (let i = 0; i < n; i++) {
        const l = label.get(i) as number | null;
        if (l !== 0 && l !== 1) {
          throw inputError(
            s.source,
            `${where(b, i)}: label is ${l}; wsi-train needs 0/1 labels (embed labelled patches from wsi-label)`,
          );
        }
        y[rows + i] = l;
        const id = slide.get(i) as string;
        let k = slideIndex.get(id);
        if (k === undefined) {
          k = slides.length;
          slides.push(id);
          slideIndex.set(id, k);
        }
        slideOf[rows + i] = k;
      }
      rows += n;
    }
  }
  if (!backbone || rows === 0) throw inputError([...sources].join(', ') || '<stdin>', 'no embedding rows to train on');
  return {
    x: x.subarray(0, rows * dim),
    y: y.subarray(0, rows),
    slideOf: slideOf.subarray(0, rows),
    slides,
    rows,
    dim,
    backbone,
    ...stain,
    sources: [...sources],
    provenance: mergeMeta(metas).provenance,
  };
}

export interface SplitRow {
  patient_id: string;
  set: string;
  fold: number;
}

export async function loadSplits(streams: AsyncIterable<RecordStream>): Promise<Map<string, SplitRow>> {
  const out = new Map<string, SplitRow>();
  for await (const s of streams) {
    for await (const b of s.batches) {
      const [id, patient, set, fold] = ['slide_id', 'patient_id', 'set', 'fold'].map((c) => b.getChild(c)!);
      for (let i = 0; i < b.numRows; i++) {
        out.set(id.get(i) as string, {
          patient_id: patient.get(i) as string,
          set: set.get(i) as string,
          fold: fold.get(i) as number,
        });
      }
    }
  }
  return out;
}

const describeStain = (s: ReturnType<typeof stainOf>) =>
  `${String(s.stain?.method ?? 'none')}${s.stainAugment ? ` + ${String(s.stainAugment.method)} augmentation` : ''}`;
