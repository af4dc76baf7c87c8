// The record types of the pipeline. One definition each: name, version, and columns.
// data-schemas/<name>.json is the language-neutral copy of these, checked by a test.

export type ScalarType = 'utf8' | 'binary' | 'bool' | 'int8' | 'int32' | 'int64' | 'float32' | 'float64';
export interface ListType {
  list: 'float32';
  /** Name of the stream fact holding the fixed length (e.g. "dim"), when the list has one. */
  sizeFact?: string;
}
export type ColumnType = ScalarType | ListType;

export interface ColumnDef {
  name: string;
  type: ColumnType;
  nullable: boolean;
  unit?: string;
  description: string;
  /** The record version that added the column: streams of an older version may lack it. */
  since?: number;
}

export interface RecordDef {
  name: RecordName;
  version: number;
  description: string;
  /** Columns every stream of this type carries; streams may carry more (passed through). */
  columns: ColumnDef[];
}

export const RECORD_NAMES = ['patch', 'labelled-patch', 'split', 'embedding', 'patch-score', 'box', 'eval'] as const;
export type RecordName = (typeof RECORD_NAMES)[number];

const col = (name: string, type: ColumnType, description: string, extra: Partial<ColumnDef> = {}): ColumnDef => ({
  name,
  type,
  nullable: false,
  description,
  ...extra,
});

const slideId = col('slide_id', 'utf8', 'Slide identifier: the slide file name without its extension.');
const footprint: ColumnDef[] = [
  col('x0', 'int32', 'Left edge of the patch in level-0 pixels.', { unit: 'level-0 px' }),
  col('y0', 'int32', 'Top edge of the patch in level-0 pixels.', { unit: 'level-0 px' }),
  col('w0', 'int32', 'Width of the patch footprint in level-0 pixels.', { unit: 'level-0 px' }),
  col('h0', 'int32', 'Height of the patch footprint in level-0 pixels.', { unit: 'level-0 px' }),
  col('col', 'int32', 'Column of the patch on the tiling grid (x0 = col * stride in level-0 px).'),
  col('row', 'int32', 'Row of the patch on the tiling grid.'),
];
const labelColumns: ColumnDef[] = [
  col('coverage', 'float32', 'Fraction of the patch area covered by the union of annotation boxes (0..1).'),
  col('iou', 'float32', 'Best IoU of the patch footprint with any annotation.'),
  col('giou', 'float32', 'Best GIoU of the patch footprint with any annotation (-1..1).'),
  col('box_id', 'utf8', 'Id of the annotation giving the best IoU; null when none overlaps.', { nullable: true }),
  col('label', 'int8', '0/1 label from the labelling rule recorded in provenance.'),
];

