/** Gradient-norm clipping as torch.nn.utils.clip_grad_norm_ computes it (one global L2 norm over all gradients). */
import type { Tensor } from '../engine/tf.js';
import { sumOfSquares } from '../engine/fused.js';

/** Global L2 norm of the gradients (nulls skipped), accumulated in float64 where the backend can. */
export function globalNorm(grads: readonly (Tensor | null | undefined)[]): number {
  return Math.sqrt(sumOfSquares(grads.filter((g): g is Tensor => g != null)));
}

/**
 * clip_grad_norm_'s factor for a global norm: min(1, max/(norm + 1e-6)); 1 when `maxNorm` is 0 or
 * less (no clipping).
 */
export function clipScale(norm: number, maxNorm: number): number {
  if (!(maxNorm > 0)) return 1;
  const coef = maxNorm / (norm + 1e-6);
  return coef < 1 ? coef : 1;
}

/** The clip factor of `grads` for `maxNorm`, and their pre-clip global norm. */
export function clipCoefficient(grads: readonly (Tensor | null | undefined)[], maxNorm: number): { coef: number; norm: number } {
  const norm = globalNorm(grads);
  return { coef: clipScale(norm, maxNorm), norm };
}
