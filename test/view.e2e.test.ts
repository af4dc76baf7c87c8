// wsi-view end to end: the built tool serving a synthetic slide with known lesions, checked over
// raw HTTP (routes, traversal, caching, bad input, memory under 100 concurrent tiles) and in a real
// browser (Debian's chromium through puppeteer-core): pixel probes of a screenshot where the
// records say the heat map and boxes are, hover, a layer toggle, zoom, the slide picker.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, sh, tmp, tool } from './helpers';
import { makeViewFixture, POSITIVE, type ViewFixture } from './view-fixture';

// Page-side names for the functions puppeteer runs in the browser (no DOM lib in this program).
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const window: any;
declare const document: any;
declare const requestAnimationFrame: any;
type HTMLElement = any;
type HTMLInputElement = any;

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const ARTEFACTS = join(ROOT, 'out/view');

interface Served {
  proc: ChildProcess;
  url: string;
  stderr: () => string;
}

function serve(args: string[]): Promise<Served> {
  const proc = spawn('node', [join(ROOT, 'dist/apps/view/main.js'), '--port', '0', ...args], { stdio: 'pipe' });
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    proc.stdout!.once('data', (d) => resolve({ proc, url: String(d).trim(), stderr: () => err }));
    proc.once('exit', (code) => reject(new Error(`wsi-view exited ${code}: ${err}`)));
  });
}

/** A raw GET: the path goes out exactly as written (fetch would resolve `..` itself). */
function get(url: string, path: string, headers: Record<string, string> = {}) {
  const u = new URL(url);
  return new Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

function stop(s: Served): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    s.proc.once('exit', (code) => resolve({ code, stderr: s.stderr() }));
    s.proc.kill('SIGINT');
  });
}

let fx: ViewFixture;
let served: Served;
beforeAll(async () => {
  fx = await makeViewFixture(tmp('slidepipe-view-'));
  served = await serve([fx.slide, fx.broken, '--scores', fx.scores, '--boxes', fx.boxes, '--truth', fx.truth]);
});
afterAll(() => served?.proc.kill('SIGTERM'));

