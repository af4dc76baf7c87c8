import type { GraphBuilder } from '../onnx/graph-builder';

/** softplus(z) = log(1 + e^z) written as max(z, 0) + log(1 + e^-|z|): no overflow for large |z|. */
export function emitSoftplus(g: GraphBuilder, z: string): string {
  const tail = g.op('Log', [g.op('Add', [g.constF(1), g.op('Exp', [g.op('Neg', [g.op('Abs', [z])])])])]);
  return g.op('Add', [g.op('Relu', [z]), tail]);
}

export function softplus(z: number): number {
  return Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}
