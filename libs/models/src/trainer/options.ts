import { z } from 'zod';
import { ModelError } from '../errors';
import { getLoss } from '../losses/registry';

/**
 * The training recipe of an MLP head. Everything here is recorded in saved states and exported
 * models; runtime settings (threads) are not, since they do not change the result.
 */
export const mlpTrainOptionsSchema = z.object({
  hidden: z.array(z.number().int().min(1)).default([256]),
  /** Dropout after each hidden ReLU, as a drop probability. */
  dropout: z.number().min(0).lt(1).default(0),
  lr: z.number().positive().default(1e-3),
  /** 'adamw': decoupled decay (torch.optim.AdamW); 'adam': L2 added to the gradient (torch.optim.Adam). */
  optimizer: z.enum(['adamw', 'adam']).default('adamw'),
  /** Weight decay, on weights only (decoupled for adamw, L2 for adam). */
  weightDecay: z.number().min(0).default(1e-4),
  batchSize: z.number().int().min(1).default(512),
  epochs: z.number().int().min(1).default(20),
  loss: z.enum(['bce', 'focal']).default('bce'),
  /** Focal: weight of positives (1 - alpha for negatives). */
  alpha: z.number().min(0).max(1).default(0.25),
  /** Focal: focusing exponent. */
  gamma: z.number().min(0).default(2),
  /** BCE: weight of the positive term. */
  posWeight: z.number().positive().default(1),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1)
    .default(0),
  beta1: z.number().min(0).lt(1).default(0.9),
  beta2: z.number().min(0).lt(1).default(0.999),
  eps: z.number().positive().default(1e-8),
  /**
   * Skip the last batch of an epoch when it is shorter than batchSize. Off by default: the graph's
   * batch dimension is symbolic, so a short last batch runs as is, and every row is seen.
   */
  dropLast: z.boolean().default(false),
});

export type MlpTrainOptions = z.output<typeof mlpTrainOptionsSchema>;
export type MlpTrainOptionsInput = z.input<typeof mlpTrainOptionsSchema>;

/** Fills defaults and checks ranges; errors name the option, what was expected and what came. */
export function parseMlpTrainOptions(input: MlpTrainOptionsInput = {}): MlpTrainOptions {
  const r = mlpTrainOptionsSchema.strict().safeParse(input);
  if (!r.success) {
    const msg = r.error.issues.map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`).join('; ');
    throw new ModelError('INVALID_PARAMETER', `MLP training options: ${msg}`);
  }
  const problem = getLoss(r.data.loss).check(r.data);
  if (problem) throw new ModelError('INVALID_PARAMETER', problem);
  return r.data;
}
