export { MetricsError, type MetricsErrorReason } from './errors.js';
export { averagePrecision, rocAuc } from './ranking.js';
export {
  type ConfusionCounts,
  type ThresholdPoint,
  type ThresholdSweep,
  confusionCounts,
  fBeta,
  precision,
  recall,
  thresholdSweep,
} from './classification.js';
export { maxWeightAssignment } from './assignment.js';
export {
  type BoxMatch,
  type BoxMatchOptions,
  type BoxMatchResult,
  type BoxMatching,
  type SlideBoxes,
  type SlideScore,
  type SlideScoring,
  giouMatrix,
  matchBoxes,
  scoreSlides,
} from './box-matching.js';
export {
  type FoldAssignment,
  type FoldBalance,
  type GroupInfo,
  type GroupSplit,
  type PartTally,
  type StratumTally,
  assignGroupFolds,
  foldBalance,
  splitGroups,
} from './folds.js';
