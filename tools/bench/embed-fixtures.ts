// Fixtures for the embed and train benchmarks, bundled with esbuild by the .bench.mjs scripts:
//   cohort <dir> <patients> <patches per slide> <px>   synthetic H&E labelled patches + splits
//   resnet18 <file.onnx> [px]                          ResNet-18 topology, seeded random weights
//   jpegs <patches.arrows> <out.bin>                   the patches' JPEGs, each as u32 LE length + bytes
//   embeddings <dir> <rows> <dim> <folds>              labelled embedding records (one slide per fold),
//                                                      splits.arrows, and x.bin / y.bin (raw float32 / uint8)
//   stain-shift <out> <seed> <sigma> <bias> <in...>    the patches with a strong stain shift per patient
import { createWriteStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeResNet18Model } from '@slidepipe/models';
import { openRecordSink, readRecords } from '@slidepipe/io';
import { makeBatch, schemaFor, type StreamMeta } from '@slidepipe/schema';
import { mulberry32, writeSyntheticCohort } from '@slidepipe/testing';
import { writeStainShifted } from './stain-shift';

const [cmd, ...args] = process.argv.slice(2);

async function embeddings(dir: string, rows: number, dim: number, folds: number): Promise<void> {
  const rand = mulberry32(1);
  const x = new Float32Array(rows * dim);
  const y = new Uint8Array(rows);
  // About 1 in 20 positive, shifted on a few components: learnable, not trivially.
  for (let i = 0; i < rows; i++) {
    y[i] = rand() < 0.05 ? 1 : 0;
    for (let j = 0; j < dim; j++) x[i * dim + j] = (rand() - 0.5) * 2 + (y[i] && j < 16 ? 0.3 : 0);
  }
  writeFileSync(join(dir, 'x.bin'), x);
  writeFileSync(join(dir, 'y.bin'), y);
  const backbone = { kind: 'builtin', name: 'bench-random', sha256: '0'.repeat(64), dim, preprocessing: {} };
  const sink = openRecordSink(join(dir, 'emb.arrows'), { force: true });
  const per = Math.ceil(rows / folds);
  const slides: string[] = [];
  for (let s = 0; s * per < rows; s++) {
    const slide = `p${String(s).padStart(3, '0')}_a`;
    slides.push(slide);
    const meta: StreamMeta = {
      record: 'embedding',
      version: 1,
      slide: { slide_id: slide, patient_id: slide.slice(0, 4), width0: 1, height0: 1, mpp0: 0.25 },
      facts: { dim, backbone },
      provenance: [],
    };
    const schema = schemaFor(meta);
    await sink.begin(schema, meta);
    for (let start = s * per; start < Math.min(rows, (s + 1) * per); start += 8192) {
      const end = Math.min(start + 8192, (s + 1) * per, rows);
      const n = end - start;
      const idx = Int32Array.from({ length: n }, (_, i) => start + i);
      await sink.write(
        makeBatch(schema, {
          slide_id: Array(n).fill(slide),
          x0: idx,
          y0: idx,
          w0: idx,
          h0: idx,
          col: idx,
          row: idx,
          label: Array.from(y.subarray(start, end)),
          embedding: Array.from({ length: n }, (_, i) => x.subarray((start + i) * dim, (start + i + 1) * dim)),
        }),
      );
    }
    await sink.end();
  }
  await sink.close();
  const smeta: StreamMeta = { record: 'split', version: 1, slide: null, facts: {}, provenance: [] };
  const split = makeBatch(schemaFor(smeta), {
    slide_id: slides,
    patient_id: slides.map((s) => s.slice(0, 4)),
    set: slides.map(() => 'train'),
    fold: Int32Array.from(slides, (_, i) => i % folds),
    has_lesion: slides.map(() => true),
    n_boxes: Int32Array.from(slides, () => 1),
  });
  const ssink = openRecordSink(join(dir, 'splits.arrows'), { force: true });
  await ssink.begin(split.schema, smeta);
  await ssink.write(split);
  await ssink.close();
}

if (cmd === 'cohort') {
  const [dir, patients, patches, px] = args;
  await writeSyntheticCohort(dir, {
    patients: +patients,
    patchesPerSlide: +patches,
    px: +px,
    positiveShare: 0.3,
    seed: 1,
    folds: Math.max(2, Math.min(+patients, 5)),
  });
} else if (cmd === 'resnet18') {
  const r = await writeResNet18Model(args[0], { inputPx: +(args[1] ?? 224), seed: 0 });
  process.stdout.write(`${JSON.stringify(r)}\n`);
} else if (cmd === 'jpegs') {
  const out = createWriteStream(args[1]);
  for await (const s of readRecords([args[0]], { expect: ['patch', 'labelled-patch'] })) {
    for await (const b of s.batches) {
      const col = b.getChild('image')!;
      for (let i = 0; i < b.numRows; i++) {
        const j = col.get(i) as Uint8Array;
        const len = Buffer.alloc(4);
        len.writeUInt32LE(j.byteLength);
        out.write(len);
        out.write(Buffer.from(j));
      }
    }
  }
  await new Promise((resolve) => out.end(resolve));
} else if (cmd === 'embeddings') {
  await embeddings(args[0], +args[1], +args[2], +args[3]);
} else if (cmd === 'stain-shift') {
  const [out, seed, sigma, bias, ...inputs] = args;
  await writeStainShifted(inputs, out, { seed: +seed, sigma: +sigma, bias: +bias });
} else {
  process.stderr.write('usage: embed-fixtures cohort|resnet18|jpegs|embeddings|stain-shift ...\n');
  process.exit(64);
}