export const RECORDS: Record<RecordName, RecordDef> = {
  patch: {
    name: 'patch',
    version: 1,
    description: 'One tissue patch cut from a slide at the output resolution.',
    columns: [
      slideId,
      ...footprint,
      col('mpp', 'float32', 'Resolution of the patch pixels in micrometres per pixel.', { unit: 'um/px' }),
      col('tissue', 'float32', 'Fraction of the patch footprint that the tissue mask marks as tissue (0..1).'),
      col('image', 'binary', 'The patch as a JPEG (tile_px x tile_px); null in coordinates-only mode.', {
        nullable: true,
      }),
    ],
  },
  'labelled-patch': {
    name: 'labelled-patch',
    version: 1,
    description: 'A patch with its continuous overlap measures against the ground truth and a 0/1 label.',
    columns: [
      slideId,
      ...footprint,
      col('mpp', 'float32', 'Resolution of the patch pixels in micrometres per pixel.', { unit: 'um/px' }),
      col('tissue', 'float32', 'Tissue fraction of the patch footprint (0..1).'),
      col('image', 'binary', 'The patch as a JPEG; null in coordinates-only mode.', { nullable: true }),
      ...labelColumns,
    ],
  },
  split: {
    name: 'split',
    version: 1,
    description: 'Assignment of a slide to the train or test set and to a cross-validation fold, grouped by patient.',
    columns: [
      slideId,
      col('patient_id', 'utf8', 'Patient identifier; all slides of a patient share set and fold.'),
      col('set', 'utf8', '"train" or "test".'),
      col('fold', 'int32', 'Cross-validation fold of a train slide (0..K-1); -1 for test slides.'),
      col('has_lesion', 'bool', 'Whether the slide has at least one annotation.'),
      col('n_boxes', 'int32', 'Number of annotations on the slide.'),
    ],
  },
  embedding: {
    name: 'embedding',
    version: 1,
    description: 'A patch embedded by a frozen backbone.',
    columns: [
      slideId,
      ...footprint,
      col('label', 'int8', '0/1 label when the input was labelled, else null.', { nullable: true }),
      col('embedding', { list: 'float32', sizeFact: 'dim' }, 'Backbone output vector (length = stream fact "dim").'),
    ],
  },
  'patch-score': {
    name: 'patch-score',
    version: 1,
    description: 'Lesion probability of a patch from the fold ensemble.',
    columns: [
      slideId,
      ...footprint,
      col('label', 'int8', '0/1 label when the input was labelled, else null.', { nullable: true }),
      col('score', 'float32', 'Ensemble lesion probability (0..1), aggregated as recorded in the stream facts.'),
      col('fold_scores', { list: 'float32', sizeFact: 'folds' }, 'Probability from each fold head, in fold order.'),
    ],
  },
  box: {
    name: 'box',
    version: 1,
    description: 'A predicted lesion box in level-0 pixels.',
    columns: [
      slideId,
      col('rank', 'int32', 'Rank of the box on its slide by score (0 = best).'),
      col('x1', 'int32', 'Left edge in level-0 pixels.', { unit: 'level-0 px' }),
      col('y1', 'int32', 'Top edge in level-0 pixels.', { unit: 'level-0 px' }),
      col('x2', 'int32', 'Right edge (exclusive) in level-0 pixels.', { unit: 'level-0 px' }),
      col('y2', 'int32', 'Bottom edge (exclusive) in level-0 pixels.', { unit: 'level-0 px' }),
      col('score', 'float32', 'Confidence of the box (0..1).'),
      col('padded', 'bool', 'True for a neutral box added to reach the requested count.'),
      col('trustii_id', 'utf8', 'Row id of the DigiLut validation list this box answers, when counts came from it.', {
        nullable: true,
      }),
    ],
  },
  eval: {
    name: 'eval',
    version: 2,
    description: 'Detection metric per slide (scope "slide") and over all slides (scope "mean").',
    columns: [
      col('scope', 'utf8', '"slide" for a per-slide row, "mean" for the summary row.'),
      col('slide_id', 'utf8', 'Slide identifier; "*" on the summary row.'),
      col('n_truth', 'int32', 'Ground-truth boxes.'),
      col('n_pred', 'int32', 'Predicted boxes.'),
      col('tp', 'int32', 'True positives.'),
      col('fp', 'int32', 'False positives.'),
      col('fn', 'int32', 'False negatives.'),
      col('precision', 'float64', 'TP / (TP + FP), with the empty-case conventions of wsi-eval.'),
      col('recall', 'float64', 'TP / (TP + FN), with the empty-case conventions of wsi-eval.'),
      col('fbeta', 'float64', 'F-beta of the slide; the mean over slides on the summary row.'),
      col(
        'mean_iou',
        'float64',
        'Mean IoU of the matched (TP) boxes with their truth boxes; over all matches on the summary row; null when none.',
        {
          nullable: true,
          since: 2,
        },
      ),
      col(
        'mean_giou',
        'float64',
        'Mean GIoU of the matched (TP) boxes with their truth boxes; over all matches on the summary row; null when none.',
        {
          nullable: true,
          since: 2,
        },
      ),
    ],
  },
};

export function recordDef(name: string): RecordDef {
  if (!(RECORD_NAMES as readonly string[]).includes(name)) {
    // The name comes from a file: quote it so a damaged one stays on one line.
    const shown = JSON.stringify(String(name));
    throw new Error(
      `unknown record type ${shown.length > 60 ? `${shown.slice(0, 57)}..."` : shown} (known: ${RECORD_NAMES.join(', ')})`,
    );
  }
  return RECORDS[name as RecordName];
}

/** The columns that identify a patch on its slide, shared by every per-patch record. */
export interface PatchKeys {
  slide_id: string;
  x0: number;
  y0: number;
  w0: number;
  h0: number;
  col: number;
  row: number;
}
export interface PatchRecord extends PatchKeys {
  mpp: number;
  tissue: number;
  image: Uint8Array | null;
}
export interface LabelledPatchRecord extends PatchRecord {
  coverage: number;
  iou: number;
  giou: number;
  box_id: string | null;
  label: number;
}
export interface SplitRecord {
  slide_id: string;
  patient_id: string;
  set: 'train' | 'test';
  fold: number;
  has_lesion: boolean;
  n_boxes: number;
}
export interface EmbeddingRecord extends PatchKeys {
  label: number | null;
  embedding: Float32Array;
}
export interface PatchScoreRecord extends PatchKeys {
  label: number | null;
  score: number;
  fold_scores: Float32Array;
}
export interface BoxRecord {
  slide_id: string;
  rank: number;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  score: number;
  padded: boolean;
  trustii_id: string | null;
}
export interface EvalRecord {
  scope: 'slide' | 'mean';
  slide_id: string;
  n_truth: number;
  n_pred: number;
  tp: number;
  fp: number;
  fn: number;
  precision: number;
  recall: number;
  fbeta: number;
  mean_iou: number | null;
  mean_giou: number | null;
}
