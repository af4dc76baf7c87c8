export { GeometryError, type GeometryErrorReason } from './errors.js';
export {
  type Box,
  assertValidBox,
  boxArea,
  boxCenter,
  boxContainsPoint,
  boxHeight,
  boxWidth,
  boxesEqual,
  boxesOverlap,
  clampBoxToSlide,
  enclosingBox,
  formatBox,
  giou,
  intersectBoxes,
  intersectionArea,
  iou,
  isBoxInsideSlide,
  isValidBox,
  unionArea,
} from './box.js';
export { boxCoverage, unionAreaOfBoxes } from './box-union.js';
export {
  type MultiPolygonCoords,
  type PolygonCoords,
  type Position,
  type Ring,
  boxPolygonGiou,
  boxPolygonIou,
  boxToPolygon,
  clipMultiPolygonToBox,
  multiPolygonArea,
  multiPolygonBoxIntersectionArea,
  multiPolygonBounds,
  normalizeMultiPolygon,
  pointInMultiPolygon,
  ringBoxIntersectionArea,
  ringSignedArea,
  shapesCoverage,
} from './polygon.js';
export { GridIndex } from './spatial-index.js';
export {
  type Annotation,
  AnnotationSet,
  type PolygonGeometry,
  type PreparedAnnotation,
  prepareAnnotations,
} from './annotations.js';
export { type GeoJsonReadOptions, type GeoJsonReadResult, annotationsFromGeoJson } from './geojson.js';
export { type PatchLabelMeasures, patchLabelMeasures } from './patch-measures.js';
export type { LabelContext, LabelRule, LabelRuleDefinition, LabelRuleModule } from './rules/types.js';
export { DEFAULT_LABEL_RULE, labelRuleDefinitions, parseLabelRule } from './rules/registry.js';
export {
  DIGILUT_BOX_COLUMNS,
  type DigilutBoxCsv,
  type DigilutBoxRow,
  digilutBoxId,
  readDigilutBoxCsv,
  slideIdOfFilename,
  splitDelimited,
} from './digilut-csv.js';

export {
  type ListedSlide,
  type Submission,
  digilutCsvKind,
  readDigilutSubmissionCsv,
  readDigilutValidationCsv,
} from './digilut-lists.js';

// Ground truth per slide for evaluation and pictures (DigiLut CSV or QuPath GeoJSON).
export {
  BAD_BOX_POLICIES,
  type BadBoxPolicy,
  type BoxFile,
  type Candidate,
  CSV_ID_RULE,
  GEOJSON_ID_RULE,
  isGeoJson,
  readBoxFile,
  type RejectedAnnotation,
  slideAnnotations,
  type SlideAnnotations,
  slideOfGeoJsonPath,
  type SlideSize,
} from './box-file';
export { describeRejected, loadTruth, type Truth, type TruthOptions } from './truth';
