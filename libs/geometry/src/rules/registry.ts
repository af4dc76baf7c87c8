import { GeometryError } from '../errors.js';
import { centerInBoxRule } from './center-in-box.js';
import { coverageRule } from './coverage.js';
import { iouRule } from './iou.js';
import type { LabelRule, LabelRuleDefinition, ThresholdRange } from './types.js';

export const DEFAULT_LABEL_RULE = 'coverage>=0.1';

const definitions: readonly LabelRuleDefinition[] = [coverageRule, iouRule, centerInBoxRule];

/** The registered rules, for --help texts and validation messages. */
export function labelRuleDefinitions(): readonly LabelRuleDefinition[] {
  return definitions;
}

const SPEC = /^\s*([a-z][a-z0-9-]*)\s*(?:(>=|<=|==|=|>|<)\s*(\S*))?\s*$/i;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;

/**
 * Parses a rule like "coverage>=0.1", "coverage" (default threshold), "iou>0.25" or
 * "center-in-box". Throws a GeometryError (code INVALID_RULE) saying what was expected.
 */
export function parseLabelRule(text: string): LabelRule {
  const fail = (why: string): never => {
    throw new GeometryError('INVALID_RULE', `labelling rule ${JSON.stringify(text)}: ${why}`);
  };
  const match = SPEC.exec(text);
  if (!match) return fail(`expected one of ${forms()}`);
  const [, rawName, operator, rawThreshold] = match;
  const name = rawName.toLowerCase();
  const definition = definitions.find((d) => d.name === name);
  if (!definition) return fail(`unknown rule "${name}": expected one of ${forms()}`);

  if (definition.operator === null) {
    if (operator !== undefined) {
      return fail(`expected "${definition.name}" without a threshold, received "${operator}${rawThreshold}"`);
    }
    return definition.create(null);
  }
  if (operator === undefined) return definition.create(definition.defaultThreshold);
  if (operator !== definition.operator) {
    return fail(`expected "${definition.name}${definition.operator}T", received operator "${operator}"`);
  }
  if (!DECIMAL.test(rawThreshold)) {
    return fail(`expected a decimal threshold after "${operator}", received "${rawThreshold}"`);
  }
  const threshold = Number(rawThreshold);
  const range = definition.thresholdRange;
  if (range && !inRange(threshold, range)) {
    return fail(`expected a threshold in ${formatRange(range)}, received ${threshold}`);
  }
  return definition.create(threshold);
}

function inRange(value: number, r: ThresholdRange): boolean {
  const aboveMin = r.minInclusive ? value >= r.min : value > r.min;
  const belowMax = r.maxInclusive ? value <= r.max : value < r.max;
  return aboveMin && belowMax;
}

function formatRange(r: ThresholdRange): string {
  return `${r.minInclusive ? '[' : '('}${r.min}, ${r.max}${r.maxInclusive ? ']' : ')'}`;
}

function forms(): string {
  return definitions
    .map((d) => (d.operator ? `${d.name}${d.operator}T (default ${d.defaultThreshold})` : d.name))
    .join(', ');
}
