// Focal loss (Lin et al., 2017), on logits, as torchvision's sigmoid_focal_loss:
//   ce = softplus(z) - z * y,  p = sigmoid(z),  p_t = y p + (1 - y)(1 - p)
//   alpha_t = y alpha + (1 - y)(1 - alpha)
//   l = alpha_t (1 - p_t)^gamma ce
// For y in {0, 1}, p (1 - p) = p_t (1 - p_t), which gives a gradient with no (1 - p_t)^(gamma - 1)
// (infinite at p_t = 1 when gamma < 1):
//   dl/dz = alpha_t (1 - p_t)^gamma [ (p - y) - gamma (2y - 1) p_t ce ]
import { emitSoftplus, sigmoid, softplus } from './shared';
import type { LossFunction } from './types';

export const focalLoss: LossFunction = {
  name: 'focal',
  description: 'focal loss (Lin et al., 2017): alpha-weighted cross-entropy scaled by (1 - p_t)^gamma',
  inputs: [
    { name: 'focal_alpha', param: 'alpha' },
    { name: 'focal_gamma', param: 'gamma' },
  ],
  binaryLabels: true,
  emit(g, z, y) {
    const alpha = 'focal_alpha';
    const gamma = 'focal_gamma';
    const one = g.constF(1);
    const ce = g.op('Sub', [emitSoftplus(g, z), g.op('Mul', [z, y])]);
    const p = g.op('Sigmoid', [z]);
    // sigmoid(-z) rather than 1 - p keeps 1 - p_t accurate when p is close to 1.
    const q = g.op('Sigmoid', [g.op('Neg', [z])]);
    const oneMinusY = g.op('Sub', [one, y]);
    const pt = g.op('Add', [g.op('Mul', [y, p]), g.op('Mul', [oneMinusY, q])]);
    const oneMinusPt = g.op('Add', [g.op('Mul', [y, q]), g.op('Mul', [oneMinusY, p])]);
    const alphaT = g.op('Add', [g.op('Mul', [alpha, y]), g.op('Mul', [g.op('Sub', [one, alpha]), oneMinusY])]);
    const scale = g.op('Mul', [alphaT, g.op('Pow', [oneMinusPt, gamma])]);
    const loss = g.op('Mul', [scale, ce]);
    const twoYMinus1 = g.op('Sub', [g.op('Add', [y, y]), one]);
    const focusTerm = g.op('Mul', [g.op('Mul', [gamma, twoYMinus1]), g.op('Mul', [pt, ce])]);
    const dLogit = g.op('Mul', [scale, g.op('Sub', [g.op('Sub', [p, y]), focusTerm])]);
    return { loss, dLogit };
  },
  reference(z, y, { alpha, gamma }) {
    const ce = softplus(z) - z * y;
    const p = sigmoid(z);
    const q = sigmoid(-z);
    const pt = y * p + (1 - y) * q;
    const oneMinusPt = y * q + (1 - y) * p;
    const scale = (alpha * y + (1 - alpha) * (1 - y)) * Math.pow(oneMinusPt, gamma);
    return { loss: scale * ce, dLogit: scale * (p - y - gamma * (2 * y - 1) * pt * ce) };
  },
  check({ alpha, gamma }) {
    if (!(alpha >= 0 && alpha <= 1)) return `alpha: expected a number in [0, 1], received ${alpha}`;
    if (!(gamma >= 0 && Number.isFinite(gamma))) return `gamma: expected a number >= 0, received ${gamma}`;
    return undefined;
  },
};
