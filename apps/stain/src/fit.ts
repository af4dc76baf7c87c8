// wsi-stain's work: every patch's JPEG decoded and pooled into one stain target (libs/image's
// StainFitter), with the number of patches, slides and patients it came from.
import { inputError } from '@slidepipe/cli';
import { mulberry32 } from '@slidepipe/core';
import { FIT_DEFAULTS, StainFitter, stainTarget, type StainTarget } from '@slidepipe/image';
import type { RecordStream } from '@slidepipe/io';
import { decodeJpegAsync, setJpegMaxInFlight } from '@slidepipe/jpeg';
import { patientIdOf } from '@slidepipe/schema';

export interface FitOptions {
  seed: number;
  /** OD pixels taken from each patch for the Macenko estimate. */
  pixelsPerPatch: number;
  /** OD pixels kept over all patches. */
  maxPixels: number;
  onRows?: (rows: number) => void;
}

/** JPEG decodes in flight at once (libjpeg-turbo on koffi's worker threads). */
export function setDecodeThreads(threads: number): void {
  setJpegMaxInFlight(Math.min(Math.max(threads, 1), 64));
}

export async function fitStainTarget(streams: AsyncIterable<RecordStream>, o: FitOptions): Promise<StainTarget> {
  const fitter = new StainFitter(mulberry32(o.seed), {
    ...FIT_DEFAULTS,
    pixelsPerPatch: o.pixelsPerPatch,
    maxPixels: o.maxPixels,
  });
  const slides = new Set<string>();
  let patches = 0;
  const sources: string[] = [];
  for await (const s of streams) {
    sources.push(s.source);
    for await (const b of s.batches) {
      const image = b.getChild('image')!;
      const slide = b.getChild('slide_id')!;
      const jpegs: Promise<{ data: Uint8Array; width: number; height: number }>[] = [];
      for (let i = 0; i < b.numRows; i++) {
        const jpeg = image.get(i) as Uint8Array | null;
        const where = `slide ${slide.get(i)} patch x0=${b.getChild('x0')!.get(i)} y0=${b.getChild('y0')!.get(i)}`;
        if (!jpeg || jpeg.byteLength === 0)
          throw inputError(
            s.source,
            `${where} has no image (coordinates-only tiling?): wsi-stain needs the JPEG bytes`,
          );
        slides.add(slide.get(i) as string);
        jpegs.push(
          decodeJpegAsync(jpeg, { pixelFormat: 'rgb' }).catch((e: Error) => {
            throw inputError(s.source, `${where}: ${e.message}`);
          }),
        );
      }
      // Pooled in row order, so the reservoir (and the target) does not depend on decode timing.
      for (const img of await Promise.all(jpegs)) fitter.add(img);
      patches += b.numRows;
      o.onRows?.(b.numRows);
    }
  }
  const fit = fitter.finish();
  if (!fit.macenko && !fit.reinhard)
    throw inputError(
      sources.join(', ') || '<stdin>',
      `no tissue pixels in ${patches} patches: nothing to fit a stain target on`,
    );
  const patients = new Set([...slides].map((id) => patientIdOf(id)));
  return stainTarget(fit, { patches, slides: slides.size, patients: patients.size });
}
