import type { LabelRuleDefinition } from './types.js';

const DEFAULT_THRESHOLD = 0.1;

/**
 * Positive when at least a fraction T of the patch lies under the union of annotations. The
 * default 0.1 keeps patches that only graze a lesion edge: a DigiLut lesion (about 940 px) is
 * smaller than a 2x2 block of 512-px footprints, so most of its patches are partly covered.
 */
export const coverageRule: LabelRuleDefinition = {
  name: 'coverage',
  summary: 'coverage>=T: at least a fraction T of the patch is covered by the union of annotations',
  operator: '>=',
  defaultThreshold: DEFAULT_THRESHOLD,
  thresholdRange: { min: 0, max: 1, minInclusive: false, maxInclusive: true },
  create(threshold) {
    const t = threshold ?? DEFAULT_THRESHOLD;
    return {
      name: 'coverage',
      spec: `coverage>=${t}`,
      params: { threshold: t },
      label: ({ measures }) => (measures.coverage >= t ? 1 : 0),
    };
  },
};
