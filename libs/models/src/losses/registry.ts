// Losses by name: a new loss is one file plus one line here.
import { bceLoss } from './bce.js';
import { focalLoss } from './focal.js';
import type { LossFunction, LossName } from './types.js';
import { ModelError } from '../errors.js';

export const LOSSES: Readonly<Record<LossName, LossFunction>> = { bce: bceLoss, focal: focalLoss };

export function getLoss(name: string): LossFunction {
  const loss = (LOSSES as Record<string, LossFunction | undefined>)[name];
  if (!loss) throw new ModelError('INVALID_PARAMETER', `loss: expected one of ${Object.keys(LOSSES).join(', ')}, received ${JSON.stringify(name)}`);
  return loss;
}
