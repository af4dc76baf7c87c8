// The HTTP side of wsi-view: a fixed set of routes over the slides and files it was given. No
// route maps URL text to a file path: slides are addressed by their index, page assets by a name
// looked up in a table built at start-up, so no URL (encoded `..` included) reaches another file.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { availableParallelism } from 'node:os';
import { basename, extname, join } from 'node:path';
import { Slide } from '@slidepipe/openslide';
import { patchesBinary, slideIdOf, type Overlays } from './data';
import { deepZoom, dziXml, readDeepZoomTile, SlideReaders, type DeepZoom } from './tiles';

export interface ServedSlide {
  id: string;
  file: string;
  slide: Slide | null;
  /** The slide's region readers (direct JPEG tiles where they apply). */
  readers: SlideReaders | null;
  dz: DeepZoom | null;
  error: string | null;
  /** Changes when the file does: part of every tile's ETag. */
  tag: string;
}

export interface ViewOptions {
  quality: number;
  /** Bytes of encoded tiles kept in memory; 0 turns the cache off. */
  cacheBytes: number;
  /** Tiles rendered at once; more wait (bounds memory under many concurrent requests). */
  concurrency?: number;
  /** Folders of page assets, each served under its URL prefix (e.g. 'osd/'). */
  assetDirs: Array<[dir: string, prefix: string]>;
  log?: (msg: string) => void;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};

export async function openSlides(paths: string[]): Promise<ServedSlide[]> {
  const out: ServedSlide[] = [];
  for (const file of paths) {
    const id = slideIdOf(file);
    try {
      const st = statSync(file);
      const slide = await Slide.open(file);
      out.push({
        id,
        file,
        slide,
        readers: new SlideReaders(slide),
        dz: deepZoom(slide),
        error: null,
        tag: `${st.size.toString(36)}-${Math.round(st.mtimeMs).toString(36)}`,
      });
    } catch (e) {
      const msg = (e as Error).message.split('\n')[0];
      out.push({ id, file, slide: null, readers: null, dz: null, error: msg, tag: '' });
    }
  }
  return out;
}

/** Page assets by URL name: every file of the given folders, read once. */
function assetTable(dirs: Array<[string, string]>): Map<string, { body: Buffer; type: string; etag: string }> {
  const table = new Map<string, { body: Buffer; type: string; etag: string }>();
  const walk = (dir: string, prefix: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name), `${prefix}${e.name}/`);
      else if (TYPES[extname(e.name)]) {
        const body = readFileSync(join(dir, e.name));
        table.set(prefix + e.name, {
          body,
          type: TYPES[extname(e.name)],
          etag: `"${createHash('sha1').update(body).digest('hex').slice(0, 16)}"`,
        });
      }
    }
  };
  for (const [d, prefix] of dirs) walk(d, prefix);
  return table;
}

