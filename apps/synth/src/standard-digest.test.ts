// The standard cohort must not change when other difficulties are added: every file of a tiny
// 2-patient cohort is compared with the digests recorded before the hard cohort existed.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { DEFAULT_PARAMS } from './cohort';
import { synthesizeCohort } from './synth';

// `wsi-synth -o DIR --patients 2 --seed 3` (the CLI default --negative-fraction is 0.333) at commit f27af43 (before --difficulty).
const RECORDED: Record<string, string> = {
  'RD0QxOe81A_a.tif': '4500033901e82f04b2d838b249c75a427b4465a0346af719c21145bb9d1fda9e',
  'RD0QxOe81A_b.tif': '83db5d90966dd1555a7de164ed66f26ba61fa06e2c3dce483708e0bc9c5aca67',
  'contact-sheet.png': 'dabc1367eb2c8e1ccc089efc138e423c6ecd280a6e68ab2087495a148fc75ae6',
  'fqsFL3CAk0_a.tif': '4cb5e54144a8a90637973215c11eae7608c643512450a980d1d10b049c706566',
  'fqsFL3CAk0_b.tif': '877a57ed970cf60f86e1893c1830f96fdf5b91444eb74a072d8053344ed42ed6',
  'manifest.json': '6e34c713eec80f251ecc93898dea71169f7837ea33146444414753407210e0d9',
  'presence_of_lesion.csv': 'c9933ec982a1696e5a18bebf3f03678a827e06a511b87d0c2e0a8a0ada95e75a',
  'train.csv': '3059b051632ed9ef7f1fb94d20f7e42e7fbfb10ec2198e89dcac3df99fc3b7b6',
  'validation.csv': '1aa23137c082d9e25795d6ce81b5fe361a8984e1d483c75d2ebdaf23dedfac3c',
  'validation_truth.csv': 'b9afee0df8cabad841a0cdf79f6bcadfcc30f413000fe0aae009c7221d002e05',
};

const root = mkdtempSync(join(tmpdir(), 'synth-standard-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

it('writes the standard cohort byte for byte as before', async () => {
  const dir = join(root, 'cohort');
  await synthesizeCohort({
    ...DEFAULT_PARAMS,
    patients: 2,
    seed: 3,
    negativeFraction: 0.333,
    outDir: dir,
    force: false,
  });
  const got = Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((f) => [
        f,
        createHash('sha256')
          .update(readFileSync(join(dir, f)))
          .digest('hex'),
      ]),
  );
  expect(got).toEqual(RECORDED);
});
