// wsi-label through real pipes: labels, bad annotation rows on stderr with their lines, provenance.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makePatches, sh, tmp } from './helpers';

// make-patches: slides synth000_a, synth001_a, ... of 200000 x 100000 px; row i of a slide is the
// 512-px patch at x0 = (i % 400) * 512, y0 = floor(i / 400) * 512.
const HEADER = 'filename,x1,x2,y1,y2,max_x,max_y';

function rows(out: Buffer): Record<string, string>[] {
  const [head, ...lines] = out.toString().trim().split('\n');
  const names = head.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [names[i], v])));
}

describe('wsi-label', () => {
  it('labels a 940-px box on the 512-px grid: the 2 x 2 block of patches it covers most', () => {
    const d = tmp();
    writeFileSync(join(d, 'train.csv'), `${HEADER}\nsynth000_a.tif,1000,1940,1000,1940,200000,100000\n`);
    const r = sh(`${makePatches(2000, 0)} | wsi-label --boxes train.csv | wsi-cat --csv --drop image > out.csv`, {
      cwd: d,
    });
    expect(r.stderr).toMatch(
      /wsi-label: slide synth000_a: 2000 patches, 4 positive \(coverage>=0\.1\); 1 boxes used, 0 dropped, 0 excluded/,
    );
    expect(r.status).toBe(0);
    const out = rows(readFileSync(join(d, 'out.csv')));
    expect(out).toHaveLength(2000);
    expect(out.filter((x) => x.label === '1').map((x) => `${x.x0},${x.y0}`)).toEqual([
      '1024,1024',
      '1536,1024',
      '1024,1536',
      '1536,1536',
    ]);
    const inside = out.find((x) => x.x0 === '1024' && x.y0 === '1024')!;
    expect(Number(inside.iou)).toBeCloseTo(262144 / 883600, 6);
    expect(inside.box_id).toBe('synth000_a:x1000-1940:y1000-1940');
  });

  it('reports each bad row on stderr with its line number and stops under the default --bad-boxes fail', () => {
    const d = tmp();
    writeFileSync(
      join(d, 'train.csv'),
      [
        HEADER,
        'synth000_a.tif,1000,1940,1000,1940,200000,100000', // 2 ok
        'synth000_a.tif,1940,1000,1000,1940,200000,100000', // 3 x1 > x2
        'synth000_a.tif,1000,1000,1000,1940,200000,100000', // 4 zero width
        'synth000_a.tif,1000,1940,1000,1940,200000,100000', // 5 duplicate
        'synth000_a.tif,199000,201000,0,100,200000,100000', // 6 outside
        'synth000_a.tif,0,10,0,10,100000,100000', //          7 slide size differs
        'synth001_a.tif,1940,1000,0,10,200000,100000', //     8 bad, but another slide: not this run's
      ].join('\n') + '\n',
    );
    const fail = sh(`${makePatches(500, 0)} | wsi-label --boxes train.csv -q > /dev/null`, { cwd: d });
    expect(fail.status).toBe(65);
    const lines = fail.stderr.trim().split('\n');
    expect(lines.slice(0, 5).map((l) => l.replace(/^wsi-label: warning: (train\.csv:\d+): .*$/, '$1'))).toEqual(
      [3, 4, 5, 6, 7].map((n) => `train.csv:${n}`),
    );
    expect(lines[0]).toMatch(/x1 > x2 \(x1=1940, x2=1000\)/);
    expect(lines[4]).toMatch(/differs from the slide's 200000 x 100000 px/);
    expect(lines[5]).toBe(
      'wsi-label: train.csv: 5 bad annotations for slide synth000_a (listed above); fix the file or pass --bad-boxes drop to leave them out',
    );
    expect(lines).toHaveLength(6);

    const drop = sh(`${makePatches(500, 0)} | wsi-label --boxes train.csv --bad-boxes drop -q | wsi-cat --count`, {
      cwd: d,
    });
    expect(drop.status).toBe(0);
    expect(drop.stdout.toString().trim()).toBe('500');
    expect(drop.stderr.match(/: dropped \(--bad-boxes drop\)/g)).toHaveLength(5);
  });

  it('lists every annotation with its line, id and status under --check', () => {
    const d = tmp();
    writeFileSync(
      join(d, 'train.csv'),
      `${HEADER}\na_a.tif,1,5,1,5,10,10\na_a.tif,5,1,1,5,10,10\nb_b.tif,0,3,0,3,10,10\n`,
    );
    const r = sh('wsi-label --boxes train.csv --check --exclude b_b:x0-3:y0-3', { cwd: d });
    expect(r.status).toBe(65);
    expect(r.stdout.toString()).toBe(
      [
        'where\tslide_id\tbox_id\tstatus',
        'train.csv:2\ta_a\ta_a:x1-5:y1-5\tok',
        'train.csv:3\ta_a\ta_a:x5-1:y1-5\tbad: x1 > x2 (x1=5, x2=1)',
        'train.csv:4\tb_b\tb_b:x0-3:y0-3\texcluded',
        '',
      ].join('\n'),
    );
  });

  it('appends one provenance entry with the rule, the box file and its sha256, and the box counts', () => {
    const d = tmp();
    const csv = `${HEADER}\nsynth000_a.tif,1000,1940,1000,1940,200000,100000\nsynth000_a.tif,3000,3500,0,400,200000,100000\n`;
    writeFileSync(join(d, 'train.csv'), csv);
    writeFileSync(join(d, 'retracted.txt'), '# retracted\nsynth000_a:x3000-3500:y0-400\n');
    const r = sh(
      `${makePatches(800, 0)} | wsi-label --boxes train.csv --exclude retracted.txt --rule 'iou>0.2' -o l.parquet && wsi-cat --schema l.parquet > s.json`,
      { cwd: d },
    );
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/train\.csv:3: slide synth000_a: box synth000_a:x3000-3500:y0-400 excluded \(--exclude\)/);
    const schema = JSON.parse(readFileSync(join(d, 's.json'), 'utf8'));
    expect(schema.record).toBe('labelled-patch');
    expect(schema.facts.label_rule).toBe('iou>0.2');
    const entry = schema.provenance.at(-1);
    expect(schema.provenance.map((p: { tool: string }) => p.tool)).toEqual(['make-patches', 'wsi-label']);
    expect(entry.params).toMatchObject({
      rule: 'iou>0.2',
      boxes: { path: 'train.csv', format: 'digilut-csv', sha256: createHash('sha256').update(csv).digest('hex') },
      bad_boxes: 'fail',
      exclude: { from: 'retracted.txt', ids: ['synth000_a:x3000-3500:y0-400'] },
      slides: { synth000_a: { boxes: 1, dropped: 0, excluded: 1 } },
    });
  });

  it('labels a QuPath GeoJSON polygon by its area, not its bounding box', () => {
    const d = tmp();
    // A right triangle with legs of 1024 px from (0, 0): it covers half of the patch at (0, 0)
    // and none of the patch at (512, 512), which its bounding box would cover fully.
    const feature = {
      type: 'Feature',
      id: 'tri',
      geometry: {
        type: 'Polygon',
        coordinates: [
          [
            [0, 0],
            [1024, 0],
            [0, 1024],
            [0, 0],
          ],
        ],
      },
      properties: {},
    };
    writeFileSync(
      join(d, 'synth000_a.geojson'),
      JSON.stringify({ type: 'FeatureCollection', features: [feature] }, null, 2),
    );
    const r = sh(
      `${makePatches(1000, 0)} | wsi-label --boxes synth000_a.geojson | wsi-cat --csv --drop image > out.csv`,
      { cwd: d },
    );
    expect(r.status).toBe(0);
    const out = rows(readFileSync(join(d, 'out.csv')));
    const at = (x0: number, y0: number) => out.find((x) => x.x0 === String(x0) && x.y0 === String(y0))!;
    expect(Number(at(0, 0).coverage)).toBe(1);
    expect(Number(at(512, 0).coverage)).toBe(0.5);
    expect(Number(at(512, 512).coverage)).toBe(0);
    expect(at(512, 512).label).toBe('0');
    expect(at(512, 0).box_id).toBe('tri');
  });

  it('re-labels stored measures from a merged Parquet file of several slides without the boxes', () => {
    const d = tmp();
    writeFileSync(join(d, 'train.csv'), `${HEADER}\nsynth001_a.tif,1000,1940,1000,1940,200000,100000\n`);
    const r = sh(
      `${makePatches(3000, 0, 3)} | wsi-label --boxes train.csv -q | wsi-cat -o all.parquet
       wsi-label --rule 'coverage>=0.9' all.parquet | wsi-cat --csv --select slide_id,x0,y0,label > out.csv`,
      { cwd: d },
    );
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/slide synth001_a: 1000 patches, 1 positive \(coverage>=0\.9\)/);
    const positives = rows(readFileSync(join(d, 'out.csv'))).filter((x) => x.label === '1');
    expect(positives).toEqual([{ slide_id: 'synth001_a', x0: '1024', y0: '1024', label: '1' }]);
  });

  it('refuses bad rules and missing box files with the expected exit codes', () => {
    const d = tmp();
    const cases: [string, number, RegExp][] = [
      ['wsi-label --boxes nope.csv < /dev/null', 66, /^wsi-label: nope\.csv: no such file/],
      [
        'wsi-label --rule "iou>=2" --boxes x < /dev/null',
        64,
        /^wsi-label: --rule: labelling rule "iou>=2": expected "iou>T"/,
      ],
      [`${makePatches(10, 0)} | wsi-label --rule center-in-box > /dev/null`, 64, /center-in-box needs the annotations/],
      [`${makePatches(10, 0)} | wsi-label --rule coverage > /dev/null`, 64, /holds patch records: give --boxes/],
    ];
    for (const [cmd, status, pattern] of cases) {
      const r = sh(cmd, { cwd: d });
      expect(r.stderr, cmd).toMatch(pattern);
      expect(r.status, cmd).toBe(status);
    }
  });

  it('wsi-label, wsi-split and wsi-sample answer --help with their examples', () => {
    for (const t of ['label', 'split', 'sample']) {
      const r = sh(`wsi-${t} --help`);
      expect(r.status, t).toBe(0);
      expect(r.stdout.toString(), t).toMatch(new RegExp(`Examples:\\n  (wsi-\\S+ .*\\| )?wsi-${t} `));
    }
  });
});
