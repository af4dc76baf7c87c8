// A cohort with strong per-patient stain variation, for measuring stain robustness (stain-ablation.sh): every patch of
// a patient gets that patient's H&E perturbation (libs/image's HED jitter, seeded by the patient),
// as if each patient's slides came from another lab. Labels, keys and metadata pass unchanged.
import { mulberry32, seedOfText } from '@slidepipe/core';
import { augmentHed, drawHedJitter, type HedJitter } from '@slidepipe/image';
import { openRecordSink, readRecords } from '@slidepipe/io';
import { decodeJpegAsync, encodeJpegAsync } from '@slidepipe/jpeg';
import { makeBatch, patientIdOf } from '@slidepipe/schema';

export interface StainShiftOptions {
  seed: number;
  /** Scale range of each stain concentration: U(1 - sigma, 1 + sigma) per patient. */
  sigma: number;
  /** Shift range of each concentration, OD (log10): U(-bias, bias) per patient. */
  bias: number;
  quality?: number;
}

/** The perturbation of one patient. */
export const patientJitter = (patient: string, o: StainShiftOptions): HedJitter =>
  drawHedJitter(mulberry32(seedOfText(`${o.seed}:${patient}`)), o.sigma, o.bias);

/** Copies patch streams from `inputs` to `out` with each patient's stain shift applied to the JPEGs. */
export async function writeStainShifted(inputs: string[], out: string, o: StainShiftOptions): Promise<number> {
  const sink = openRecordSink(out, { force: true });
  let rows = 0;
  for await (const s of readRecords(inputs, { expect: ['patch', 'labelled-patch'] })) {
    await sink.begin(s.schema, s.meta);
    for await (const b of s.batches) {
      const cols: Record<string, unknown[]> = {};
      for (const f of s.schema.fields) cols[f.name] = [...b.getChild(f.name)!];
      cols.image = await Promise.all(
        (cols.image as Uint8Array[]).map(async (jpeg, i) => {
          const d = await decodeJpegAsync(jpeg, { pixelFormat: 'rgb' });
          const j = patientJitter(patientIdOf(cols.slide_id[i] as string), o);
          const img = augmentHed({ data: d.data, width: d.width, height: d.height }, j);
          return encodeJpegAsync(img.data, d.width, d.height, { pixelFormat: 'rgb', quality: o.quality ?? 90 });
        }),
      );
      await sink.write(makeBatch(s.schema, cols as Parameters<typeof makeBatch>[1]));
      rows += b.numRows;
    }
    await sink.end();
  }
  await sink.close();
  return rows;
}
