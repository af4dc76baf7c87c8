// wsi-tile through real pipes on the fixture slides and on slides made here with vips, checked
// against independent computations: python3-openslide reads of the same regions, a PIL tissue mask.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sh, tmp } from './helpers';
import { GENERIC_JPEG_TIF, SMALL_LEVELS_TIFF, SVS } from '@slidepipe/fixtures';

const GENERIC_TIF = GENERIC_JPEG_TIF;
const NO_MPP_TIFF = SMALL_LEVELS_TIFF;
// Debian's interpreter has python3-openslide and python3-pil; the one on PATH may not.
const PYTHON = '/usr/bin/python3';
// Loading sharp puts VIPSHOME=/target (its bundled libvips) into this process's environment;
// Debian's vips then cannot find its OpenSlide module and quietly loads slides with tiffload.
const VIPS = 'env -u VIPSHOME vips';

interface Patch {
  slide_id: string;
  x0: number;
  y0: number;
  w0: number;
  h0: number;
  col: number;
  row: number;
  mpp: number;
  tissue: number;
  image: string | null;
}

/** Runs a pipe in `cwd` and fails with its stderr when it does not exit 0. */
function ok(script: string, cwd: string): string {
  const r = sh(script, { cwd });
  if (r.status !== 0) throw new Error(`exit ${r.status}: ${script}\n${r.stderr}`);
  return r.stdout.toString();
}

/** `wsi-tile ARGS | wsi-cat --jsonl --binary`, parsed. */
function tile(args: string, cwd: string): Patch[] {
  return ok(`wsi-tile ${args} -q | wsi-cat --jsonl --binary`, cwd)
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Patch);
}

function schemaOf(
  args: string,
  cwd: string,
): {
  slide: Record<string, unknown>;
  facts: Record<string, unknown>;
  provenance: { tool: string; params: Record<string, unknown> }[];
} {
  return JSON.parse(ok(`wsi-tile ${args} -q | wsi-cat --schema`, cwd));
}

function python(script: string, args: string[]): Buffer {
  return execFileSync(PYTHON, ['-c', script, ...args], { maxBuffer: 1 << 28 });
}

// OpenSlide's own read of level-0 regions, composited on white by PIL, optionally box-shrunk;
// then the same pixels through PIL's JPEG at our default settings (quality 85, 4:2:0), which says
// how close a JPEG patch can be.
const READ_SCRIPT = `
import io, json, sys, openslide
from PIL import Image
s = openslide.OpenSlide(sys.argv[1])
out = sys.stdout.buffer
for x, y, w, h, to in json.loads(sys.argv[2]):
    im = s.read_region((x, y), 0, (w, h))
    im = Image.alpha_composite(Image.new('RGBA', im.size, (255, 255, 255, 255)), im).convert('RGB')
    if to != w:
        im = im.resize((to, to), Image.BOX)
    out.write(im.tobytes())
    b = io.BytesIO()
    im.save(b, 'JPEG', quality=85, subsampling=2)
    out.write(Image.open(b).convert('RGB').tobytes())
`;

interface Reference {
  /** OpenSlide's pixels. */
  rgb: Buffer;
  /** Mean absolute difference PIL's JPEG leaves on them. */
  jpegError: number;
}

/** OpenSlide's reads of [x0, y0, side0, sidePx] squares, in order. */
function openslideRegions(path: string, regions: [number, number, number, number][]): Reference[] {
  const raw = python(READ_SCRIPT, [path, JSON.stringify(regions.map(([x, y, s, to]) => [x, y, s, s, to]))]);
  const out: Reference[] = [];
  let at = 0;
  for (const [, , , to] of regions) {
    const n = to * to * 3;
    const rgb = raw.subarray(at, at + n);
    out.push({ rgb, jpegError: meanAbsDiff(rgb, raw.subarray(at + n, at + 2 * n)) });
    at += 2 * n;
  }
  return out;
}

