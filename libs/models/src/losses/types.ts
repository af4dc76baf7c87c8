import type { GraphBuilder } from '../onnx/graph-builder';

export type LossName = 'bce' | 'focal';

/** Every loss hyper-parameter the registry knows; each loss reads the ones it needs. */
export interface LossParams {
  /** BCE: weight of the positive term (PyTorch's pos_weight). */
  posWeight: number;
  /** Focal: weight of positives, 1 - alpha for negatives (Lin et al. use 0.25). */
  alpha: number;
  /** Focal: focusing exponent, >= 0 (0 gives alpha-weighted BCE). */
  gamma: number;
}

export const DEFAULT_LOSS_PARAMS: LossParams = { posWeight: 1, alpha: 0.25, gamma: 2 };

export interface LossValue {
  loss: number;
  dLogit: number;
}

/**
 * A per-sample loss of one logit z and a label y, with its derivative in closed form so that a
 * training graph needs no automatic differentiation.
 */
export interface LossFunction {
  readonly name: LossName;
  /** One line for --help. */
  readonly description: string;
  /** Scalar float graph inputs (their names) and the parameter that feeds each. */
  readonly inputs: readonly { name: string; param: keyof LossParams }[];
  /** Whether labels must be exactly 0 or 1 (the closed-form gradient assumes it). */
  readonly binaryLabels: boolean;
  /** Emits per-sample loss [B] and dloss/dz [B] from logits z [B] and labels y [B]. */
  emit(g: GraphBuilder, z: string, y: string): { loss: string; dLogit: string };
  /** The same in float64, for tests and checks. */
  reference(z: number, y: number, p: LossParams): LossValue;
  /** A parameter error message, or undefined when the parameters are usable. */
  check(p: LossParams): string | undefined;
}
