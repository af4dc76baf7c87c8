import { type Annotation, AnnotationSet, type PreparedAnnotation, prepareAnnotations } from './annotations';
import { type Box, boxArea, formatBox, giou, iou, isValidBox } from './box';
import { GeometryError } from './errors';
import {
  type MultiPolygonCoords,
  coverageOfShapes,
  iouAndGiouFromAreas,
  multiPolygonBoxIntersectionArea,
} from './polygon';

/**
 * Continuous overlap measures of one patch against a slide's annotations. They are stored with
 * each patch so that the 0/1 label rule can be changed later without re-tiling.
 */
export interface PatchLabelMeasures {
  /** Fraction of the patch area covered by the union of all annotations, in [0, 1]. */
  readonly coverage: number;
  /** Highest IoU of the patch rectangle with a single annotation; 0 without annotations. */
  readonly bestIou: number;
  /** Highest GIoU with a single annotation, in (-1, 1]; -1 (its infimum) without annotations. */
  readonly bestGiou: number;
  /** Id of the annotation with the highest GIoU (ties: higher IoU, then input order); null without annotations. */
  readonly bestBoxId: string | null;
}

/**
 * Measures `patch` (level-0 px, positive area) against every annotation of the slide. Coverage
 * and IoU only involve annotations that overlap the patch, found through the grid index; GIoU
 * also ranks annotations that do not overlap (a nearby one can beat a large, barely overlapping
 * one), which costs O(1) each from the precomputed areas.
 *
 * Pass an AnnotationSet (prepareAnnotations) when labelling many patches; a plain array is
 * prepared on every call.
 */
export function patchLabelMeasures(patch: Box, annotations: AnnotationSet | readonly Annotation[]): PatchLabelMeasures {
  if (!isValidBox(patch) || boxArea(patch) <= 0) {
    throw new GeometryError(
      'INVALID_BOX',
      `patch: expected finite corners with x1 < x2 and y1 < y2, received ${formatBox(patch)}`,
    );
  }
  const set = annotations instanceof AnnotationSet ? annotations : prepareAnnotations(annotations);
  const patchArea = boxArea(patch);

  const overlapping = new Map<PreparedAnnotation, number>();
  const coveringBoxes: Box[] = [];
  const coveringPolygons: MultiPolygonCoords[] = [];
  for (const item of set.overlapping(patch)) {
    if (item.kind === 'box') {
      coveringBoxes.push(item.box);
    } else {
      const inter = multiPolygonBoxIntersectionArea(item.polygon, patch);
      if (inter > 0) coveringPolygons.push(item.polygon);
      overlapping.set(item, inter);
    }
  }

  let bestIou = 0;
  let bestGiou = -1;
  let bestBoxId: string | null = null;
  let bestIdIou = -1;
  for (const item of set.items) {
    let itemIou: number;
    let itemGiou: number;
    if (item.kind === 'box') {
      itemIou = iou(patch, item.box);
      itemGiou = giou(patch, item.box);
    } else {
      const inter = overlapping.get(item) ?? 0;
      ({ iou: itemIou, giou: itemGiou } = iouAndGiouFromAreas(patch, patchArea, item.bounds, item.areaPx, inter));
    }
    bestIou = Math.max(bestIou, itemIou);
    if (bestBoxId === null || itemGiou > bestGiou || (itemGiou === bestGiou && itemIou > bestIdIou)) {
      bestGiou = itemGiou;
      bestIdIou = itemIou;
      bestBoxId = item.id;
    }
  }

  return {
    coverage: coverageOfShapes(patch, coveringBoxes, coveringPolygons),
    bestIou,
    bestGiou,
    bestBoxId,
  };
}
