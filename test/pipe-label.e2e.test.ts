// The training-set pipe on a synthetic DigiLut-like cohort, exactly as a user runs it:
//   wsi-split ... -o splits.parquet
//   wsi-tile s.tif | wsi-label --boxes train.csv | wsi-sample ... | wsi-cat -o x.parquet
// and the checks of issue 5: every true box has a positive patch at the default rule and stride,
// no patient on two sides, and the sampler's ratio as requested.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, sh, tmp } from './helpers';

const built = (t: string) => existsSync(join(ROOT, 'dist/apps', t, 'main.js'));
const ready = ['tile', 'synth', 'label', 'sample', 'split', 'cat'].every(built);

interface ManifestSlide {
  fileName: string;
  patientId: string;
  split: 'train' | 'validation';
  lesions: { x1: number; x2: number; y1: number; y2: number }[];
}

function csvRows(text: string): Record<string, string>[] {
  const [head, ...lines] = text.trim().split('\n');
  const names = head.split(',');
  return lines.filter(Boolean).map((l) => Object.fromEntries(l.split(',').map((v, i) => [names[i], v])));
}

describe.skipIf(!ready)('tile | label | sample | cat on a synthetic cohort', () => {
  let dir = '';
  let slides: ManifestSlide[] = [];
  beforeAll(() => {
    dir = tmp('slidepipe-pipe-label-');
    const r = sh('wsi-synth -o cohort --patients 6 --seed 5 --quiet', { cwd: dir });
    expect(r.status, r.stderr).toBe(0);
    slides = JSON.parse(readFileSync(join(dir, 'cohort/manifest.json'), 'utf8')).slides;
  });

  it('splits the cohort by patient: the validation patients are the test set, no patient on two sides', () => {
    const r = sh(
      'wsi-split --slides cohort --boxes cohort/train.csv --presence cohort/presence_of_lesion.csv --test-list cohort/validation.csv --folds 2 -o splits.parquet && wsi-cat --csv splits.parquet > splits.csv',
      { cwd: dir },
    );
    expect(r.status, r.stderr).toBe(0);
    const rows = csvRows(readFileSync(join(dir, 'splits.csv'), 'utf8'));
    expect(rows).toHaveLength(slides.length);
    for (const s of slides) {
      const row = rows.find((x) => `${x.slide_id}.tif` === s.fileName)!;
      expect(row.patient_id, s.fileName).toBe(s.patientId);
      expect(row.set, s.fileName).toBe(s.split === 'validation' ? 'test' : 'train');
      expect(row.has_lesion, s.fileName).toBe(String(s.lesions.length > 0));
    }
    const parts = new Map<string, Set<string>>();
    for (const x of rows) parts.set(x.patient_id, (parts.get(x.patient_id) ?? new Set()).add(`${x.set}/${x.fold}`));
    for (const [patient, p] of parts) expect(p.size, patient).toBe(1);
  });

  it('gives every true box at least one positive patch at the default rule and stride, and samples 2 negatives per positive', () => {
    const train = slides.filter((s) => s.split === 'train');
    expect(train.some((s) => s.lesions.length > 0) && train.some((s) => s.lesions.length === 0)).toBe(true);
    const truth = csvRows(readFileSync(join(dir, 'cohort/train.csv'), 'utf8'));
    for (const s of train) {
      const id = s.fileName.replace(/\.tif$/, '');
      const r = sh(
        `wsi-tile ${s.fileName} | wsi-label --boxes train.csv | wsi-sample --neg-per-pos 2 --splits ../splits.parquet --set train | wsi-cat -o ../${id}.parquet
         wsi-cat --csv --select x0,y0,w0,h0,coverage,label ../${id}.parquet > ../${id}.csv`,
        { cwd: join(dir, 'cohort') },
      );
      expect(r.status, `${s.fileName}: ${r.stderr}`).toBe(0);
      const patches = csvRows(readFileSync(join(dir, `${id}.csv`), 'utf8')).map((p) => ({
        x1: Number(p.x0),
        y1: Number(p.y0),
        x2: Number(p.x0) + Number(p.w0),
        y2: Number(p.y0) + Number(p.h0),
        label: Number(p.label),
      }));
      const positives = patches.filter((p) => p.label === 1);
      const boxes = truth
        .filter((b) => b.filename === s.fileName)
        .map((b) => ({ x1: +b.x1, x2: +b.x2, y1: +b.y1, y2: +b.y2 }));
      expect(boxes, s.fileName).toHaveLength(s.lesions.length);
      for (const b of boxes) {
        const hit = positives.some((p) => p.x1 < b.x2 && b.x1 < p.x2 && p.y1 < b.y2 && b.y1 < p.y2);
        expect(hit, `${s.fileName} box x ${b.x1}-${b.x2}, y ${b.y1}-${b.y2}: no positive patch (${r.stderr})`).toBe(
          true,
        );
      }
      // The label and sample reports, and the ratio: all positives, 2 negatives each (or the floor).
      const labelled = /wsi-label: slide \S+: (\d+) patches, (\d+) positive \(coverage>=0\.1\)/.exec(r.stderr)!;
      expect(labelled, r.stderr).not.toBeNull();
      const [all, pos] = [Number(labelled[1]), Number(labelled[2])];
      expect(positives).toHaveLength(pos);
      const negatives = patches.length - pos;
      expect(negatives, s.fileName).toBe(pos > 0 ? Math.min(2 * pos, all - pos) : Math.min(10, all));
    }
  });
});
