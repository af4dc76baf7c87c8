// wsi-tile's run: one slide to a patch stream, with the optional mask and grid pictures.
import { inputError, usageError, type ToolContext } from '@slidepipe/cli';
import { checkOutput, isStdio, openRecordSink, writeFileAtomic } from '@slidepipe/io';
import { setJpegMaxInFlight } from '@slidepipe/jpeg';
import { Slide } from '@slidepipe/openslide';
import { schemaFor, slideIdProblem } from '@slidepipe/schema';
import { parseDetectorSpec } from '@slidepipe/tissue';
import { patientIdFromSlideId, slideIdFromPath } from './ids';
import { gridPng, maskToPng } from './picture';
import {
  DEFAULT_MPP,
  patchBatches,
  patchMeta,
  planTiling,
  tilingFacts,
  type Resolution,
  type Tiling,
  type TileOptions,
} from './tile';

/** The flags, parsed. */
export interface TileFlags {
  mpp?: number;
  magnification?: number;
  slideMpp?: number;
  tilePx: number;
  stridePx?: number;
  tissue: string;
  minTissue: number;
  maskPng?: string;
  gridPng?: string;
  quality: number;
  pixels: boolean;
  slideId?: string;
  patientId?: string;
  reader: 'auto' | 'openslide';
}

type Ids = { slideId: string; patientId: string };

/** Everything that can be refused is refused before the slide is read. */
function plan(ctx: ToolContext, slidePath: string, f: TileFlags): { options: TileOptions; ids: Ids } {
  if (slidePath === '-')
    throw usageError('<slide>', 'a slide is read from a file, not from stdin (OpenSlide needs random access)');
  let tissue: TileOptions['tissue'];
  try {
    tissue = parseDetectorSpec(f.tissue);
  } catch (e) {
    throw usageError('--tissue', (e as Error).message);
  }
  if (f.maskPng && tissue.name === 'none') throw usageError('--mask-png', 'there is no mask with --tissue none');
  for (const path of [ctx.output, f.maskPng, f.gridPng]) if (!isStdio(path)) checkOutput(path!, ctx.force);
  const resolution: Resolution =
    f.magnification !== undefined ? { magnification: f.magnification } : { mpp: f.mpp ?? DEFAULT_MPP };
  const options: TileOptions = {
    resolution,
    tilePx: f.tilePx,
    stridePx: f.stridePx ?? f.tilePx,
    tissue,
    minTissue: f.minTissue,
    pixels: f.pixels,
    quality: f.quality,
    keepPicture: Boolean(f.gridPng),
    reader: f.reader,
  };
  const slideId = f.slideId ?? slideIdFromPath(slidePath);
  const idProblem = slideIdProblem(slideId);
  if (idProblem) throw inputError(f.slideId !== undefined ? '--slide-id' : slidePath, idProblem);
  return { options, ids: { slideId, patientId: f.patientId ?? patientIdFromSlideId(slideId) } };
}

function describe(slide: Slide, tiling: Tiling, options: TileOptions, ids: Ids): string {
  const { plan: p, grid, patches } = tiling;
  const size = tiling.picture ? ` on a ${tiling.picture.width}x${tiling.picture.height} picture` : '';
  return (
    `${ids.slideId}: ${grid.width0}x${grid.height0} px at ${slide.mpp!.x.toPrecision(4)} µm/px (${slide.mpp!.source}); ` +
    `level ${p.level}, ${p.readPx} px read per ${options.tilePx} px patch at ${p.outputMpp.toPrecision(4)} µm/px ` +
    `(${tiling.jpegTiles ? 'JPEG tiles decoded directly' : `OpenSlide: ${tiling.openslideReason}`}); ` +
    `${patches.count} of ${grid.cols * grid.rows} patches kept (${tiling.detector.name}` +
    `${size}, >= ${options.minTissue})`
  );
}

/** The pictures asked for, made now (then the slide picture can go) but written only once the patches are. */
async function pictures(tiling: Tiling, f: TileFlags): Promise<[string, Buffer][]> {
  const out: [string, Buffer][] = [];
  if (f.maskPng && tiling.mask) out.push([f.maskPng, await maskToPng(tiling.mask)]);
  if (f.gridPng && tiling.picture)
    out.push([f.gridPng, await gridPng(tiling.picture, tiling.mask, tiling.grid, tiling.patches)]);
  tiling.picture = null;
  tiling.mask = null;
  return out;
}

function params(
  slidePath: string,
  f: TileFlags,
  options: TileOptions,
  tiling: Tiling,
  ids: Ids,
): Record<string, unknown> {
  const r = options.resolution;
  return {
    slide: slidePath,
    ...('mpp' in r ? { mpp: r.mpp } : { magnification: r.magnification }),
    slide_mpp: f.slideMpp ?? null,
    tile_px: options.tilePx,
    stride_px: options.stridePx,
    tissue: { method: tiling.detector.name, params: tiling.detector.params },
    min_tissue: options.minTissue,
    pixels: options.pixels,
    quality: options.quality,
    reader: options.reader,
    slide_id: ids.slideId,
    patient_id: ids.patientId,
  };
}

export async function run(ctx: ToolContext, [slidePath]: string[], f: TileFlags): Promise<void> {
  const { options, ids } = plan(ctx, slidePath, f);
  setJpegMaxInFlight(ctx.threads);
  const slide = await Slide.open(slidePath, { mpp: f.slideMpp, maxReadsInFlight: ctx.threads + 1 });
  try {
    const started = Date.now();
    const tiling = await planTiling(slide, options, ctx.signal);
    ctx.log.info(describe(slide, tiling, options, ids));
    const facts = tilingFacts(tiling, options, slide);
    const pics = await pictures(tiling, f);
    const meta = patchMeta(slide, ids, facts, ctx.provenance_entry(params(slidePath, f, options, tiling, ids)));
    const schema = schemaFor(meta);
    const sink = openRecordSink(ctx.output, { force: ctx.force });
    const progress = ctx.log.progress('patches', tiling.patches.count);
    try {
      await sink.begin(schema, meta);
      for await (const batch of patchBatches(slide, tiling, schema, ids, options, ctx.signal)) {
        await sink.write(batch);
        progress.tick(batch.numRows);
      }
      await sink.close();
      for (const [path, png] of pics) writeFileAtomic(path, png, ctx.force);
    } catch (e) {
      sink.abort();
      throw e;
    } finally {
      progress.done();
    }
    ctx.log.info(`${sink.rows} patches to ${sink.name} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await slide.close();
  }
}