/** Least-recently-used tiles up to a byte budget. */
class TileCache {
  #map = new Map<string, Buffer>();
  #bytes = 0;
  constructor(readonly budget: number) {}
  get(k: string): Buffer | undefined {
    const v = this.#map.get(k);
    if (v) {
      this.#map.delete(k);
      this.#map.set(k, v);
    }
    return v;
  }
  set(k: string, v: Buffer): void {
    if (v.length > this.budget) return;
    this.#map.set(k, v);
    this.#bytes += v.length;
    for (const [old, b] of this.#map) {
      if (this.#bytes <= this.budget) break;
      this.#map.delete(old);
      this.#bytes -= b.length;
    }
  }
}

export function slideSummary(s: ServedSlide, i: number, o: Overlays) {
  const p = o.patches.get(s.id);
  const top = s.dz?.levels[s.dz.levels.length - 1];
  return {
    index: i,
    id: s.id,
    file: basename(s.file),
    error: s.error,
    width: top?.width ?? null,
    height: top?.height ?? null,
    mpp: s.slide?.mpp ?? null,
    patches: p ? { n: p.n, folds: p.folds } : null,
    boxes: o.boxes.get(s.id) ?? [],
    truth: o.truth.get(s.id) ?? [],
    eval: o.evals.get(s.id) ?? null,
  };
}

export function createViewServer(slides: ServedSlide[], overlays: Overlays, opts: ViewOptions): Server {
  const assets = assetTable(opts.assetDirs);
  const cache = new TileCache(opts.cacheBytes);
  const inFlight = new Map<string, Promise<Buffer | null>>();
  const limit = opts.concurrency ?? Math.max(4, 2 * availableParallelism());
  let running = 0;
  const waiting: Array<() => void> = [];
  const summaries = JSON.stringify(slides.map((s, i) => slideSummary(s, i, overlays)));
  const binaries = new Map<number, Buffer>();

  async function render(s: ServedSlide, z: number, c: number, r: number): Promise<Buffer | null> {
    if (running >= limit) await new Promise<void>((res) => waiting.push(res));
    else running++;
    try {
      return await readDeepZoomTile(s.readers!, s.dz!, z, c, r, opts.quality);
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  }

  function send(
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    type: string,
    body: Buffer | string,
    headers: Record<string, string> = {},
  ) {
    if (headers.ETag && req.headers['if-none-match'] === headers.ETag) {
      res.writeHead(304, headers).end();
      return;
    }
    res.writeHead(status, {
      'Content-Type': type,
      'Content-Length': Buffer.byteLength(body),
      'X-Content-Type-Options': 'nosniff',
      ...headers,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }
  const notFound = (req: IncomingMessage, res: ServerResponse) =>
    send(req, res, 404, 'text/plain; charset=utf-8', 'not found\n');

  async function tile(req: IncomingMessage, res: ServerResponse, s: ServedSlide, z: number, c: number, r: number) {
    const key = `${s.tag}/${z}/${c}_${r}`;
    const headers = {
      ETag: `"${createHash('sha1').update(`${s.file}\0${key}\0${opts.quality}`).digest('base64url').slice(0, 20)}"`,
      'Cache-Control': 'private, max-age=86400',
    };
    if (req.headers['if-none-match'] === headers.ETag) return send(req, res, 304, '', '', headers);
    let jpeg = cache.get(key) ?? null;
    if (!jpeg) {
      let p = inFlight.get(key);
      if (!p) {
        p = render(s, z, c, r).finally(() => inFlight.delete(key));
        inFlight.set(key, p);
      }
      jpeg = await p;
      if (!jpeg) return notFound(req, res);
      cache.set(key, jpeg);
    }
    send(req, res, 200, 'image/jpeg', jpeg, headers);
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return send(req, res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', { Allow: 'GET, HEAD' });
    // Matched on the raw path, never decoded: `%2e%2e` and friends match no route.
    const path = (req.url ?? '').split('?')[0];
    if (path === '/' || path === '/index.html') return serveAsset(req, res, 'index.html');
    let m = /^\/static\/([\w-][\w.-]*(?:\/[\w-][\w.-]*)*)$/.exec(path);
    if (m) return serveAsset(req, res, m[1]);
    if (path === '/favicon.ico') return send(req, res, 204, 'image/x-icon', '');
    if (path === '/api/slides')
      return send(req, res, 200, 'application/json', summaries, { 'Cache-Control': 'no-cache' });
    m = /^\/api\/slides\/(0|[1-9][0-9]{0,5})\/patches\.bin$/.exec(path);
    if (m) {
      const i = Number(m[1]);
      const p = slides[i] && overlays.patches.get(slides[i].id);
      if (!p) return notFound(req, res);
      let bin = binaries.get(i);
      if (!bin) binaries.set(i, (bin = patchesBinary(p)));
      return send(req, res, 200, 'application/octet-stream', bin, { 'Cache-Control': 'no-cache' });
    }
    m = /^\/slides\/(0|[1-9][0-9]{0,5})\.dzi$/.exec(path);
    if (m) {
      const s = slides[Number(m[1])];
      if (!s?.dz) return notFound(req, res);
      return send(req, res, 200, 'application/xml', dziXml(s.dz), { 'Cache-Control': 'no-cache' });
    }
    m = /^\/slides\/(0|[1-9][0-9]{0,5})_files\/(0|[1-9][0-9]?)\/(0|[1-9][0-9]{0,6})_(0|[1-9][0-9]{0,6})\.jpeg$/.exec(
      path,
    );
    if (m) {
      const s = slides[Number(m[1])];
      if (!s?.dz) return notFound(req, res);
      return tile(req, res, s, Number(m[2]), Number(m[3]), Number(m[4]));
    }
    return notFound(req, res);
  }

  function serveAsset(req: IncomingMessage, res: ServerResponse, name: string) {
    const a = assets.get(name);
    if (!a) return notFound(req, res);
    send(req, res, 200, a.type, a.body, { ETag: a.etag, 'Cache-Control': 'no-cache' });
  }

  return createServer((req, res) => {
    handle(req, res).catch((e) => {
      // A tile that fails to read is that tile's error, not the server's.
      opts.log?.(`${req.url}: ${(e as Error).message.split('\n')[0]}`);
      if (!res.headersSent) send(req, res, 500, 'text/plain; charset=utf-8', 'tile could not be read\n');
      else res.destroy();
    });
  });
}

export async function closeSlides(slides: ServedSlide[]): Promise<void> {
  await Promise.all(
    slides.map(async (s) => {
      await s.readers?.close();
      await s.slide?.close();
    }),
  );
}
