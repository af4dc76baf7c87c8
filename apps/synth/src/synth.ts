// Generates a whole cohort into a folder: slides, the DigiLut CSVs, manifest.json and a contact
// sheet. Slides are written one after the other; each is streamed to disk in bounded memory.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync } from 'node:fs';
import { writeFileAtomic } from '@slidepipe/io';
import { join } from 'node:path';
import { planCohort } from './cohort';
import { contactSheet } from './contact-sheet';
import { cohortCsvs } from './csv';
import { buildManifest, type SlideOutcome } from './manifest';
import type { CohortParams, CohortPlan } from './plan';
import { isSizeName, SIZE_NAMES, SIZE_PRESETS } from './presets';
import { writeSlide } from './slide-writer';
import { loadTextureSource, type TextureSource } from './texture-source';
import { SynthError } from './errors';

export const VERSION = '0.1.0';
export const MANIFEST_FILE = 'manifest.json';
export const CONTACT_SHEET_FILE = 'contact-sheet.png';
export const MAX_SHEET_SLIDES = 120;

export { SynthError } from './errors';

export interface SynthOptions extends CohortParams {
  outDir: string;
  /** Replace files that already exist. */
  force: boolean;
  /** Real H&E slide whose tissue the hard cohort is made of (required with difficulty 'hard'). */
  texturePath?: string;
  /** The texture already loaded (tests share one). */
  texture?: TextureSource;
  log?: (message: string) => void;
}

export interface SynthReport {
  plan: CohortPlan;
  outcomes: SlideOutcome[];
  /** Every file written, relative to outDir. */
  files: string[];
}

/** Checks the parameters; messages say what was expected and what was received. */
export function validateParams(p: CohortParams): void {
  const fail = (flag: string, expected: string, got: unknown) => {
    throw new SynthError(`${flag}: expected ${expected}, got ${JSON.stringify(got)}`, 64);
  };
  if (!isSizeName(p.size)) fail('--size', `one of ${SIZE_NAMES.join(', ')}`, p.size);
  if (!Number.isInteger(p.patients) || p.patients < 1 || p.patients > 10_000)
    fail('--patients', 'an integer from 1 to 10000', p.patients);
  if (!Number.isInteger(p.seed) || p.seed < 0 || p.seed > 0xffffffff)
    fail('--seed', 'an integer from 0 to 4294967295', p.seed);
  if (!Number.isFinite(p.mpp) || p.mpp < 0.1 || p.mpp > 2)
    fail('--mpp', 'a number of µm per pixel from 0.1 to 2', p.mpp);
  if (!Number.isFinite(p.validationFraction) || p.validationFraction < 0 || p.validationFraction >= 1)
    fail('--validation-fraction', 'a number from 0 up to (not including) 1', p.validationFraction);
  if (!Number.isFinite(p.negativeFraction) || p.negativeFraction < 0 || p.negativeFraction > 1)
    fail('--negative-fraction', 'a number from 0 to 1', p.negativeFraction);
  if (!Number.isInteger(p.jpegQuality) || p.jpegQuality < 1 || p.jpegQuality > 100)
    fail('--jpeg-quality', 'an integer from 1 to 100', p.jpegQuality);
  if (!['auto', 'always', 'never'].includes(p.bigTiff)) fail('--bigtiff', 'auto, always or never', p.bigTiff);
  if (p.difficulty !== undefined && p.difficulty !== 'hard') fail('--difficulty', 'standard or hard', p.difficulty);
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function synthesizeCohort(opts: SynthOptions): Promise<SynthReport> {
  const params: CohortParams = {
    size: opts.size,
    patients: opts.patients,
    seed: opts.seed,
    mpp: opts.mpp,
    validationFraction: opts.validationFraction,
    negativeFraction: opts.negativeFraction,
    jpegQuality: opts.jpegQuality,
    bigTiff: opts.bigTiff,
    // Absent for the standard cohort, so its manifest keeps its bytes.
    ...(opts.difficulty === 'hard' ? { difficulty: 'hard' as const } : {}),
  };
  validateParams(params);
  if (params.difficulty === 'hard' && !opts.texturePath && !opts.texture) {
    throw new SynthError(
      '--texture: expected a real H&E slide for --difficulty hard (e.g. CMU-1-Small-Region.svs)',
      64,
    );
  }
  const log = opts.log ?? (() => undefined);
  const plan = planCohort(params);
  const csvs = cohortCsvs(plan);
  const names = [...plan.slides.map((s) => s.fileName), ...Object.keys(csvs), MANIFEST_FILE, CONTACT_SHEET_FILE];
  mkdirSync(opts.outDir, { recursive: true });
  if (!opts.force) {
    const existing = names.filter((n) => existsSync(join(opts.outDir, n)));
    if (existing.length > 0) {
      throw new SynthError(`${join(opts.outDir, existing[0])}: output exists (use --force to replace it)`, 73);
    }
  }

  const texture =
    params.difficulty === 'hard' ? (opts.texture ?? (await loadTextureSource(opts.texturePath as string))) : undefined;
  if (texture)
    log(
      `texture: ${texture.file}, ${texture.widthPx}x${texture.heightPx} px, ${texture.windows.length / 2} tissue windows`,
    );
  const preset = SIZE_PRESETS[params.size];
  const outcomes: SlideOutcome[] = [];
  for (const [i, s] of plan.slides.entries()) {
    const started = performance.now();
    const path = join(opts.outDir, s.fileName);
    const result = await writeSlide(s, path, {
      jpegQuality: params.jpegQuality,
      bigTiff: params.bigTiff,
      smallestLevelPx: preset.smallestLevelPx,
      texture,
    });
    outcomes.push({ plan: s, result, sha256: await sha256File(path) });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    log(
      `${s.fileName} (${i + 1}/${plan.slides.length}): ${s.widthPx}x${s.heightPx} px, ${result.levels.length} levels, ` +
        `${s.lesions.length} lesions, ${s.split}, ${(result.bytes / 1e6).toFixed(1)} MB, ${seconds} s`,
    );
  }
  for (const [name, text] of Object.entries(csvs)) writeFileAtomic(join(opts.outDir, name), text, true);
  // A sheet of thousands of thumbnails helps nobody and costs gigabytes: the first slides only.
  const sheet = await contactSheet(
    outcomes.slice(0, MAX_SHEET_SLIDES).map((o) => ({
      fileName: o.plan.fileName,
      split: o.plan.split,
      image: o.result.smallest,
      boxes: o.plan.lesions.map((l) => l.box),
      slideWidthPx: o.plan.widthPx,
      slideHeightPx: o.plan.heightPx,
    })),
  );
  writeFileAtomic(join(opts.outDir, CONTACT_SHEET_FILE), sheet, true);
  const files = {
    train: 'train.csv',
    validation: 'validation.csv',
    presenceOfLesion: 'presence_of_lesion.csv',
    validationTruth: 'validation_truth.csv',
    contactSheet: CONTACT_SHEET_FILE,
  };
  const manifest = buildManifest(plan, outcomes, VERSION, files, Math.min(outcomes.length, MAX_SHEET_SLIDES), texture);
  writeFileAtomic(join(opts.outDir, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n', true);
  return { plan, outcomes, files: names };
}
