export { MetricsError, type MetricsErrorReason } from './errors';
export { averagePrecision, rocAuc } from './ranking';
export {
  type ConfusionCounts,
  type ThresholdPoint,
  type ThresholdSweep,
  confusionCounts,
  fBeta,
  precision,
  recall,
  thresholdSweep,
} from './classification';
export { maxWeightAssignment } from './assignment';
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
} from './box-matching';
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
} from './folds';
