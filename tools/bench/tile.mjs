#!/usr/bin/env node
// Benchmark of wsi-tile on one large slide and the same 256 px level-0 grid, against
//   - `vips dzsave --tile-size 256 --overlap 0 --depth one` (Debian libvips-tools), and
//   - a single-process Python script (Debian python3-openslide + PIL) that reads and JPEG-encodes
//     every patch,
// all at JPEG quality 85. Reports patches per CPU-second and per wall-second, the ratios, and
// each process's peak RSS, plus wsi-tile reading through OpenSlide (--reader openslide) instead
// of decoding the JPEG tiles itself, with tissue detection on, and on a slide a quarter the size
// (peak RSS must not grow with the slide). Prints one JSON line.
//
// The slides are built once from the CMU-1-Small-Region fixture with vips (Aperio-style: JPEG
// tiles of 240 px with the fixture's Aperio description, 20x, 0.499 µm/px, pyramid) and cached
// in bench-out/tile/.
//
// usage: node tools/bench/tile.mjs            (after `npm run build`)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
import { SVS } from '@slidepipe/fixtures';
const OUT = join(ROOT, 'bench-out/tile');
const TILE = join(ROOT, 'dist/apps/tile/main.js');
const PYTHON = '/usr/bin/python3';
const QUALITY = 85;
// 2048 x 2560 px of the fixture replicated 15 x 12 times: 30720 x 30720 px, 14 400 patches of 256.
const CROP = { width: 2048, height: 2560 };
const LARGE = { name: 'cmu-30720x30720', across: 15, down: 12 };
const QUARTER = { name: 'cmu-30720x7680', across: 15, down: 3 };

// sharp (when loaded in the same process) puts VIPSHOME into the environment, which breaks
// Debian's vips: pass an environment without it.
const env = { ...process.env };
delete env.VIPSHOME;

function vips(...args) {
  execFileSync('vips', args, { env, stdio: ['ignore', 'ignore', 'inherit'] });
}

/** Builds (once) the Aperio-style slide `spec` and returns its path. */
export function buildSlide(spec) {
  const path = join(OUT, `${spec.name}.svs`);
  if (existsSync(path)) return path;
  mkdirSync(OUT, { recursive: true });
  const crop = join(OUT, 'crop.v');
  if (!existsSync(crop)) {
    // tiffload keeps the fixture's Aperio ImageDescription, so vips writes it again: OpenSlide
    // then reads the result as Aperio (mpp 0.499, objective 20x) with 240 px JPEG tiles.
    const src = join(OUT, 'src.v');
    vips('tiffload', SVS, src);
    vips('crop', src, crop, '0', '0', String(CROP.width), String(CROP.height));
    rmSync(src);
  }
  const tmp = join(OUT, `${spec.name}.tmp.tif`);
  vips(
    'replicate',
    crop,
    `${tmp}[tile,tile-width=240,tile-height=240,pyramid,compression=jpeg,Q=80]`,
    String(spec.across),
    String(spec.down),
  );
  renameSync(tmp, path);
  return path;
}

const PYTHON_SCRIPT = `
import io, sys, openslide
path, tile, quality = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = openslide.OpenSlide(path)
w, h = s.dimensions
n = 0
for y in range(0, h, tile):
    for x in range(0, w, tile):
        rgb = s.read_region((x, y), 0, (tile, tile)).convert('RGB')
        rgb.save(io.BytesIO(), format='JPEG', quality=quality)
        n += 1
print(n)
`;

/** Runs a command under /usr/bin/time; stdout goes to /dev/null unless kept. */
function measure(label, cmd, args, { keepStdout = false } = {}) {
  const timeFile = join(OUT, `time-${process.pid}.txt`);
  const before = loadavg()[0];
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', '-o', timeFile, cmd, ...args], {
    env,
    cwd: OUT,
    stdio: ['ignore', keepStdout ? 'pipe' : 'ignore', 'pipe'],
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(`${label}: exit ${r.status}: ${r.stderr}`);
  const [wall, user, sys, rssKb] = readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(/\s+/).map(Number);
  rmSync(timeFile);
  return {
    label,
    wall_s: wall,
    cpu_s: user + sys,
    peak_rss_mb: Math.round(rssKb / 1024),
    load_before: before,
    stdout: keepStdout ? r.stdout.toString() : '',
    stderr: r.stderr.toString(),
  };
}

function row(m, patches) {
  const { stdout: _o, stderr: _e, ...rest } = m;
  return {
    ...rest,
    patches,
    patches_per_cpu_s: Math.round(patches / m.cpu_s),
    patches_per_wall_s: Math.round(patches / m.wall_s),
  };
}

