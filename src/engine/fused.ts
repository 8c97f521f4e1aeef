/**
 * Fused primitives with hand-written gradients. TF.js's own batch-norm gradient spends ~45% of a
 * training step in Tile (ENGINE-NOTES.md); here the gradient is the closed form. A backend may
 * register the kernels named below to run these in one pass; otherwise they are composed from
 * standard ops, which every backend has.
 */
import { tf, type Tensor } from './tf.js';

/** Kernel names a backend may implement natively (see native-backend.ts). */
export const BN_FORWARD_KERNEL = 'TsnasBatchNormForward';
export const BN_BACKWARD_KERNEL = 'TsnasBatchNormBackward';

function hasKernel(name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) !== undefined;
}

/**
 * Batch normalisation in training mode over all axes but the last (NHWC or NC), no affine part.
 * Returns x̂ = (x − mean)·invstd. The batch mean and variance are handed to `onStats` while they
 * are alive (they are freed when it returns): the place to update running statistics.
 * Gradient: dx = invstd·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)).
 */
export function normalizeBatch(
  x: Tensor,
  eps = 1e-5,
  onStats?: (mean: Tensor, variance: Tensor) => void,
): Tensor {
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const f = tf.customGrad(((xs: Tensor, save: tf.GradSaveFunc) => {
    let xhat: Tensor;
    let invstd: Tensor;
    let mean: Tensor;
    if (hasKernel(BN_FORWARD_KERNEL)) {
      const out = tf.engine().runKernel(BN_FORWARD_KERNEL, { x: xs }, { eps }) as Tensor[];
      [xhat, mean, invstd] = out as [Tensor, Tensor, Tensor];
      if (onStats) onStats(mean, tf.sub(tf.div(1, tf.square(invstd)), eps));
    } else {
      const m = tf.moments(xs, axes);
      mean = m.mean;
      invstd = tf.rsqrt(tf.add(m.variance, eps));
      xhat = tf.mul(tf.sub(xs, mean), invstd);
      if (onStats) onStats(mean, m.variance);
    }
    save([xhat, invstd]);
    return {
      value: xhat,
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [sx, sinv] = saved as [Tensor, Tensor];
        if (hasKernel(BN_BACKWARD_KERNEL)) {
          return tf.engine().runKernel(BN_BACKWARD_KERNEL, { dy, xhat: sx, invstd: sinv }, {}) as Tensor;
        }
        const mdy = tf.mean(dy, axes);
        const mdyx = tf.mean(tf.mul(dy, sx), axes);
        return tf.mul(sinv, tf.sub(tf.sub(dy, mdy), tf.mul(sx, mdyx)));
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x);
}
