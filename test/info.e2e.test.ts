// wsi-info against openslide-show-properties, and the read plan it reports.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sh, tmp } from './helpers';
import { GENERIC_JPEG_TIF, SMALL_LEVELS_TIFF, SVS } from '@slidepipe/fixtures';

const GENERIC_TIF = GENERIC_JPEG_TIF;
const NO_MPP_TIFF = SMALL_LEVELS_TIFF;

// The JSON is checked field by field below; a loose type keeps those checks short.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function info(args: string): Record<string, any> {
  const r = sh(`wsi-info ${args}`);
  if (r.status !== 0) throw new Error(`wsi-info ${args}: exit ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout.toString());
}

/** openslide-show-properties as key -> value; values may span lines (openslide.comment). */
function showProperties(path: string): Record<string, string> {
  const text = execFileSync('openslide-show-properties', [path], { encoding: 'utf8' }).trimEnd();
  const out: Record<string, string> = {};
  for (const chunk of text.split(/'\n(?=[\w.[\] -]+: ')/)) {
    const m = /^([\w.[\] -]+): '([\s\S]*?)'?$/.exec(chunk);
    if (!m) throw new Error(`unparsed: ${chunk.slice(0, 80)}`);
    out[m[1]] = m[2];
  }
  return out;
}

describe('wsi-info', () => {
  it('reports every property openslide-show-properties does, with the same values', () => {
    for (const path of [SVS, GENERIC_TIF, NO_MPP_TIFF]) {
      const expected = showProperties(path);
      expect(Object.keys(expected).length).toBeGreaterThan(10);
      const got = info(`${path} 2>/dev/null`).properties;
      expect(Object.keys(got).sort(), path).toEqual(Object.keys(expected).sort());
      for (const [k, v] of Object.entries(expected))
        expect(got[k].replace(/\r/g, ''), `${path} ${k}`).toBe(v.replace(/\r/g, ''));
    }
  });

  it('gives the 20x SVS its mpp and objective power and plans 20x at level 0 without resampling', () => {
    const svs = info(`${SVS} --magnification 20`);
    expect(svs).toMatchObject({
      vendor: 'aperio',
      width0: 2220,
      height0: 2967,
      mpp: { x: 0.499, source: 'openslide' },
      magnification: { value: 20 },
    });
    expect(svs.target).toMatchObject({
      asked: { magnification: 20 },
      level: 0,
      resample: false,
      read_px: 256,
      extent0_px: 256,
    });
    // The same slide declared 0.25 µm/px: 0.5 µm/px needs 512 px read and halved.
    expect(info(`${SVS} --slide-mpp 0.25`).target).toMatchObject({
      mpp: 0.5,
      level: 0,
      resample: true,
      resample_factor: 2,
      read_px: 512,
    });
  });

  it('derives mpp and magnification for the generic TIFF from its resolution tags and picks the matching level', () => {
    const generic = info(`${GENERIC_TIF} --mpp 2`);
    expect(generic.mpp.source).toBe('tiff-resolution');
    expect(generic.mpp.x).toBeCloseTo(0.499, 4);
    expect(generic.magnification).toMatchObject({ source: 'derived-from-mpp' });
    expect(generic.magnification.value).toBeCloseTo(20.04, 2);
    expect(generic.levels).toHaveLength(5);
    expect(generic.target).toMatchObject({ level: 2, resample: false, read_px: 256, extent0_px: 1025 });
  });

  it('prints the facts of a slide without resolution with a warning, and refuses a plan for it', () => {
    const r = sh(`wsi-info ${NO_MPP_TIFF}`);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout.toString())).toMatchObject({
      mpp: null,
      magnification: null,
      target: null,
      level_count: 4,
    });
    expect(r.stderr).toMatch(/^wsi-info: warning: .*states no resolution.*--slide-mpp/);
    const refused = sh(`wsi-info ${NO_MPP_TIFF} --mpp 1`);
    expect(refused.status).toBe(65);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(
      /^wsi-info: .*small_HE_levels\.tiff: the slide states no resolution, so no read plan: give .* --slide-mpp/,
    );
    expect(info(`${NO_MPP_TIFF} --slide-mpp 0.5 --mpp 1`).target).toMatchObject({ level: 1, resample: false });
  });

  it('fails in one line on a file that is not a slide', () => {
    const dir = tmp('wsi-info-e2e-');
    try {
      const r = sh('echo hello > text.svs; wsi-info text.svs', { cwd: dir });
      expect(r.status).toBe(65);
      expect(r.stderr).toMatch(/^wsi-info: not a slide OpenSlide can read \(slide text\.svs\)\n$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
