import { Option } from 'commander';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expectParam, runTool, SlidepipeError, usageError } from '@slidepipe/cli';
import { loadOverlays, runLayout, type Inputs } from './data';
import { createViewServer, openSlides } from './server';

interface Opts {
  scores: string[];
  boxes: string[];
  truth: string[];
  eval?: string;
  run?: string;
  port: number;
  host: string;
  quality: number;
  cacheMb: number;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];
const int = (flag: string, lo: number, hi: number) => (v: string) => {
  const n = Number(v);
  expectParam(Number.isInteger(n) && n >= lo && n <= hi, flag, `an integer in ${lo}..${hi}`, v);
  return n;
};
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

void runTool<Opts>({
  name: 'view',
  summary:
    'Look at slides in the browser: deep zoom, the patch heat map, predicted and true boxes, the tissue grid ' +
    'and per-slide F2. Serves until Ctrl-C.',
  args: '[slides...]',
  shared: { output: false, force: false, provenance: false, threads: false },
  examples: [
    'wsi-view --run demo-out                       # everything `npm run demo` wrote',
    'wsi-view slide.tif --scores scores/ --boxes boxes.parquet --truth truth.csv',
    'wsi-view a.svs b.svs --port 9000 --host 0.0.0.0   # reachable from other machines',
  ],
  options: (cmd) => {
    cmd
      .option('--scores <path>', 'patch scores: a .parquet/.arrows file or a folder of them (repeatable)', collect, [])
      .option('--boxes <file>', 'predicted boxes (box records; repeatable)', collect, [])
      .option('--truth <file>', 'true boxes: DigiLut box CSV or QuPath GeoJSON (repeatable)', collect, [])
      .option('--eval <file>', 'wsi-eval output, for the per-slide F2')
      .addOption(
        new Option(
          '--run <dir>',
          'a demo/pipeline output folder: cohort/, scores/, boxes.parquet, truth.csv, eval.parquet',
        ),
      )
      .option('--port <n>', 'port to listen on (0: any free port)', int('--port', 0, 65535), 8642)
      .option('--host <addr>', 'address to listen on', '127.0.0.1')
      .option('--quality <q>', 'JPEG quality of the tiles', int('--quality', 1, 100), 75)
      .option('--cache-mb <n>', 'memory for encoded tiles (0: no cache)', int('--cache-mb', 0, 65536), 256);
  },
  async run(ctx, slideArgs, opts) {
    let inputs: Inputs = {
      slides: slideArgs,
      scores: opts.scores,
      boxes: opts.boxes,
      truth: opts.truth,
      eval: opts.eval ? [opts.eval] : [],
    };
    if (opts.run) {
      const found = runLayout(opts.run);
      inputs = {
        slides: slideArgs.length ? slideArgs : found.slides,
        scores: opts.scores.length ? opts.scores : found.scores,
        boxes: opts.boxes.length ? opts.boxes : found.boxes,
        truth: opts.truth.length ? opts.truth : found.truth,
        eval: inputs.eval.length ? inputs.eval : found.eval,
      };
    }
    if (!inputs.slides.length) throw usageError('slides', 'give one or more slide files, or --run DIR');
    const overlays = await loadOverlays(inputs);
    const slides = await openSlides(inputs.slides);
    if (slides.every((s) => s.error)) {
      throw new SlidepipeError('bad-input', inputs.slides[0], `no slide could be opened: ${slides[0].error}`);
    }
    for (const s of slides)
      if (s.error) ctx.log.warn(`${s.file}: cannot be opened, shown as an error in the page: ${s.error}`);
    const osd = dirname(createRequire(import.meta.url).resolve('openseadragon'));
    const server = createViewServer(slides, overlays, {
      quality: opts.quality,
      cacheBytes: opts.cacheMb * 2 ** 20,
      assetDirs: [
        [fileURLToPath(new URL('./static/', import.meta.url)), ''],
        [osd, 'osd/'],
      ],
      log: (m) => ctx.log.warn(m),
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) =>
        reject(
          e.code === 'EADDRINUSE'
            ? usageError(`--port ${opts.port}`, `already in use on ${opts.host}`)
            : usageError(`--host ${opts.host}`, `cannot listen there: ${e.code ?? e.message}`),
        ),
      );
      server.listen(opts.port, opts.host, resolve);
    });
    const addr = server.address() as { port: number };
    const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
    if (!LOOPBACK.has(opts.host))
      ctx.log.warn(`listening on ${opts.host}, not only this machine: anyone who can reach it can see these slides`);
    const scored = slides.filter((s) => overlays.patches.has(s.id)).length;
    ctx.log.info(`${slides.length} slide(s), ${scored} with scores; Ctrl-C to stop`);
    process.stdout.write(`http://${host}:${addr.port}/\n`);
    // Serves until SIGINT/SIGTERM (the runner exits 130/143).
    await new Promise(() => undefined);
  },
});
