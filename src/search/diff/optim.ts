/**
 * Optimizers with PyTorch semantics and serialisable state (checkpoints must restore them
 * bit-for-bit), gradient-norm clipping, and the cosine schedule of the DARTS search code.
 *
 * SGD (torch.optim.SGD, dampening 0): d = g + wd·p; buf = m·buf + d (buf = d at the first step);
 * p −= lr·buf.
 * Adam (torch.optim.Adam, L2 weight decay): g' = g + wd·p; m = β1·m + (1−β1)·g'; v = β2·v + (1−β2)·g'²;
 * p −= lr·(m/(1−β1^t)) / (√(v/(1−β2^t)) + eps).
 */
import { tf, type Tensor, type Variable } from '../../engine/tf.js';
import { sgdStep, sumOfSquares } from '../../engine/fused.js';

export abstract class Optimizer {
  step = 0;
  constructor(readonly params: Variable[]) {}
  /** Apply one update from `grads` (aligned with params; null = zero gradient). Disposes nothing it did not create. */
  abstract apply(grads: (Tensor | null)[], lr: number): void;
  /** Every state tensor (for checkpoints), in a fixed order. */
  abstract slots(): Variable[];
  dispose(): void {
    for (const s of this.slots()) s.dispose();
  }
}

function zerosLike(params: Variable[]): Variable[] {
  return params.map((p) => {
    const z = tf.zerosLike(p);
    const v = tf.variable(z, false);
    z.dispose();
    return v;
  });
}

export class Sgd extends Optimizer {
  readonly buf: Variable[];
  constructor(params: Variable[], readonly momentum: number, readonly weightDecay: number) {
    super(params);
    this.buf = zerosLike(params);
  }

  apply(grads: (Tensor | null)[], lr: number, gradScale = 1): void {
    const first = this.step === 0;
    tf.tidy(() => {
      const gs = this.params.map((p, i) => grads[i] ?? tf.zerosLike(p));
      const vel = first || this.momentum === 0 ? [] : this.buf;
      const r = sgdStep(this.params, gs, this.params.map((_, i) => vel[i]), { lr, momentum: this.momentum, weightDecay: this.weightDecay, gradScale });
      this.params.forEach((p, i) => {
        this.buf[i]!.assign(r.vel[i]!);
        p.assign(r.params[i]!);
      });
    });
    this.step++;
  }

  slots(): Variable[] {
    return this.buf;
  }
}

export class Adam extends Optimizer {
  readonly m: Variable[];
  readonly v: Variable[];
  constructor(params: Variable[], readonly beta1: number, readonly beta2: number, readonly weightDecay: number, readonly eps = 1e-8) {
    super(params);
    this.m = zerosLike(params);
    this.v = zerosLike(params);
  }

  apply(grads: (Tensor | null)[], lr: number): void {
    const t = this.step + 1;
    const bc1 = 1 - this.beta1 ** t;
    const bc2 = 1 - this.beta2 ** t;
    tf.tidy(() => {
      this.params.forEach((p, i) => {
        const g0 = grads[i] ?? tf.zerosLike(p);
        const g = this.weightDecay ? tf.add(g0, tf.mul(p, this.weightDecay)) : g0;
        const m = tf.add(tf.mul(this.m[i]!, this.beta1), tf.mul(g, 1 - this.beta1));
        const v = tf.add(tf.mul(this.v[i]!, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        this.m[i]!.assign(m);
        this.v[i]!.assign(v);
        const denom = tf.add(tf.sqrt(tf.div(v, bc2)), this.eps);
        p.assign(tf.sub(p, tf.mul(tf.div(m, denom), lr / bc1)));
      });
    });
    this.step = t;
  }

  slots(): Variable[] {
    return [...this.m, ...this.v];
  }
}

/** Global L2 norm of the gradients. */
export function globalNorm(grads: (Tensor | null)[]): number {
  return Math.sqrt(sumOfSquares(grads.filter((g): g is Tensor => g !== null)));
}

/** torch.nn.utils.clip_grad_norm_'s factor: min(1, max/(norm+1e-6)), and the pre-clip norm. */
export function clipCoefficient(grads: (Tensor | null)[], maxNorm: number): { coef: number; norm: number } {
  const norm = globalNorm(grads);
  const coef = maxNorm / (norm + 1e-6);
  return { coef: coef < 1 ? coef : 1, norm };
}

/** CosineAnnealingLR(T_max = epochs, eta_min): the lr used during epoch `e` (0-based). */
export function cosineLr(lr: number, lrMin: number, epoch: number, epochs: number): number {
  return lrMin + ((lr - lrMin) * (1 + Math.cos((Math.PI * epoch) / epochs))) / 2;
}
