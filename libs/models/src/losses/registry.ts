// Losses by name: a new loss is one file plus one entry here.
import { Registry, USAGE_WORDING, type RecipeWording } from '@slidepipe/core';
import { ModelError } from '../errors';
import { bceLoss } from './bce';
import { focalLoss } from './focal';
import type { LossFunction, LossName } from './types';

/** This library's errors are ModelErrors, worded "expected X, received Y". */
const LOSS_WORDING: RecipeWording = {
  ...USAGE_WORDING,
  error(what, p) {
    if (p.kind !== 'unknown-name') return USAGE_WORDING.error(what, p);
    return new ModelError(
      'INVALID_PARAMETER',
      `${what}: expected one of ${p.known.join(', ')}, received ${JSON.stringify(p.name)}`,
    );
  },
};

const REGISTRY = new Registry<LossFunction>([bceLoss, focalLoss], { what: 'loss', wording: LOSS_WORDING });

export const LOSSES = Object.fromEntries(REGISTRY.definitions.map((l) => [l.name, l])) as Readonly<
  Record<LossName, LossFunction>
>;

export function getLoss(name: string): LossFunction {
  return REGISTRY.get(name);
}