/** wsi-tile writes "<n> patches to <stdout> in ..." on stderr. */
function tilePatches(m) {
  const match = /(\d+) patches to /.exec(m.stderr);
  if (!match) throw new Error(`${m.label}: no patch count in its log: ${m.stderr}`);
  return Number(match[1]);
}

export function benchTile() {
  if (!existsSync(TILE)) throw new Error(`${TILE} is not built: run npm run build`);
  const large = buildSlide(LARGE);
  const quarter = buildSlide(QUARTER);
  const pyScript = join(OUT, 'tile_baseline.py');
  writeFileSync(pyScript, PYTHON_SCRIPT);
  const dz = join(OUT, 'dz');
  rmSync(`${dz}_files`, { recursive: true, force: true });
  const load = { before: loadavg().map((x) => +x.toFixed(2)), cpus: availableParallelism() };

  const tile = measure('wsi-tile --tissue none', 'node', [
    TILE,
    large,
    '--tissue',
    'none',
    '--quality',
    String(QUALITY),
  ]);
  const vipsRun = measure('vips dzsave', 'vips', [
    'dzsave',
    large,
    dz,
    '--tile-size',
    '256',
    '--overlap',
    '0',
    '--depth',
    'one',
    '--suffix',
    `.jpg[Q=${QUALITY}]`,
  ]);
  const vipsPatches = readdirSync(join(`${dz}_files`, '0')).length;
  rmSync(`${dz}_files`, { recursive: true, force: true });
  rmSync(`${dz}.dzi`, { force: true });
  const py = measure('python openslide+PIL', PYTHON, [pyScript, large, '256', String(QUALITY)], { keepStdout: true });
  const pyPatches = Number(py.stdout.trim());
  const viaOpenslide = measure('wsi-tile --tissue none --reader openslide', 'node', [
    TILE,
    large,
    '--tissue',
    'none',
    '--reader',
    'openslide',
    '--quality',
    String(QUALITY),
  ]);
  const tissue = measure('wsi-tile (rgb-distance)', 'node', [TILE, large, '--quality', String(QUALITY)]);
  const small = measure('wsi-tile --tissue none, quarter slide', 'node', [
    TILE,
    quarter,
    '--tissue',
    'none',
    '--quality',
    String(QUALITY),
  ]);
  load.after = loadavg().map((x) => +x.toFixed(2));

  const rows = {
    tile: row(tile, tilePatches(tile)),
    vips_dzsave: row(vipsRun, vipsPatches),
    python: row(py, pyPatches),
    tile_openslide_reader: row(viaOpenslide, tilePatches(viaOpenslide)),
    tile_tissue: row(tissue, tilePatches(tissue)),
    tile_quarter_slide: row(small, tilePatches(small)),
  };
  const ratios = {
    tile_vs_vips_per_cpu_s: +(rows.tile.patches_per_cpu_s / rows.vips_dzsave.patches_per_cpu_s).toFixed(2),
    tile_vs_python_per_cpu_s: +(rows.tile.patches_per_cpu_s / rows.python.patches_per_cpu_s).toFixed(2),
    tile_vs_python_wall: +(rows.tile.patches_per_wall_s / rows.python.patches_per_wall_s).toFixed(2),
    tile_openslide_reader_vs_vips_per_cpu_s: +(
      rows.tile_openslide_reader.patches_per_cpu_s / rows.vips_dzsave.patches_per_cpu_s
    ).toFixed(2),
    tile_openslide_reader_vs_python_per_cpu_s: +(
      rows.tile_openslide_reader.patches_per_cpu_s / rows.python.patches_per_cpu_s
    ).toFixed(2),
    tile_openslide_reader_vs_python_wall: +(
      rows.tile_openslide_reader.patches_per_wall_s / rows.python.patches_per_wall_s
    ).toFixed(2),
    tile_rss_large_vs_quarter: +(rows.tile.peak_rss_mb / rows.tile_quarter_slide.peak_rss_mb).toFixed(2),
  };
  const targets = {
    'tile >= 1.2x vips per CPU-s': ratios.tile_vs_vips_per_cpu_s >= 1.2,
    'tile >= 1.0x python per CPU-s': ratios.tile_vs_python_per_cpu_s >= 1.0,
    'tile >= 1.6x python in wall time': ratios.tile_vs_python_wall >= 1.6,
    'tile peak RSS < 500 MB': [rows.tile, rows.tile_openslide_reader, rows.tile_tissue].every(
      (r) => r.peak_rss_mb < 500,
    ),
  };
  return {
    bench: 'tile',
    slide: { path: large, width0: 30720, height0: 30720, tile_px: 256, grid_patches: 14400, jpeg_quality: QUALITY },
    load,
    rows,
    ratios,
    targets,
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.stdout.write(`${JSON.stringify(benchTile())}\n`);
}
