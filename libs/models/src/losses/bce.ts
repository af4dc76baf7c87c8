// Binary cross-entropy on logits with PyTorch's pos_weight:
//   l = pw * y * softplus(-z) + (1 - y) * softplus(z),   softplus(-z) = softplus(z) - z
//   dl/dz = sigmoid(z) * (pw * y + 1 - y) - pw * y
// With pw = 1 this is max(z, 0) - z * y + log(1 + e^-|z|) and dl/dz = sigmoid(z) - y; it holds
// for soft labels too.
import { emitSoftplus, sigmoid, softplus } from './shared';
import type { LossFunction } from './types';

export const bceLoss: LossFunction = {
  name: 'bce',
  description: 'binary cross-entropy on logits, the positive term weighted by posWeight (PyTorch pos_weight)',
  inputs: [{ name: 'pos_weight', param: 'posWeight' }],
  binaryLabels: false,
  emit(g, z, y) {
    const pw = 'pos_weight';
    const spz = emitSoftplus(g, z);
    const spNegZ = g.op('Sub', [spz, z]);
    const oneMinusY = g.op('Sub', [g.constF(1), y]);
    const pwY = g.op('Mul', [pw, y]);
    const loss = g.op('Add', [g.op('Mul', [pwY, spNegZ]), g.op('Mul', [oneMinusY, spz])]);
    const dLogit = g.op('Sub', [g.op('Mul', [g.op('Sigmoid', [z]), g.op('Add', [pwY, oneMinusY])]), pwY]);
    return { loss, dLogit };
  },
  reference(z, y, { posWeight: pw }) {
    const spz = softplus(z);
    return {
      loss: pw * y * (spz - z) + (1 - y) * spz,
      dLogit: sigmoid(z) * (pw * y + 1 - y) - pw * y,
    };
  },
  check({ posWeight }) {
    return Number.isFinite(posWeight) && posWeight > 0
      ? undefined
      : `posWeight: expected a number > 0, received ${posWeight}`;
  },
};
