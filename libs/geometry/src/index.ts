export { GeometryError, type GeometryErrorReason } from './errors';
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
} from './box';
export { boxCoverage, unionAreaOfBoxes } from './box-union';
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
} from './polygon';
export { GridIndex } from './spatial-index';
export {
  type Annotation,
  AnnotationSet,
  type PolygonGeometry,
  type PreparedAnnotation,
  prepareAnnotations,
} from './annotations';
export { type GeoJsonReadOptions, type GeoJsonReadResult, annotationsFromGeoJson } from './geojson';
export { type PatchLabelMeasures, patchLabelMeasures } from './patch-measures';
export type { LabelContext, LabelRule, LabelRuleDefinition, LabelRuleModule } from './rules/types';
export { DEFAULT_LABEL_RULE, labelRuleDefinitions, parseLabelRule } from './rules/registry';
export {
  DIGILUT_BOX_COLUMNS,
  type DigilutBoxCsv,
  type DigilutBoxRow,
  digilutBoxId,
  readDigilutBoxCsv,
  slideIdOfFilename,
  splitDelimited,
} from './digilut-csv';

export {
  type ListedSlide,
  type Submission,
  digilutCsvKind,
  readDigilutSubmissionCsv,
  readDigilutValidationCsv,
} from './digilut-lists';

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
