import type { NumberParamSpec } from '@slidepipe/core';
import type { AnnotationSet } from '../annotations';
import type { Box } from '../box';
import type { PatchLabelMeasures } from '../patch-measures';

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

/** A rule as its module defines it. */
export interface LabelRuleModule {
  readonly name: string;
  /** What the rule means, for --help. */
  readonly description: string;
  /** The comparison written after the name ("coverage>=0.2"), or null for a rule without threshold. */
  readonly operator: '>=' | '>' | null;
  /** The threshold T's default and bounds, or null for a rule without threshold. */
  readonly threshold: NumberParamSpec | null;
  /** Builds the rule; `threshold` is already checked against its spec (null: no threshold). */
  create(threshold: number | null): LabelRule;
}

/** One entry of the rule registry. */
export interface LabelRuleDefinition extends LabelRuleModule {
  /** The form and the meaning, e.g. "coverage>=T: at least a fraction T ...". */
  readonly summary: string;
}
