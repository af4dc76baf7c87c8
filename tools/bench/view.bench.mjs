// wsi-view's Deep Zoom tiles against openslide-python's DeepZoomGenerator behind a minimal Python
// HTTP server (tools/bench/view-dz.py), side by side in one run on the 30k x 30k slide of
// tile.bench.mjs: the same pan/zoom trace (viewports of 1600 x 1000 px, six requests in flight as
// a browser makes them), same tile size (254 + 1 overlap) and JPEG quality, both servers pinned to
// two cores. wsi-view runs without its tile cache, so every tile is read and encoded; a warm-up
// trace (other positions) runs first. Goal: >= 2x the baseline's throughput, p95 < 50 ms.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request, Agent } from 'node:http';
import { ROOT, report, load } from './lib.mjs';
import { buildSlide } from './tile.mjs';
import { join } from 'node:path';

const QUALITY = 75;
const TILE = 254;
const IN_FLIGHT = 6;
const slide = buildSlide({ name: 'cmu-30720x30720', across: 15, down: 12 });
const SIDE = 30720;
const LEVELS = Math.ceil(Math.log2(SIDE)) + 1;

/** A pan/zoom trace: for each zoom level, a walk of viewports across the slide; tiles in view order. */
function trace(seed) {
  let s = seed;
  const rnd = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const out = [];
  for (let z = LEVELS - 6; z < LEVELS; z++) {
    const size = Math.ceil(SIDE / 2 ** (LEVELS - 1 - z));
    const tiles = Math.ceil(size / TILE);
    for (let step = 0; step < 4; step++) {
      const cx = Math.floor(rnd() * Math.max(1, tiles - 7));
      const cy = Math.floor(rnd() * Math.max(1, tiles - 4));
      for (let r = cy; r < Math.min(tiles, cy + 4); r++)
        for (let c = cx; c < Math.min(tiles, cx + 7); c++) out.push([z, c, r]);
    }
  }
  return out;
}

function startServer(cmd, args, ready) {
  const proc = spawn('taskset', ['-c', '0,1', cmd, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    proc.once('exit', (c) => reject(new Error(`${cmd} exited ${c}`)));
    if (ready === 'stdout')
      proc.stdout.once('data', (d) => resolve({ proc, port: Number(/:(\d+)\//.exec(String(d))[1]) }));
    else setTimeout(() => resolve({ proc, port: ready }), 1500);
  });
}

async function run(port, urls) {
  const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  const lat = [];
  let bytes = 0;
  let next = 0;
  const t0 = performance.now();
  const one = ([z, c, r]) =>
    new Promise((resolve, reject) => {
      const s = performance.now();
      request({ host: '127.0.0.1', port, path: `/slides/0_files/${z}/${c}_${r}.jpeg`, agent }, (res) => {
        res.on('data', (d) => (bytes += d.length));
        res.on('end', () =>
          res.statusCode === 200
            ? (lat.push(performance.now() - s), resolve())
            : reject(new Error(`${res.statusCode} ${z}/${c}_${r}`)),
        );
      })
        .on('error', reject)
        .end();
    });
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < urls.length) await one(urls[next++]);
    }),
  );
  const wall = (performance.now() - t0) / 1000;
  agent.destroy();
  lat.sort((a, b) => a - b);
  const q = (p) => +lat[Math.min(lat.length - 1, Math.floor(p * lat.length))].toFixed(1);
  return {
    tiles: lat.length,
    tiles_per_s: +(lat.length / wall).toFixed(1),
    p50_ms: q(0.5),
    p95_ms: q(0.95),
    kB_per_tile: +(bytes / lat.length / 1024).toFixed(1),
  };
}

function peakRssMB(pid) {
  try {
    return Math.round(Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024);
  } catch {
    return null;
  }
}

const warm = trace(1);
const measured = trace(2);
const rows = {};
for (const [name, cmd, args, ready] of [
  [
    'wsi_view',
    'node',
    [join(ROOT, 'dist/apps/view/main.js'), slide, '--port', '0', '--quality', String(QUALITY), '--cache-mb', '0', '-q'],
    'stdout',
  ],
  ['python_deepzoom', '/usr/bin/python3', [join(ROOT, 'tools/bench/view-dz.py'), slide, '8771', String(QUALITY)], 8771],
]) {
  const { proc, port } = await startServer(cmd, args, ready);
  try {
    await run(port, warm);
    rows[name] = { ...(await run(port, measured)), peak_rss_mb: peakRssMB(proc.pid) };
  } finally {
    proc.kill('SIGTERM');
  }
}
const ratio = +(rows.wsi_view.tiles_per_s / rows.python_deepzoom.tiles_per_s).toFixed(2);
report({
  bench: 'view',
  slide: `${SIDE}x${SIDE}`,
  trace_tiles: measured.length,
  in_flight: IN_FLIGHT,
  quality: QUALITY,
  load1: load(),
  ...rows,
  view_vs_python_tiles_per_s: ratio,
  goals: { 'tiles/s >= 2x python': ratio >= 2, 'p95 < 50 ms': rows.wsi_view.p95_ms < 50 },
});