/** Our patch is as close to OpenSlide's pixels as a JPEG of the same settings can be. */
function expectAsCloseAsJpeg(patch: Uint8Array, ref: Reference, what: string): void {
  const err = meanAbsDiff(patch, ref.rgb);
  expect(err, what).toBeLessThanOrEqual(ref.jpegError * 1.15 + 0.3);
  // H&E at quality 85 with 4:2:0 chroma: a few levels on average.
  expect(err, what).toBeLessThan(8);
}

async function jpegRgb(base64: string): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(Buffer.from(base64, 'base64'))
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

// FAST's rule at full resolution, with no morphology: the fraction of each 256 px cell (every
// other pixel sampled) whose colour is farther than 85 from white and not near-black.
const CELL_TISSUE_SCRIPT = `
import json, sys, openslide
s = openslide.OpenSlide(sys.argv[1])
W, H = s.dimensions
px = s.read_region((0, 0), 0, (W, H)).convert('RGB').load()
out = {}
for row in range((H + 255) // 256):
    for col in range((W + 255) // 256):
        t = 0
        for y in range(row * 256, min(H, row * 256 + 256), 2):
            for x in range(col * 256, min(W, col * 256 + 256), 2):
                r, g, b = px[x, y]
                if not (r <= 30 and g <= 30 and b <= 30) and (255 - r) ** 2 + (255 - g) ** 2 + (255 - b) ** 2 > 85 * 85:
                    t += 1
        out['%d,%d' % (col, row)] = t / (128 * 128)
print(json.dumps(out))
`;

// The same rule on a box-filtered picture of the mask's size, closed with a 9 px square (PIL's
// max then min filter), 0/255 bytes.
const MASK_SCRIPT = `
import sys, openslide
from PIL import Image, ImageFilter
s = openslide.OpenSlide(sys.argv[1])
w, h = int(sys.argv[2]), int(sys.argv[3])
im = s.read_region((0, 0), 0, s.dimensions)
im = Image.alpha_composite(Image.new('RGBA', im.size, (255, 255, 255, 255)), im).convert('RGB').resize((w, h), Image.BOX)
raw = Image.new('L', (w, h))
raw.putdata([255 if not (r <= 30 and g <= 30 and b <= 30) and (255 - r) ** 2 + (255 - g) ** 2 + (255 - b) ** 2 > 85 * 85 else 0 for r, g, b in im.getdata()])
sys.stdout.buffer.write(raw.filter(ImageFilter.MaxFilter(9)).filter(ImageFilter.MinFilter(9)).tobytes())
`;