describe('wsi-view over HTTP', () => {
  it('prints a loopback URL and says which slide failed to open', () => {
    expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(served.stderr()).toContain(`${fx.broken}: cannot be opened`);
  });

  it('lists the slides with scores, boxes and truth, and the broken one with its error', async () => {
    const list = JSON.parse((await get(served.url, '/api/slides')).body.toString());
    expect(list).toHaveLength(2);
    expect(list[0]).toMatchObject({ id: fx.slideId, error: null, patches: { folds: 3 } });
    expect(list[0].boxes.length).toBeGreaterThan(0);
    expect(list[0].truth.length).toBeGreaterThan(0);
    expect(list[1].error).toMatch(/not a slide/);
  });

  it('lays tiles out as openslide-python DeepZoomGenerator does, with ETag and Cache-Control', async () => {
    const py = spawnSync('python3', [
      '-c',
      `
import openslide, openslide.deepzoom as dz, json
g = dz.DeepZoomGenerator(openslide.OpenSlide(${JSON.stringify(fx.slide)}))
print(json.dumps({'levels': g.level_count, 'tiles': g.level_tiles, 'dims': g.level_dimensions}))`,
    ]);
    const dzi = (await get(served.url, '/slides/0.dzi')).body.toString();
    expect(dzi).toContain('Overlap="1" TileSize="254"');
    if (py.status === 0) {
      const ref = JSON.parse(py.stdout.toString());
      const top = ref.dims[ref.levels - 1];
      expect(dzi).toContain(`<Size Width="${top[0]}" Height="${top[1]}"/>`);
      const [cols, rows] = ref.tiles[ref.levels - 1];
      const last = await get(served.url, `/slides/0_files/${ref.levels - 1}/${cols - 1}_${rows - 1}.jpeg`);
      expect(last.status).toBe(200);
      expect((await get(served.url, `/slides/0_files/${ref.levels - 1}/${cols}_0.jpeg`)).status).toBe(404);
    }
    const t = await get(served.url, '/slides/0_files/9/0_0.jpeg');
    expect(t.status).toBe(200);
    expect(t.headers['content-type']).toBe('image/jpeg');
    expect(t.body.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    expect(t.headers['cache-control']).toMatch(/max-age/);
    const again = await get(served.url, '/slides/0_files/9/0_0.jpeg', { 'If-None-Match': String(t.headers.etag) });
    expect(again.status).toBe(304);
  });

  it('answers 404 to path traversal, encoded or not, and to tiles and slides that do not exist', async () => {
    const bad = [
      '/static/../package.json',
      '/static/%2e%2e/%2e%2e/package.json',
      '/static/..%2f..%2fpackage.json',
      '/static/osd/%2E%2E/%2E%2E/package.json',
      '/static/%252e%252e/package.json',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/../../etc/passwd',
      '//etc/passwd',
      '/static//etc/passwd',
      '/slides/0_files/../../../etc/passwd',
      '/slides/..%2F..%2Fetc%2Fpasswd.dzi',
      `/slides/${encodeURIComponent(fx.slide)}.dzi`,
      '/slides/2.dzi',
      '/slides/1.dzi',
      '/slides/1_files/0/0_0.jpeg',
      '/slides/0_files/99/0_0.jpeg',
      '/slides/0_files/0/1_0.jpeg',
      '/slides/0_files/5/-1_0.jpeg',
      '/slides/0_files/12/99999_0.jpeg',
      '/slides/00.dzi',
      '/api/slides/1/patches.bin',
      '/api/slides/9/patches.bin',
    ];
    for (const path of bad) expect([path, (await get(served.url, path)).status]).toEqual([path, 404]);
    expect((await get(served.url, '/static/osd/openseadragon.min.js')).status).toBe(200);
    expect(served.proc.exitCode).toBe(null);
  });

  it('keeps memory bounded under 100 concurrent tile requests', async () => {
    const top = Number(/Width="(\d+)"/.exec((await get(served.url, '/slides/0.dzi')).body.toString())![1]);
    const z = Math.ceil(Math.log2(top)) + 0;
    const paths = Array.from({ length: 100 }, (_, k) => `/slides/0_files/${z}/${k % 12}_${Math.floor(k / 12)}.jpeg`);
    const res = await Promise.all(paths.map((p) => get(served.url, p)));
    expect(res.filter((r) => r.status === 200).length).toBeGreaterThan(50);
    expect(res.every((r) => r.status === 200 || r.status === 404)).toBe(true);
    const hwm = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${served.proc.pid}/status`, 'utf8'))![1]) / 1024;
    mkdirSync(ARTEFACTS, { recursive: true });
    writeFileSync(join(ARTEFACTS, 'rss.json'), JSON.stringify({ peakRssMB: Math.round(hwm) }));
    expect(hwm).toBeLessThan(600);
  });

  it('says so when --host opens it beyond this machine, and exits 130 on Ctrl-C without a stack trace', async () => {
    const s = await serve([fx.slide, '--host', '0.0.0.0']);
    expect(s.stderr()).toMatch(/listening on 0\.0\.0\.0, not only this machine/);
    const { code, stderr } = await stop(s);
    expect(code).toBe(130);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('gives one-line errors for bad input', () => {
    const cases: Array<[string, number, RegExp]> = [
      [`${fx.broken}`, 65, /broken\.tif.*no slide could be opened/],
      [`${fx.slide} --scores ${fx.dir}/nope.parquet`, 66, /nope\.parquet/],
      [`${fx.slide} --scores ${fx.truth}`, 65, /train\.csv/],
      [`--run ${fx.dir}/nowhere`, 66, /nowhere: no such folder/],
      [`${fx.slide} --port 70000`, 64, /--port/],
      ['', 64, /give one or more slide files/],
    ];
    for (const [args, code, msg] of cases) {
      const r = sh(`${tool('view')} ${args}`);
      expect([args, r.status]).toEqual([args, code]);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});

describe.skipIf(!CHROMIUM)('wsi-view in a real browser (chromium)', () => {
  it('draws the heat map and boxes where the records say, hovers, toggles, zooms and picks slides', async () => {
    const puppeteer = (await import('puppeteer-core')).default;
    const browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu'],
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.setViewport({ width: 1200, height: 800 });
      await page.goto(served.url);
      await page.waitForFunction(() => window.__view?.fullyLoaded, { timeout: 60_000 });
      // Opaque heat so the probe sees the colour map itself.
      await page.$eval('#heat-opacity', (el) => {
        (el as HTMLInputElement).value = '1';
        el.dispatchEvent(new Event('input'));
      });
      const state = await page.evaluate(() => {
        const v = window.__view;
        return { drawn: v.drawn, n: v.patches.n, boxes: v.slide.boxes, truth: v.slide.truth };
      });
      expect(state.drawn.heat).toBe(true);
      expect(state.drawn.pred).toBe(state.boxes.length);
      expect(state.drawn.truth).toBe(state.truth.length);
      // A point of a lesion patch (score POSITIVE) as far as can be from every box edge.
      const pos = await page.evaluate((p) => {
        const v = window.__view;
        const q = v.patches;
        const edges = [...v.slide.boxes, ...v.slide.truth];
        let best = null;
        for (let i = 0; i < q.n; i++) {
          if (Math.abs(q.score[i] - p) > 1e-6) continue;
          for (const [fx, fy] of [
            [0.25, 0.25],
            [0.75, 0.25],
            [0.25, 0.75],
            [0.75, 0.75],
            [0.5, 0.5],
          ]) {
            const x = q.x0[i] + fx * q.w0[i];
            const y = q.y0[i] + fy * q.h0[i];
            const d = Math.min(
              ...edges.map((e) =>
                Math.min(Math.abs(x - e.x1), Math.abs(x - e.x2), Math.abs(y - e.y1), Math.abs(y - e.y2)),
              ),
            );
            if (!best || d > best.d) best = { d, ...v.imageToScreen(x, y) };
          }
        }
        return best;
      }, POSITIVE);
      expect(pos).not.toBe(null);
      const b = state.boxes[0];
      const t = state.truth[0];
      const edges = await page.evaluate(
        (b, t) => {
          const v = window.__view;
          return { pred: v.imageToScreen(b.x1, (b.y1 + b.y2) / 2), truth: v.imageToScreen(t.x1, (t.y1 + t.y2) / 2) };
        },
        b,
        t,
      );
      const shot1 = await page.screenshot({ path: join(ARTEFACTS, 'view-overview.png') });
      const px = await pixels(shot1);
      const viewerLeft = await page.$eval('#viewer', (el) => el.getBoundingClientRect().left);
      const at = (x: number, y: number) => px(Math.round(viewerLeft + x), Math.round(y));
      // Dark red of the colour map at 0.95 over the tissue: red high, green low.
      const [r, g] = at(pos!.x, pos!.y);
      expect(r).toBeGreaterThan(150);
      expect(g).toBeLessThan(70);
      // Predicted boxes are stroked 3 px wide just inside the edge (blue), truth just outside (green).
      expect(isBlue(at(edges.pred.x + 2, edges.pred.y))).toBe(true);
      expect(isGreen(at(edges.truth.x - 3, edges.truth.y))).toBe(true);
      // Hover: the patch's score, fold scores and label.
      await page.mouse.move(viewerLeft + pos!.x, pos!.y);
      const tip = await page.$eval('#tip', (el) => ({ text: el.textContent, hidden: (el as HTMLElement).hidden }));
      expect(tip.hidden).toBe(false);
      expect(tip.text).toContain('score 0.950');
      expect(tip.text).toContain('folds 0.940 0.950 0.960');
      expect(tip.text).toContain('label 1');
      await page.mouse.move(5, 5);
      // Heat map off: the same pixel is tissue again.
      await page.click('#layer-heat');
      await page.evaluate(() => new Promise(requestAnimationFrame));
      expect(await page.evaluate(() => window.__view.drawn.heat)).toBe(false);
      const off = (await pixels(await page.screenshot()))(Math.round(viewerLeft + pos!.x), Math.round(pos!.y));
      expect(off[1]).toBeGreaterThan(g + 30);
      await page.click('#layer-heat');
      // The box list zooms to a box; the tiles of the new view load.
      const before = await page.evaluate(() => window.__view.viewer.viewport.getZoom());
      await page.click('#box-list li');
      await page.waitForFunction(
        (z) => {
          const v = window.__view;
          return v.viewer.viewport.getZoom() > z * 2 && v.fullyLoaded && !v.viewer.isAnimating?.();
        },
        { timeout: 60_000 },
        before,
      );
      await new Promise((r) => setTimeout(r, 800));
      await page.waitForFunction(() => window.__view.fullyLoaded, { timeout: 60_000 });
      const zoomed = await page.evaluate((b) => {
        const v = window.__view;
        return { drawn: v.drawn, edge: v.imageToScreen(b.x1, (b.y1 + b.y2) / 2) };
      }, b);
      expect(zoomed.drawn.pred).toBeGreaterThanOrEqual(1);
      const shot2 = await page.screenshot({ path: join(ARTEFACTS, 'view-zoomed.png') });
      expect(isBlue((await pixels(shot2))(Math.round(viewerLeft + zoomed.edge.x + 2), Math.round(zoomed.edge.y)))).toBe(
        true,
      );
      // Tissue grid on.
      await page.click('#layer-grid');
      expect(await page.evaluate(() => window.__view.drawn.grid)).not.toBe(0);
      await page.screenshot({ path: join(ARTEFACTS, 'view-grid.png') });
      // The picker shows the broken slide as an error in the page; the first one still works.
      await page.select('#slide-picker', '1');
      await page.waitForFunction(() => !(document.getElementById('slide-error') as HTMLElement).hidden);
      expect(await page.$eval('#slide-error', (el) => el.textContent)).toMatch(/broken\.tif: not a slide/);
      await page.screenshot({ path: join(ARTEFACTS, 'view-error.png') });
      await page.select('#slide-picker', '0');
      await page.waitForFunction(() => window.__view.fullyLoaded, { timeout: 60_000 });
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});

async function pixels(png: Uint8Array) {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return (x: number, y: number) => {
    const k = (y * info.width + x) * 3;
    return [data[k], data[k + 1], data[k + 2]];
  };
}
const isBlue = ([r, g, b]: number[]) => b > 180 && r < 100 && g < 150;
const isGreen = ([r, g, b]: number[]) => g > 150 && r < 100 && b < 100;
