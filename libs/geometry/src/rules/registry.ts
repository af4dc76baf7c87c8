import { isValidParam, rangeText, Registry, USAGE_WORDING, type RecipeWording } from '@slidepipe/core';
import { GeometryError } from '../errors';
import { centerInBoxRule } from './center-in-box';
import { coverageRule } from './coverage';
import { iouRule } from './iou';
import type { LabelRule, LabelRuleDefinition, LabelRuleModule } from './types';

export const DEFAULT_LABEL_RULE = 'coverage>=0.1';

/** How a rule is written: "coverage>=T" or "center-in-box". */
const form = (d: LabelRuleModule): string => (d.operator ? `${d.name}${d.operator}T` : d.name);

const RULE_WORDING: RecipeWording = {
  quoteChoices: false,
  error(what, p) {
    // Rules are looked up by name only: an unknown name is the one problem.
    if (p.kind !== 'unknown-name') return USAGE_WORDING.error(what, p);
    return new GeometryError('INVALID_RULE', `${what}: unknown rule "${String(p.name)}": expected one of ${forms()}`);
  },
};

const RULES = new Registry<LabelRuleDefinition>(
  [coverageRule, iouRule, centerInBoxRule].map((d) => ({ ...d, summary: `${form(d)}: ${d.description}` })),
  { what: 'labelling rule', wording: RULE_WORDING },
);

/** The registered rules, for --help texts and validation messages. */
export function labelRuleDefinitions(): readonly LabelRuleDefinition[] {
  return RULES.definitions;
}

// Not a `name:key=value` recipe: a rule reads as a comparison, its one parameter the threshold T.
const SPEC = /^\s*([a-z][a-z0-9-]*)\s*(?:(>=|<=|==|=|>|<)\s*(\S*))?\s*$/i;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;

/**
 * Parses a rule like "coverage>=0.1", "coverage" (default threshold), "iou>0.25" or
 * "center-in-box". Throws a GeometryError (code INVALID_RULE) saying what was expected.
 */
export function parseLabelRule(text: string): LabelRule {
  const what = `labelling rule ${JSON.stringify(text)}`;
  const fail = (why: string): never => {
    throw new GeometryError('INVALID_RULE', `${what}: ${why}`);
  };
  const match = SPEC.exec(text);
  if (!match) return fail(`expected one of ${forms()}`);
  const [, rawName, operator, rawThreshold] = match;
  const definition = RULES.get(rawName.toLowerCase(), what);

  const spec = definition.threshold;
  if (definition.operator === null || spec === null) {
    if (operator !== undefined) {
      return fail(`expected "${definition.name}" without a threshold, received "${operator}${rawThreshold}"`);
    }
    return definition.create(null);
  }
  if (operator === undefined) return definition.create(spec.default);
  if (operator !== definition.operator) {
    return fail(`expected "${definition.name}${definition.operator}T", received operator "${operator}"`);
  }
  if (!DECIMAL.test(rawThreshold)) {
    return fail(`expected a decimal threshold after "${operator}", received "${rawThreshold}"`);
  }
  const threshold = Number(rawThreshold);
  if (!isValidParam(spec, threshold)) return fail(`expected a threshold in ${rangeText(spec)}, received ${threshold}`);
  return definition.create(threshold);
}

function forms(): string {
  return RULES.definitions
    .map((d) => (d.threshold ? `${form(d)} (default ${d.threshold.default})` : d.name))
    .join(', ');
}
