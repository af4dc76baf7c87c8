import { boxCenter } from '../box';
import type { LabelRuleModule } from './types';

/**
 * Positive when the patch centre lies inside an annotation (box or polygon). Boxes are
 * half-open, so on a grid whose patch centres fall on a box edge each centre is decided once.
 */
export const centerInBoxRule: LabelRuleModule = {
  name: 'center-in-box',
  description: 'the patch centre lies inside an annotation',
  operator: null,
  threshold: null,
  create() {
    return {
      name: 'center-in-box',
      spec: 'center-in-box',
      params: {},
      label: ({ patch, annotations }) => {
        const { x, y } = boxCenter(patch);
        return annotations.containing(x, y).length > 0 ? 1 : 0;
      },
    };
  },
};
