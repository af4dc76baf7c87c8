import type { LabelRuleModule } from './types';

const DEFAULT_THRESHOLD = 0.1;

/**
 * Positive when at least a fraction T of the patch lies under the union of annotations. The
 * default 0.1 keeps patches that only graze a lesion edge: a DigiLut lesion (about 940 px) is
 * smaller than a 2x2 block of 512-px footprints, so most of its patches are partly covered.
 */
export const coverageRule: LabelRuleModule = {
  name: 'coverage',
  description: 'at least a fraction T of the patch is covered by the union of annotations',
  operator: '>=',
  threshold: {
    type: 'number',
    default: DEFAULT_THRESHOLD,
    min: 0,
    max: 1,
    minExclusive: true,
    description: 'the covered fraction a positive patch reaches',
  },
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
