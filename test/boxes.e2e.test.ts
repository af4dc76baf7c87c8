// wsi-boxes through real pipes, on patch scores simulated from known truth: wsi-boxes | wsi-eval
// reaches the stated F2, refinement beats grid-snapped boxes, exactly N boxes inside each slide,
// the submission CSV, QuPath GeoJSON, and the --help examples run as written.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { check } from '@placemarkio/check-geojson';
import { NOISE_LEVELS, simulateSlide, writeSimFiles, type SimSlide } from '@slidepipe/testing';
import { sh, tmp, tool } from './helpers';

const jsonl = (text: string) =>
  text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

describe('wsi-boxes', () => {
  let dir: string;
  let sims: SimSlide[];

  beforeAll(async () => {
    tool('boxes');
    tool('eval');
    dir = tmp('slidepipe-boxes-');
    // 8 slides, overlapping 512 px patches every 256 px, low noise.
    sims = Array.from({ length: 8 }, (_, i) =>
      simulateSlide({ slideId: `p${i}_${i % 2 ? 'b' : 'a'}`, seed: 300 + i, noise: NOISE_LEVELS.low, stride0: 256 }),
    );
    await writeSimFiles(dir, sims);
  });

  it('wsi-boxes | wsi-eval reaches F2 >= 0.9, and refined boxes beat grid-snapped ones by 0.1 or more', () => {
    const f2 = (flags: string) => {
      const r = sh(
        `wsi-boxes scores.arrows --counts validation.csv ${flags} | wsi-eval --truth train.csv -o eval.arrows --force && wsi-cat --jsonl eval.arrows`,
        { cwd: dir },
      );
      expect(r.status, r.stderr).toBe(0);
      const rows = jsonl(r.stdout.toString());
      expect(rows).toHaveLength(sims.length + 1);
      expect(r.stderr).toMatch(new RegExp(`mean of ${sims.length} +\\d+`));
      return rows.at(-1).fbeta as number;
    };
    const refined = f2('');
    const snapped = f2('--no-refine');
    expect(refined).toBeGreaterThanOrEqual(0.9);
    expect(refined - snapped).toBeGreaterThanOrEqual(0.1);
  });

  it('gives exactly N boxes per slide, in level-0 px inside the slide, ranked, neutral ones last', () => {
    const r = sh('wsi-boxes scores.arrows -n 3 -m dbscan -o n3.arrows --force && wsi-cat --jsonl n3.arrows', {
      cwd: dir,
    });
    expect(r.status, r.stderr).toBe(0);
    const boxes = jsonl(r.stdout.toString());
    for (const s of sims) {
      const mine = boxes.filter((b) => b.slide_id === s.slideId);
      expect(mine.map((b) => b.rank)).toEqual([0, 1, 2]);
      for (const b of mine) {
        expect(b.x1 >= 0 && b.y1 >= 0 && b.x2 <= s.width0 && b.y2 <= s.height0 && b.x2 > b.x1 && b.y2 > b.y1).toBe(
          true,
        );
        if (b.padded) expect(b).toMatchObject({ x1: 0, y1: 0, x2: 1, y2: 1, score: 0 });
      }
      // Scores never rise with rank; neutral boxes only after real ones.
      expect(mine.map((b) => b.score)).toEqual([...mine.map((b) => b.score)].sort((a, b) => b - a));
    }
    expect(boxes).toHaveLength(3 * sims.length);
  });

  it('records its method and parameters in provenance', () => {
    const r = sh('wsi-boxes scores.arrows -n 1 -m merge:gap0=100 -o m.arrows --force && wsi-cat --schema m.arrows', {
      cwd: dir,
    });
    expect(r.status, r.stderr).toBe(0);
    const schemas = JSON.parse(r.stdout.toString());
    const last = schemas[0].provenance.at(-1);
    expect(schemas[0].record).toBe('box');
    expect(last.tool).toBe('wsi-boxes');
    expect(last.params).toMatchObject({
      method: 'merge',
      gap0: 100,
      threshold: 0.5,
      refine: { level: 0.5 },
      count: 1,
      fill: 'lower',
    });
  });

  it('writes the DigiLut submission: every trustii_id once, columns in the order asked', () => {
    const r = sh(
      'wsi-boxes scores.arrows --counts validation.csv --submission sub.csv > /dev/null && wsi-boxes scores.arrows --counts validation.csv --submission sub2.csv --columns filename,trustii_id,x1,y1,x2,y2 > /dev/null',
      { cwd: dir },
    );
    expect(r.status, r.stderr).toBe(0);
    const lines = readFileSync(join(dir, 'sub.csv'), 'utf8').trim().split('\n');
    expect(lines[0]).toBe('trustii_id,filename,x1,x2,y1,y2');
    const expected = readFileSync(join(dir, 'validation.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','));
    expect(
      lines
        .slice(1)
        .map((l) => l.split(',')[0])
        .sort(),
    ).toEqual(expected.map((e) => e[3]).sort());
    for (const l of lines.slice(1)) {
      const [id, filename, x1, x2, y1, y2] = l.split(',');
      expect(expected.find((e) => e[3] === id)![0]).toBe(filename);
      expect(Number(x2) > Number(x1) && Number(y2) > Number(y1)).toBe(true);
    }
    const other = readFileSync(join(dir, 'sub2.csv'), 'utf8').trim().split('\n');
    expect(other[0]).toBe('filename,trustii_id,x1,y1,x2,y2');
    const [id, filename, x1, x2, y1, y2] = lines[1].split(',');
    expect(other[1]).toBe([filename, id, x1, y1, x2, y2].join(','));
  });

  it('writes valid QuPath GeoJSON per slide, with heat-map contours', () => {
    const r = sh("wsi-boxes scores.arrows -n 2 --geojson 'qp-{slide}.geojson' --contours 0.5 > /dev/null", {
      cwd: dir,
    });
    expect(r.status, r.stderr).toBe(0);
    const files = readdirSync(dir)
      .filter((f) => f.startsWith('qp-'))
      .sort();
    expect(files).toEqual(sims.map((s) => `qp-${s.slideId}.geojson`).sort());
    for (const f of files) {
      const text = readFileSync(join(dir, f), 'utf8');
      expect(() => check(text), f).not.toThrow();
      const fc = JSON.parse(text);
      const boxes = fc.features.filter(
        (x: { properties: { classification: { name: string } } }) =>
          x.properties.classification.name === 'Lesion (predicted)',
      );
      expect(boxes.length).toBeGreaterThanOrEqual(1);
      expect(boxes.length).toBeLessThanOrEqual(2);
      expect(fc.features.some((x: { geometry: { type: string } }) => x.geometry.type === 'MultiPolygon')).toBe(true);
    }
    const several = sh('wsi-boxes scores.arrows -n 2 --geojson one.geojson > /dev/null', { cwd: dir });
    expect(several.status).toBe(64);
    expect(several.stderr).toMatch(/^wsi-boxes: --geojson: several slides: put \{slide\} in the path\n$/);
    expect(readdirSync(dir).filter((f) => f.startsWith('one.geojson') || f.startsWith('.one.geojson'))).toEqual([]);
  });

  it('runs the examples of its --help as written', () => {
    const help = sh('wsi-boxes --help').stdout.toString();
    const examples = help
      .split('Examples:\n')[1]
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    expect(examples.length).toBeGreaterThanOrEqual(5);
    const d = tmp('slidepipe-boxes-ex-');
    sh(`cp scores.arrows train.csv validation.csv ${d}/`, { cwd: dir });
    for (const ex of examples) {
      const r = sh(ex, { cwd: d });
      expect(r.status, `${ex}\n${r.stderr}`).toBe(0);
    }
  });

  it('writes nothing outside the output folder, whatever slide id a stream carries', async () => {
    const d = tmp();
    const escaped = simulateSlide({ slideId: '../../escaped', seed: 7, noise: NOISE_LEVELS.low, stride0: 512 });
    // Written without the readers' checks, as a stream from elsewhere could be.
    await writeSimFiles(d, [escaped], 'hostile.arrows');
    sh('mkdir -p out/geo out/heat', { cwd: d });
    const boxes = sh("wsi-boxes hostile.arrows -n 1 --geojson 'out/geo/{slide}.geojson' > /dev/null", { cwd: d });
    expect(boxes.status).toBe(65);
    expect(boxes.stderr).toMatch(
      /^wsi-boxes: hostile\.arrows: slide id "\.\.\/\.\.\/escaped" contains a path separator\n$/,
    );
    const heat = sh("wsi-heatmap hostile.arrows -o 'out/heat/{slide}.png'", { cwd: d });
    expect(heat.status).toBe(65);
    expect(heat.stderr).toMatch(/slide id "\.\.\/\.\.\/escaped" contains a path separator/);
    expect(sh('find . -type f | sort', { cwd: d }).stdout.toString().trim().split('\n')).toEqual([
      './hostile.arrows',
      './train.csv',
      './validation.csv',
    ]);
    expect(readdirSync(join(d, '..')).filter((f) => f.startsWith('escaped'))).toEqual([]);
  });

  it('fails with one line naming the problem', () => {
    const cases: [string, number, RegExp][] = [
      [
        'wsi-boxes scores.arrows -n 100000000 > /dev/null',
        64,
        /^wsi-boxes: --count: at most 10000 boxes per slide, got 100000000/,
      ],
      ['wsi-boxes train.csv -n 1 > /dev/null', 65, /^wsi-boxes: train\.csv: not an Arrow stream or a Parquet file/],
      [
        'wsi-boxes scores.arrows -n 1 --counts validation.csv > /dev/null',
        64,
        /^wsi-boxes: --count\/--counts: give one of them, not both/,
      ],
      [
        'wsi-boxes scores.arrows -m kmeans > /dev/null',
        64,
        /^wsi-boxes: --method: expected one of components, merge, dbscan, peaks, random, got "kmeans"/,
      ],
      [
        'wsi-boxes scores.arrows -m components:min_neighbors=12 > /dev/null',
        64,
        /min_neighbors: expected an integer in \[0, 8\], got "12"/,
      ],
      [
        'wsi-boxes scores.arrows -n 1 | wsi-boxes -n 1 > /dev/null',
        65,
        /^wsi-boxes: <stdin>: expected "patch-score" records, got "box"/,
      ],
    ];
    for (const [cmd, status, pattern] of cases) {
      const r = sh(cmd, { cwd: dir });
      expect(r.status, cmd).toBe(status);
      expect(
        r.stderr
          .trim()
          .split('\n')
          .filter((l) => l.includes('wsi-boxes: ') && !l.includes('slide(s)')),
        cmd,
      ).toHaveLength(1);
      expect(r.stderr, cmd).toMatch(pattern);
    }
  });
});
