// Independent references for libs/openslide's tests: Debian's openslide-tools and python3-openslide.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Debian's python3-openslide lives under /usr/bin/python3, not a pyenv shim that may be first on PATH.
const PYTHON = '/usr/bin/python3';

/** [x0, y0, level, width, height] */
export type RegionSpec = [number, number, number, number, number];

const READ_SCRIPT = `
import ctypes, json, sys
import openslide
from openslide import lowlevel
from PIL import Image
path, out, mode, regions = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
slide = openslide.OpenSlide(path)
with open(out, 'wb') as f:
    for x, y, level, w, h in regions:
        if mode == 'argb':
            buf = (ctypes.c_uint32 * (w * h))()
            lowlevel._read_region(slide._osr, buf, x, y, level, w, h)
            f.write(bytes(buf))
            continue
        rgba = slide.read_region((x, y), level, (w, h))
        if mode == 'rgb-on-white':
            rgba = Image.alpha_composite(Image.new('RGBA', (w, h), (255, 255, 255, 255)), rgba).convert('RGB')
        f.write(rgba.tobytes())
`;

/**
 * python3-openslide's reads of each region, concatenated: the premultiplied ARGB words that
 * openslide_read_region wrote, before any conversion ('argb'), or python's RGBA composited on
 * white by PIL ('rgb-on-white').
 */
export function pythonReadRegions(path: string, regions: RegionSpec[], mode: 'argb' | 'rgb-on-white' = 'argb'): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'slidepipe-openslide-ref-'));
  try {
    const out = join(dir, 'regions.raw');
    execFileSync(PYTHON, ['-c', READ_SCRIPT, path, out, mode, JSON.stringify(regions)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const ASSOCIATED_SCRIPT = `
import sys
import openslide
img = openslide.OpenSlide(sys.argv[1]).associated_images[sys.argv[2]]
sys.stdout.buffer.write(img.convert('RGB').tobytes())
`;

/** python3-openslide's associated image as RGB bytes (PIL drops alpha; the images are opaque). */
export function pythonAssociatedImageRgb(path: string, name: string): Buffer {
  return execFileSync(PYTHON, ['-c', ASSOCIATED_SCRIPT, path, name], { maxBuffer: 64 * 1024 * 1024 });
}

/** `openslide-show-properties` output as a key -> value record. */
export function showProperties(path: string): Record<string, string> {
  const text = execFileSync('openslide-show-properties', [path], { encoding: 'utf8' });
  // Lines read `key: 'value'`; values (openslide.comment) may span lines, so split at
  // a closing quote followed by the next `key: '`.
  const entries: Record<string, string> = {};
  for (const chunk of text.trimEnd().split(/'\n(?=[\w.[\] -]+: ')/)) {
    const match = /^([\w.[\] -]+): '([\s\S]*?)'?$/.exec(chunk);
    if (!match) throw new Error(`unparsed openslide-show-properties output: ${chunk.slice(0, 80)}`);
    entries[match[1]] = match[2];
  }
  return entries;
}
