import type { LabelRuleDefinition } from './types.js';

const DEFAULT_THRESHOLD = 0.1;

/**
 * Positive when the patch rectangle has IoU above T with a single annotation. The default is
 * low on purpose: a 512-px footprint lying wholly inside a 940-px box only reaches
 * 512² / 940² ≈ 0.297, so any T above that labels no patch of a median DigiLut lesion.
 */
export const iouRule: LabelRuleDefinition = {
  name: 'iou',
  summary: 'iou>T: the patch has IoU above T with at least one annotation',
  operator: '>',
  defaultThreshold: DEFAULT_THRESHOLD,
  thresholdRange: { min: 0, max: 1, minInclusive: true, maxInclusive: false },
  create(threshold) {
    const t = threshold ?? DEFAULT_THRESHOLD;
    return {
      name: 'iou',
      spec: `iou>${t}`,
      params: { threshold: t },
      label: ({ measures }) => (measures.bestIou > t ? 1 : 0),
    };
  },
};
