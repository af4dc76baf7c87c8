import { writeSync } from 'node:fs';
import { Option } from 'commander';
import { expectParam, inputError, runTool, usageError } from '@slidepipe/cli';
import { AtomicFile, checkOutput, isStdio, openRecordSink } from '@slidepipe/io';
import { setJpegMaxInFlight } from '@slidepipe/jpeg';
import { Slide } from '@slidepipe/openslide';
import { schemaFor, slideIdProblem } from '@slidepipe/schema';
import { parseDetectorSpec } from '@slidepipe/tissue';
import { patientIdFromSlideId, slideIdFromPath } from './ids';
import { gridPng, maskToPng } from './picture';
import {
  DEFAULT_MIN_TISSUE,
  DEFAULT_MPP,
  DEFAULT_QUALITY,
  DEFAULT_TILE_PX,
  patchBatches,
  patchMeta,
  planTiling,
  tilingFacts,
  type Resolution,
  type TileOptions,
} from './tile';

interface Opts {
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

const positive = (flag: string) => (v: string) => {
  const n = Number(v);
  expectParam(Number.isFinite(n) && n > 0, flag, 'a positive number', v);
  return n;
};
const integerIn = (flag: string, min: number, max: number) => (v: string) => {
  const n = Number(v);
  expectParam(Number.isInteger(n) && n >= min && n <= max, flag, `an integer in ${min}..${max}`, v);
  return n;
};
const fraction = (flag: string) => (v: string) => {
  const n = Number(v);
  expectParam(v.trim() !== '' && n >= 0 && n <= 1, flag, 'a number in 0..1', v);
  return n;
};

function writeFileAtomic(path: string, bytes: Uint8Array, force: boolean): void {
  const file = new AtomicFile(path, force);
  try {
    for (let at = 0; at < bytes.byteLength; ) at += writeSync(file.fd, bytes, at);
    file.commit();
  } catch (e) {
    file.abort();
    throw e;
  }
}

void runTool<Opts>({
  name: 'tile',
  summary:
    'Cut one slide into patches at a fixed resolution where there is tissue, and stream them as patch records (level-0 coordinates, tissue fraction, JPEG).',
  args: '<slide>',
  examples: [
    'wsi-tile slide.svs -o patches.parquet                       # 256 px patches at 0.5 µm/px with >= 50 % tissue',
    'wsi-tile slide.svs | wsi-cat --count                         # stream to the next tool',
    'wsi-tile slide.tif --magnification 20 --stride-px 128 | wsi-cat -o p.parquet   # 20x, half-overlapping',
    'wsi-tile slide.svs --grid-png grid.png --mask-png mask.png --no-pixels | wsi-cat --csv | head',
    'wsi-tile scan.tif --slide-mpp 0.25 --tissue otsu-saturation:minAreaPx=200 --min-tissue 0.3 -o p.parquet',
    'wsi-tile 12_a.tif -o 12_a.parquet                            # slide_id 12_a, patient_id 12 (DigiLut <patient>_<a|b>)',
  ],
  options: (cmd) => {
    cmd
      .addOption(new Option('--mpp <um>', `output µm per pixel (default ${DEFAULT_MPP})`).argParser(positive('--mpp')).conflicts('magnification'))
      .addOption(
        new Option('--magnification <x>', 'output magnification relative to the objective power, e.g. 20 (instead of --mpp)').argParser(
          positive('--magnification'),
        ),
      )
      .option('--slide-mpp <um>', "level-0 µm per pixel, replacing the slide's own (for slides without one, or a wrong one)", positive('--slide-mpp'))
      .option('--tile-px <px>', 'patch side in output pixels', integerIn('--tile-px', 8, 8192), DEFAULT_TILE_PX)
      .option('--stride-px <px>', 'output pixels between patch origins (default: --tile-px, no overlap)', integerIn('--stride-px', 1, 65536))
      .option(
        '--tissue <method>',
        'tissue detection: rgb-distance, otsu-saturation or none, with parameters as NAME:key=value,... (see @slidepipe/tissue)',
        'rgb-distance',
      )
      .option('--min-tissue <fraction>', 'keep patches whose footprint is at least this fraction tissue', fraction('--min-tissue'), DEFAULT_MIN_TISSUE)
      .option('--mask-png <file>', 'also write the tissue mask as a PNG (white = tissue)')
      .option('--grid-png <file>', 'also write a picture of the slide with tissue outlined and the kept patches boxed')
      .option('--quality <q>', 'JPEG quality', integerIn('--quality', 1, 100), DEFAULT_QUALITY)
      .option('--no-pixels', 'coordinates only: no reads, image column null')
      .option('--slide-id <id>', 'slide id (default: the file name without its extension)')
      .option('--patient-id <id>', 'patient id (default: <patient> for DigiLut names <patient>_a/_b, else the slide id)')
      .addOption(
        new Option(
          '--reader <how>',
          'auto: decode the JPEG tiles of Aperio and generic tiled TIFF levels directly (the same pixels as OpenSlide, a third of the CPU), OpenSlide for everything else; openslide: always OpenSlide',
        )
          .choices(['auto', 'openslide'])
          .default('auto'),
      );
  },
  async run(ctx, [slidePath], opts) {
    // Everything that can be refused is refused before the slide is read.
    if (slidePath === '-') throw usageError('<slide>', 'a slide is read from a file, not from stdin (OpenSlide needs random access)');
    let tissue: TileOptions['tissue'];
    try {
      tissue = parseDetectorSpec(opts.tissue);
    } catch (e) {
      throw usageError('--tissue', (e as Error).message);
    }
    if (opts.maskPng && tissue.name === 'none') throw usageError('--mask-png', 'there is no mask with --tissue none');
    for (const path of [ctx.output, opts.maskPng, opts.gridPng]) if (!isStdio(path)) checkOutput(path!, ctx.force);
    const resolution: Resolution = opts.magnification !== undefined ? { magnification: opts.magnification } : { mpp: opts.mpp ?? DEFAULT_MPP };
    const options: TileOptions = {
      resolution,
      tilePx: opts.tilePx,
      stridePx: opts.stridePx ?? opts.tilePx,
      tissue,
      minTissue: opts.minTissue,
      pixels: opts.pixels,
      quality: opts.quality,
      keepPicture: Boolean(opts.gridPng),
      reader: opts.reader,
    };
    const slideId = opts.slideId ?? slideIdFromPath(slidePath);
    const idProblem = slideIdProblem(slideId);
    if (idProblem) throw inputError(opts.slideId !== undefined ? '--slide-id' : slidePath, idProblem);
    const ids = { slideId, patientId: opts.patientId ?? patientIdFromSlideId(slideId) };

    setJpegMaxInFlight(ctx.threads);
    const slide = await Slide.open(slidePath, { mpp: opts.slideMpp, maxReadsInFlight: ctx.threads + 1 });
    try {
      const started = Date.now();
      const tiling = await planTiling(slide, options, ctx.signal);
      const { plan, grid, patches } = tiling;
      const size = tiling.picture ? ` on a ${tiling.picture.width}x${tiling.picture.height} picture` : '';
      ctx.log.info(
        `${ids.slideId}: ${grid.width0}x${grid.height0} px at ${slide.mpp!.x.toPrecision(4)} µm/px (${slide.mpp!.source}); ` +
          `level ${plan.level}, ${plan.readPx} px read per ${options.tilePx} px patch at ${plan.outputMpp.toPrecision(4)} µm/px ` +
          `(${tiling.jpegTiles ? 'JPEG tiles decoded directly' : `OpenSlide: ${tiling.openslideReason}`}); ` +
          `${patches.count} of ${grid.cols * grid.rows} patches kept (${tiling.detector.name}` +
          `${size}, >= ${options.minTissue})`,
      );
      const facts = tilingFacts(tiling, options, slide);
      // Pictures are made now (then the slide picture can go) but written only once the patches are.
      const pictures: [string, Buffer][] = [];
      if (opts.maskPng && tiling.mask) pictures.push([opts.maskPng, await maskToPng(tiling.mask)]);
      if (opts.gridPng && tiling.picture) pictures.push([opts.gridPng, await gridPng(tiling.picture, tiling.mask, grid, patches)]);
      tiling.picture = null;
      tiling.mask = null;

      const meta = patchMeta(
        slide,
        ids,
        facts,
        ctx.provenance_entry({
          slide: slidePath,
          ...('mpp' in resolution ? { mpp: resolution.mpp } : { magnification: resolution.magnification }),
          slide_mpp: opts.slideMpp ?? null,
          tile_px: options.tilePx,
          stride_px: options.stridePx,
          tissue: { method: tiling.detector.name, params: tiling.detector.params },
          min_tissue: options.minTissue,
          pixels: options.pixels,
          quality: options.quality,
          reader: options.reader,
          slide_id: ids.slideId,
          patient_id: ids.patientId,
        }),
      );
      const schema = schemaFor(meta);
      const sink = openRecordSink(ctx.output, { force: ctx.force });
      const progress = ctx.log.progress('patches', patches.count);
      try {
        await sink.begin(schema, meta);
        for await (const batch of patchBatches(slide, tiling, schema, ids, options, ctx.signal)) {
          await sink.write(batch);
          progress.tick(batch.numRows);
        }
        await sink.close();
        for (const [path, png] of pictures) writeFileAtomic(path, png, ctx.force);
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
  },
});