describe('wsi-tile on the 20x fixtures', () => {
  const dir = tmp('wsi-tile-e2e-');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let svsPatches: Patch[];

  beforeAll(() => {
    svsPatches = tile(`${SVS} --magnification 20 --mask-png mask.png`, dir);
  });

  it('cuts 256 px patches on the level-0 grid at 20x for the SVS', () => {
    expect(svsPatches.length).toBeGreaterThan(20);
    for (const p of svsPatches) {
      expect(p).toMatchObject({ slide_id: 'CMU-1-Small-Region', w0: 256, h0: 256, x0: p.col * 256, y0: p.row * 256 });
      expect(p.mpp).toBeCloseTo(0.499, 6);
      expect(p.tissue).toBeGreaterThanOrEqual(0.5);
      expect(p.image).not.toBeNull();
    }
    // Each cell once (records come block by block, not row by row).
    expect(new Set(svsPatches.map((p) => `${p.col},${p.row}`)).size).toBe(svsPatches.length);
  });

  it('puts patches where an independent full-resolution tissue count finds tissue', () => {
    const ref = JSON.parse(python(CELL_TISSUE_SCRIPT, [SVS]).toString()) as Record<string, number>;
    const kept = new Set(svsPatches.map((p) => `${p.col},${p.row}`));
    const cells = Object.entries(ref);
    expect(cells).toHaveLength(9 * 12);
    // No kept cell is mostly background, no dropped cell mostly tissue (the mask is closed, so
    // kept cells may hold some unstained gaps the raw count misses).
    for (const [cell, fraction] of cells) {
      if (kept.has(cell)) expect(fraction, cell).toBeGreaterThanOrEqual(0.3);
      else expect(fraction, cell).toBeLessThan(0.6);
    }
    const agree = cells.filter(([cell, f]) => kept.has(cell) === f >= 0.45).length;
    expect(agree / cells.length).toBeGreaterThanOrEqual(0.95);
  });

  it('writes a tissue mask that agrees with a PIL computation of the same rule', async () => {
    const { data, info } = await sharp(join(dir, 'mask.png'))
      .toColourspace('b-w')
      .raw()
      .toBuffer({ resolveWithObject: true });
    // About 4 µm per mask pixel.
    expect([info.width, info.height]).toEqual([277, 370]);
    const ref = python(MASK_SCRIPT, [SVS, String(info.width), String(info.height)]);
    let same = 0;
    let tissue = 0;
    for (let i = 0; i < ref.length; i++) {
      if (data[i] > 127 === ref[i] > 127) same++;
      if (ref[i] > 127) tissue++;
    }
    expect(tissue / ref.length).toBeGreaterThan(0.25);
    // Our closing uses a disc, the reference a square: they differ along the outline only.
    expect(same / ref.length).toBeGreaterThanOrEqual(0.97);
  });

  it('gives the generic TIFF, whose mpp is only in its TIFF resolution tags, the same 20x grid', () => {
    const generic = tile(`${GENERIC_TIF} --magnification 20`, dir);
    for (const p of generic) {
      expect(p).toMatchObject({ w0: 256, h0: 256, x0: p.col * 256, y0: p.row * 256 });
      expect(p.mpp).toBeCloseTo(0.499, 3);
    }
    const a = new Set(svsPatches.map((p) => `${p.col},${p.row}`));
    const b = new Set(generic.map((p) => `${p.col},${p.row}`));
    const both = [...a].filter((c) => b.has(c)).length;
    expect(both / new Set([...a, ...b]).size).toBeGreaterThanOrEqual(0.9);
    const facts = schemaOf(`${GENERIC_TIF} --magnification 20 --no-pixels`, dir).facts;
    expect(facts).toMatchObject({
      slide_mpp_source: 'tiff-resolution',
      level: 0,
      read_px: 256,
      resample_factor: 1,
      magnification: 20,
    });
  });

  it("decodes to OpenSlide's own read of each region, edges composited on white", async () => {
    const all = tile(`${SVS} --tissue none --min-tissue 0`, dir);
    expect(all).toHaveLength(9 * 12);
    // Tissue, background, the right edge and the bottom-right corner (mostly outside the slide).
    const pick = all.filter((p) => ['4,6', '0,0', '8,5', '8,11', '3,11'].includes(`${p.col},${p.row}`));
    expect(pick).toHaveLength(5);
    const refs = openslideRegions(
      SVS,
      pick.map((p) => [p.x0, p.y0, 256, 256]),
    );
    for (const [i, p] of pick.entries()) {
      const img = await jpegRgb(p.image!);
      expect([img.width, img.height]).toEqual([256, 256]);
      expectAsCloseAsJpeg(img.data, refs[i], `${p.col},${p.row}`);
    }
    // Outside the slide is white, not black.
    const corner = await jpegRgb(pick.find((p) => p.col === 8 && p.row === 11)!.image!);
    const at = (255 * 256 + 255) * 3;
    expect([...corner.data.subarray(at, at + 3)].every((v) => v >= 250)).toBe(true);
  });

  it('gives the same records through OpenSlide as from the JPEG tiles decoded directly', () => {
    ok(`wsi-tile ${GENERIC_TIF} --stride-px 200 -q | wsi-cat --jsonl --binary > direct.jsonl`, dir);
    ok(
      `wsi-tile ${GENERIC_TIF} --stride-px 200 -q --reader openslide | wsi-cat --jsonl --binary > openslide.jsonl`,
      dir,
    );
    // Blocks differ in size between the two, so the order does; the records do not.
    const lines = (name: string) => readFileSync(join(dir, name), 'utf8').trim().split('\n').sort();
    const direct = lines('direct.jsonl');
    expect(direct.length).toBeGreaterThan(30);
    expect(lines('openslide.jsonl')).toEqual(direct);
  });

  it('overlaps patches with --stride-px and keeps coordinates in level-0 pixels', () => {
    const half = tile(`${SVS} --stride-px 128 --no-pixels`, dir);
    for (const p of half) expect(p).toMatchObject({ x0: p.col * 128, y0: p.row * 128, w0: 256, image: null });
    // About four times the patches of the plain grid.
    expect(half.length).toBeGreaterThan(3 * svsPatches.length);
    expect(half.length).toBeLessThan(5 * svsPatches.length);
  });

  it('writes a grid picture a person can check: the slide enlarged, tissue outlined, kept patches boxed', async () => {
    ok(`wsi-tile ${SVS} --grid-png grid.png --no-pixels -q > /dev/null`, dir);
    const png = join(dir, 'grid.png');
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect((await sharp(png).metadata()).format).toBe('png');
    // The 277 x 370 tissue picture enlarged to 1024 px high.
    expect(info.height).toBe(1024);
    expect(info.width).toBe(Math.round((277 * 1024) / 370));
    const isBox = (x: number, y: number) => {
      const o = (y * info.width + x) * info.channels;
      return data[o] === 20 && data[o + 1] === 80 && data[o + 2] === 230;
    };
    // The top edge of every kept patch is drawn; a background cell far from any patch is not.
    const sx = info.width / 2220;
    const sy = info.height / 2967;
    for (const p of svsPatches)
      expect(isBox(Math.round((p.x0 + 128) * sx), Math.round(p.y0 * sy)), `${p.col},${p.row}`).toBe(true);
    expect(isBox(Math.round(128 * sx), Math.round(128 * sy))).toBe(false);
  });

  it('writes Parquet with -o, and Arrow to a pipe, with the slide facts and a provenance entry', () => {
    ok(`wsi-tile ${SVS} --no-pixels -q -o p.parquet`, dir);
    expect(ok('wsi-cat --count p.parquet', dir).trim()).toBe(String(svsPatches.length));
    const schema = schemaOf(`${SVS} --no-pixels --tile-px 128`, dir);
    expect(schema.slide).toMatchObject({
      slide_id: 'CMU-1-Small-Region',
      patient_id: 'CMU-1-Small-Region',
      width0: 2220,
      height0: 2967,
      mpp0: 0.499,
      vendor: 'aperio',
    });
    expect(schema.facts).toMatchObject({
      tile_px: 128,
      stride_px: 128,
      mpp: 0.499,
      target_mpp: 0.5,
      image: null,
      reader: 'tiff-jpeg-tiles',
    });
    expect(schema.provenance.map((p) => p.tool)).toEqual(['wsi-tile']);
    expect(schema.provenance[0].params).toMatchObject({
      tile_px: 128,
      tissue: { method: 'rgb-distance' },
      min_tissue: 0.5,
    });
  });

  it('takes DigiLut ids from <patient>_<a|b> file names, or from --slide-id/--patient-id', () => {
    symlinkSync(SVS, join(dir, '1234_b.svs'));
    expect(schemaOf('1234_b.svs --no-pixels', dir).slide).toMatchObject({ slide_id: '1234_b', patient_id: '1234' });
    expect(schemaOf('1234_b.svs --no-pixels --slide-id S9 --patient-id P4', dir).slide).toMatchObject({
      slide_id: 'S9',
      patient_id: 'P4',
    });
    expect(tile('1234_b.svs --no-pixels', dir)[0].slide_id).toBe('1234_b');
  });
});

