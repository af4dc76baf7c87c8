// Reads generated slides back through OpenSlide, the way the rest of slidepipe will: the
// properties via openslide-show-properties, pixels via python3-openslide (Debian packages that
// tools/setup.sh installs). Used by the tests only.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian's python3 has the openslide module; a pyenv python3 on PATH may not. */
export const PYTHON = process.env.SLIDEPIPE_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

export function slideProperties(path: string): Record<string, string> {
  const text = execFileSync('openslide-show-properties', [path], { encoding: 'utf8', maxBuffer: 16 << 20 });
  const props: Record<string, string> = {};
  // Lines read "key: 'value'"; a value may span lines (the Aperio description does).
  for (const m of text.matchAll(/^([^\s:][^:]*): '([\s\S]*?)'$/gm)) props[m[1]] = m[2];
  return props;
}

export interface Region {
  x0: number;
  y0: number;
  level: number;
  widthPx: number;
  heightPx: number;
}

const READ_REGIONS = `
import sys, json, openslide
slide = openslide.OpenSlide(sys.argv[1])
out = sys.stdout.buffer
for r in json.loads(sys.stdin.read()):
    im = slide.read_region((r['x0'], r['y0']), r['level'], (r['widthPx'], r['heightPx']))
    out.write(im.convert('RGB').tobytes())
`;

/** RGB pixels of each region (x0, y0 in level-0 px), read through OpenSlide. */
export function readRegions(path: string, regions: Region[]): Uint8Array[] {
  const raw = execFileSync(PYTHON, ['-c', READ_REGIONS, path], { input: JSON.stringify(regions), maxBuffer: 1 << 30 });
  const out: Uint8Array[] = [];
  let at = 0;
  for (const r of regions) {
    const n = r.widthPx * r.heightPx * 3;
    out.push(new Uint8Array(raw.buffer, raw.byteOffset + at, n));
    at += n;
  }
  if (at !== raw.length) throw new Error(`readRegions: expected ${at} bytes from OpenSlide, got ${raw.length}`);
  return out;
}

const INFO = `
import sys, json, openslide
s = openslide.OpenSlide(sys.argv[1])
print(json.dumps({'dimensions': s.dimensions, 'levels': s.level_count, 'levelDimensions': s.level_dimensions,
  'downsamples': s.level_downsamples, 'vendor': s.properties.get('openslide.vendor'),
  'mpp': [s.properties.get('openslide.mpp-x'), s.properties.get('openslide.mpp-y')],
  'objectivePower': s.properties.get('openslide.objective-power'),
  'associated': sorted(s.associated_images.keys())}))
`;

export interface SlideInfo {
  dimensions: [number, number];
  levels: number;
  levelDimensions: [number, number][];
  downsamples: number[];
  vendor: string | null;
  mpp: [string | null, string | null];
  objectivePower: string | null;
  associated: string[];
}

export function slideInfo(path: string): SlideInfo {
  return JSON.parse(execFileSync(PYTHON, ['-c', INFO, path], { encoding: 'utf8' })) as SlideInfo;
}
