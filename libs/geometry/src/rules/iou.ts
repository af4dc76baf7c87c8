import type { LabelRuleModule } from './types';

const DEFAULT_THRESHOLD = 0.1;

/**
 * Positive when the patch rectangle has IoU above T with a single annotation. The default is
 * low on purpose: a 512-px footprint lying wholly inside a 940-px box only reaches
 * 512² / 940² ≈ 0.297, so any T above that labels no patch of a median DigiLut lesion.
 */
export const iouRule: LabelRuleModule = {
  name: 'iou',
  description: 'the patch has IoU above T with at least one annotation',
  operator: '>',
  threshold: {
    type: 'number',
    default: DEFAULT_THRESHOLD,
    min: 0,
    max: 1,
    maxExclusive: true,
    description: 'the IoU a positive patch exceeds',
  },
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