describe('wsi-tile resampling', () => {
  const dir = tmp('wsi-tile-e2e-resample-');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const slide = join(dir, 'x2-0.25mpp.tif');

  beforeAll(() => {
    // The fixture enlarged twice as a single-level tiled JPEG TIFF at 0.25 µm/px (40000 px/cm):
    // no level at 0.5 µm/px, so 512 px must be read and halved.
    ok(
      `${VIPS} flatten ${SVS} flat.v --background 255 && ${VIPS} resize flat.v x2.v 2 && ${VIPS} tiffsave x2.v ${slide} --tile --tile-width 256 --tile-height 256 --compression jpeg --Q 90 --xres 4000 --yres 4000 && rm flat.v x2.v`,
      dir,
    );
  });

  it('reads 512 px regions of a 0.25 µm/px slide and shrinks them to 256 px at 0.5 µm/px', async () => {
    const facts = schemaOf(`${slide} --no-pixels`, dir).facts;
    expect(facts).toMatchObject({
      slide_mpp_source: 'tiff-resolution',
      level: 0,
      read_px: 512,
      resample_factor: 2,
      extent0_px: 512,
      mpp: 0.5,
    });
    const patches = tile(`${slide} --min-tissue 0.9`, dir);
    expect(patches.length).toBeGreaterThan(10);
    for (const p of patches) {
      expect(p).toMatchObject({ w0: 512, h0: 512, x0: p.col * 512, y0: p.row * 512 });
      expect(p.mpp).toBeCloseTo(0.5, 6);
    }
    const pick = patches.filter((_, i) => i % Math.ceil(patches.length / 4) === 0);
    // Against OpenSlide's read of the 512 px region, box-filtered to 256 by PIL, and against the
    // original 0.5 µm/px slide at the same place (which went through one resize and JPEG less).
    const shrunk = openslideRegions(
      slide,
      pick.map((p) => [p.x0, p.y0, 512, 256]),
    );
    const original = openslideRegions(
      SVS,
      pick.map((p) => [p.x0 / 2, p.y0 / 2, 256, 256]),
    );
    for (const [i, p] of pick.entries()) {
      const img = await jpegRgb(p.image!);
      expect([img.width, img.height]).toEqual([256, 256]);
      expectAsCloseAsJpeg(img.data, shrunk[i], `${p.col},${p.row}`);
      // Enlarged, JPEG-compressed and shrunk again: softer than the original, still the same place.
      expect(meanAbsDiff(img.data, original[i].rgb), `${p.col},${p.row}`).toBeLessThan(original[i].jpegError + 4);
    }
  });

  it('replaces a wrong slide mpp with --slide-mpp', () => {
    expect(schemaOf(`${SVS} --slide-mpp 0.25 --no-pixels`, dir)).toMatchObject({
      slide: { mpp0: 0.25 },
      facts: { slide_mpp_source: 'override', read_px: 512, resample_factor: 2, extent0_px: 512 },
    });
  });
});

