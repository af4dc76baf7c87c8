// The DigiLut CSV files, in their exact formats:
//   train.csv               filename,x1,x2,y1,y2,max_x,max_y     one row per lesion box (train slides)
//   validation.csv          filename,max_x,max_y,trustii_id      one row per expected box (held-out slides)
//   presence_of_lesion.csv  file_name;presence_of_lesion         0/1 per train slide (semicolons)
// plus validation_truth.csv, the held-out boxes in train.csv's format, for scoring a run.
// Boxes are level-0 pixels; max_x and max_y are the slide's level-0 width and height.
import type { CohortPlan, SlidePlan } from './plan';

export const TRAIN_HEADER = 'filename,x1,x2,y1,y2,max_x,max_y';
export const VALIDATION_HEADER = 'filename,max_x,max_y,trustii_id';
export const PRESENCE_HEADER = 'file_name;presence_of_lesion';

export interface CohortCsvs {
  'train.csv': string;
  'validation.csv': string;
  'presence_of_lesion.csv': string;
  'validation_truth.csv': string;
}

function byName(slides: SlidePlan[]): SlidePlan[] {
  return [...slides].sort((a, b) => (a.fileName < b.fileName ? -1 : a.fileName > b.fileName ? 1 : 0));
}

function boxRows(slides: SlidePlan[]): string[] {
  return slides.flatMap((s) =>
    s.lesions.map((l) => [s.fileName, l.box.x1, l.box.x2, l.box.y1, l.box.y2, s.widthPx, s.heightPx].join(',')),
  );
}

export function cohortCsvs(plan: CohortPlan): CohortCsvs {
  const train = byName(plan.slides.filter((s) => s.split === 'train'));
  const validation = byName(plan.slides.filter((s) => s.split === 'validation'));
  let trustiiId = 0;
  const validationRows = validation.flatMap((s) =>
    s.lesions.map(() => [s.fileName, s.widthPx, s.heightPx, ++trustiiId].join(',')),
  );
  const lines = (header: string, rows: string[]) => [header, ...rows].join('\n') + '\n';
  return {
    'train.csv': lines(TRAIN_HEADER, boxRows(train)),
    'validation.csv': lines(VALIDATION_HEADER, validationRows),
    'presence_of_lesion.csv': lines(
      PRESENCE_HEADER,
      train.map((s) => `${s.fileName};${s.lesions.length > 0 ? 1 : 0}`),
    ),
    'validation_truth.csv': lines(TRAIN_HEADER, boxRows(validation)),
  };
}

/** Splits a CSV text into a header and rows of fields (no quoting: these files never need it). */
export function parseCsv(text: string, separator = ','): { header: string[]; rows: string[][] } {
  const lines = text.split('\n').filter((l) => l.length > 0);
  return { header: lines[0].split(separator), rows: lines.slice(1).map((l) => l.split(separator)) };
}
