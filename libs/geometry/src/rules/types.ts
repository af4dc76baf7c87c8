import type { AnnotationSet } from '../annotations.js';
import type { Box } from '../box.js';
import type { PatchLabelMeasures } from '../patch-measures.js';

/** What a rule may look at to label one patch. */
export interface LabelContext {
  readonly patch: Box;
  readonly measures: PatchLabelMeasures;
  readonly annotations: AnnotationSet;
}

/** A configured labelling rule: turns a patch's overlap with the annotations into 0 or 1. */
export interface LabelRule {
  /** Registry name, e.g. "coverage". */
  readonly name: string;
  /** Canonical text that parseLabelRule reads back, e.g. "coverage>=0.1"; recorded in provenance. */
  readonly spec: string;
  readonly params: Readonly<Record<string, number>>;
  label(context: LabelContext): 0 | 1;
}

/** Inclusive/exclusive bounds a rule accepts for its threshold. */
export interface ThresholdRange {
  readonly min: number;
  readonly max: number;
  readonly minInclusive: boolean;
  readonly maxInclusive: boolean;
}

/** One entry of the rule registry; each lives in its own module. */
export interface LabelRuleDefinition {
  readonly name: string;
  readonly summary: string;
  /** The comparison written after the name ("coverage>=0.2"), or null for a rule without threshold. */
  readonly operator: '>=' | '>' | null;
  readonly defaultThreshold: number | null;
  readonly thresholdRange: ThresholdRange | null;
  /** Builds the rule; `threshold` is already checked against thresholdRange (null: no threshold). */
  create(threshold: number | null): LabelRule;
}