/** The Compression tag (259) of every IFD of a little-endian classic TIFF; `set` rewrites it in place. */
function tiffCompression(path: string, set?: number): number[] {
  const b = readFileSync(path);
  expect(b.toString('latin1', 0, 4)).toBe('II*\0');
  const found: number[] = [];
  for (let ifd = b.readUInt32LE(4); ifd;) {
    const n = b.readUInt16LE(ifd);
    for (let i = 0; i < n; i++) {
      const entry = ifd + 2 + 12 * i;
      if (b.readUInt16LE(entry) !== 259) continue;
      if (set !== undefined) b.writeUInt16LE(set, entry + 8);
      found.push(b.readUInt16LE(entry + 8));
    }
    ifd = b.readUInt32LE(ifd + 2 + 12 * n);
  }
  if (set !== undefined) writeFileSync(path, b);
  return found;
}

describe('wsi-tile on a JPEG 2000 Aperio SVS', () => {
  const dir = tmp('wsi-tile-e2e-jp2k-');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const slide = join(dir, 'jp2k.svs');

  beforeAll(() => {
    // vips keeps the Aperio ImageDescription from tiffload, writes JPEG 2000 tiles holding YCbCr
    // (as Aperio does), but tags them 33004, which OpenSlide refuses; Aperio's tag for those
    // tiles is 33003. A 1024 px crop keeps the encode short.
    ok(
      `${VIPS} tiffload ${SVS} src.v && ${VIPS} crop src.v crop.v 0 1024 1024 1024 && ${VIPS} tiffsave crop.v ${slide} --tile --tile-width 240 --tile-height 240 --compression jp2k --Q 80 && rm src.v crop.v`,
      dir,
    );
    // 33004 is what vips writes: OpenSlide refuses it (the test below would fail without the fix).
    expect(tiffCompression(slide)).toEqual([33004]);
    tiffCompression(slide, 33003);
  });

  it('is read by OpenSlide as an Aperio slide with JPEG 2000 tiles', () => {
    const props = execFileSync('openslide-show-properties', [slide]).toString();
    expect(props).toMatch(/openslide.vendor: 'aperio'/);
    expect(props).toMatch(/openslide.mpp-x: '0.499'/);
    expect(tiffCompression(slide)).toEqual([33003]);
  });

  it('tiles it through OpenSlide, with patches equal to OpenSlide reads and to the JPEG original', async () => {
    expect(schemaOf(`${slide} --no-pixels`, dir).facts).toMatchObject({ reader: 'openslide' });
    const patches = tile(`${slide} --tissue none --min-tissue 1`, dir);
    expect(patches).toHaveLength(16);
    const pick = patches.filter((p) => (p.col + p.row) % 5 === 0);
    const refs = openslideRegions(
      slide,
      pick.map((p) => [p.x0, p.y0, 256, 256]),
    );
    const originals = openslideRegions(
      SVS,
      pick.map((p) => [p.x0, p.y0 + 1024, 256, 256]),
    );
    for (const [i, p] of pick.entries()) {
      const img = await jpegRgb(p.image!);
      expectAsCloseAsJpeg(img.data, refs[i], `${p.col},${p.row}`);
      // JPEG 2000 at Q80 of the original, then our JPEG: a little further from the original.
      expect(meanAbsDiff(img.data, originals[i].rgb), `${p.col},${p.row}`).toBeLessThan(originals[i].jpegError + 3);
    }
  });
});

describe('wsi-tile refusals', () => {
  const dir = tmp('wsi-tile-e2e-bad-');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  beforeAll(() => {
    const svs = readFileSync(SVS);
    writeFileSync(join(dir, 'truncated.svs'), svs.subarray(0, svs.length >> 1));
    // Zeros over tile data in the middle of level 0: the file opens, the reads fail.
    writeFileSync(join(dir, 'damaged.svs'), Buffer.from(svs).fill(0, 400_000, 900_000));
    writeFileSync(join(dir, 'text.svs'), 'not a slide\n');
  });

  const fails = (script: string, status: number, pattern: RegExp) => {
    const r = sh(script, { cwd: dir });
    expect(r.status, script).toBe(status);
    // Parse errors from commander add a hint line.
    const lines = r.stderr
      .trim()
      .split('\n')
      .filter((l) => l !== 'wsi-tile: (run with --help for usage)');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0], script).toMatch(pattern);
  };

  it('fails in one line, leaving no output, on a truncated, damaged, non-slide or missing file', () => {
    fails(
      'wsi-tile truncated.svs -o out.parquet',
      65,
      /^wsi-tile: not a slide OpenSlide can read \(a TIFF file, but not a readable slide: truncated/,
    );
    fails('wsi-tile text.svs -o out.parquet', 65, /^wsi-tile: not a slide OpenSlide can read \(slide text\.svs\)$/);
    fails('wsi-tile missing.svs -o out.parquet', 66, /^wsi-tile: file not found \(slide missing\.svs\)$/);
    // Damage found while reading the tissue picture or the patches, from the JPEG tiles or through OpenSlide.
    fails(
      'wsi-tile damaged.svs -q --grid-png grid.png -o out.parquet',
      65,
      /^wsi-tile: cannot read tile \d+ of directory 0: JPEG decode failed: .*\(slide damaged\.svs\)$/,
    );
    fails(
      'wsi-tile damaged.svs -q --tissue none -o out.arrows',
      65,
      /^wsi-tile: cannot read tile \d+ of directory 0: JPEG decode failed: .*\(slide damaged\.svs\)$/,
    );
    fails(
      'wsi-tile damaged.svs -q --reader openslide -o out.arrows',
      65,
      /^wsi-tile: cannot read region .*: (Premature end of JPEG file|Not a JPEG file).*\(slide damaged\.svs\)$/,
    );
    fails(
      'wsi-tile damaged.svs -q --tissue none --reader openslide -o out.arrows',
      65,
      /^wsi-tile: cannot read region .*: (Premature end of JPEG file|Not a JPEG file).*\(slide damaged\.svs\)$/,
    );
    expect(readdirSync(dir).sort()).toEqual(['damaged.svs', 'text.svs', 'truncated.svs']);
  });

  it('tells the next tool in the pipe that the stream was cut when a read fails midway', () => {
    const r = sh('wsi-tile damaged.svs -q --tissue none --tile-px 64 | wsi-cat --count', { cwd: dir });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/wsi-tile: cannot read tile/);
    expect(r.stderr).toMatch(/wsi-cat: <stdin>: stream ends without its end-of-stream marker/);
  });

  it('asks for --slide-mpp when the slide has no resolution, and works with it', () => {
    fails(`wsi-tile ${NO_MPP_TIFF} -o out.arrows`, 65, /states no resolution.*give it with --slide-mpp/);
    expect(existsSync(join(dir, 'out.arrows'))).toBe(false);
    const patches = tile(`${NO_MPP_TIFF} --slide-mpp 0.5 --tile-px 64 --tissue none`, dir);
    expect(patches.length).toBeGreaterThan(0);
    expect(patches[0]).toMatchObject({ w0: 64, mpp: 0.5 });
  });

  it('refuses bad flags before reading the slide', () => {
    fails(`wsi-tile ${SVS} --tissue otsu-saturation:minAreaPx=-3`, 64, /^wsi-tile: --tissue: .*minAreaPx/);
    fails(
      `wsi-tile ${SVS} --tissue fancy`,
      64,
      /^wsi-tile: --tissue: .*expected one of rgb-distance, otsu-saturation, none/,
    );
    fails(`wsi-tile ${SVS} --min-tissue 2`, 64, /--min-tissue: expected a number in 0..1, got "2"/);
    fails(`wsi-tile ${SVS} --mpp 0.5 --magnification 20`, 64, /cannot be used with/);
    fails(`wsi-tile ${SVS} --mpp 0.1 > /dev/null`, 64, /--mpp 0.1: finer than the slide's level 0/);
    fails(
      `wsi-tile ${SVS} --mpp 1000 -o big.parquet`,
      64,
      /--mpp 1000: a 256 px patch covers 513026 px of level 0, more than the slide \(2220 x 2967 px/,
    );
    fails(`wsi-tile ${SVS} --mpp 1000 --tissue none --min-tissue 0 -o big.parquet`, 64, /more than the slide/);
    fails(
      `wsi-tile ${SVS} --slide-id ../../escaped -o esc.parquet`,
      65,
      /^wsi-tile: --slide-id: slide id "\.\.\/\.\.\/escaped" contains a path separator/,
    );
    fails('wsi-tile - -o stdin.parquet', 64, /^wsi-tile: <slide>: a slide is read from a file, not from stdin/);
    expect(readdirSync(dir).filter((f) => /big|esc|stdin/.test(f))).toEqual([]);
    writeFileSync(join(dir, 'exists.parquet'), '');
    fails(`wsi-tile ${SVS} -o exists.parquet`, 73, /exists\.parquet: output exists \(use --force/);
  });
});
