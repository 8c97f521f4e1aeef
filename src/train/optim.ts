/**
 * SGD as PyTorch's torch.optim.SGD computes it (the reference code of NB201 and DARTS uses it):
 *   g ← ∇ + wd·θ;  v ← μ·v + g;  step = nesterov ? g + μ·v : v;  θ ← θ − lr·step
 * plus clip_grad_norm_ (global L2 norm over all gradients, scaled by max/(norm + 1e-6) when above).
 * The velocity buffers are plain tensors owned here; `state()`/`load()` move them to and from a
 * checkpoint. TF.js's MomentumOptimizer is not used: it leaks a scalar on dispose and has no
 * decoupled state access.
 */
import { tf, type Tensor, type Variable } from '../engine/tf.js';
import { TsnasError } from '../util/errors.js';
import { sgdStep, sumOfSquares } from '../engine/fused.js';

export interface SgdOptions {
  lr: number;
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
  /** Max global gradient norm (0 or undefined: no clipping). */
  gradClip?: number;
}

export class Sgd {
  private readonly vel = new Map<string, Tensor>();
  lr: number;

  constructor(readonly params: [string, Variable][], readonly o: SgdOptions) {
    this.lr = o.lr;
  }

  /** Apply one update from `grads` (keyed by variable name, as tf.variableGrads returns them). Returns the pre-clip gradient norm. */
  step(grads: Record<string, Tensor>): number {
    const { momentum: mu, nesterov, weightDecay: wd, gradClip } = this.o;
    const live = this.params.filter(([, v]) => grads[v.name]);
    const gs = live.map(([, v]) => grads[v.name]!);
    let scale = 1;
    let norm = NaN;
    if (gradClip && gradClip > 0) {
      norm = Math.sqrt(sumOfSquares(gs));
      if (norm > gradClip) scale = gradClip / (norm + 1e-6);
    }
    tf.tidy(() => {
      const r = sgdStep(live.map(([, v]) => v), gs, live.map(([name]) => this.vel.get(name)), { lr: this.lr, momentum: mu, weightDecay: wd, nesterov, gradScale: scale });
      live.forEach(([name, v], i) => {
        v.assign(r.params[i]!);
        if (mu) {
          this.vel.get(name)?.dispose();
          this.vel.set(name, tf.keep(r.vel[i]!));
        }
      });
    });
    return norm;
  }

  /** Velocity buffers (copies of the data) for a checkpoint. */
  state(): { name: string; shape: number[]; data: Float32Array }[] {
    return [...this.vel].map(([name, t]) => ({ name, shape: t.shape, data: t.dataSync() as Float32Array }));
  }

  load(entries: { name: string; shape: number[]; data: Float32Array }[]): void {
    const known = new Map(this.params.map(([n, v]) => [n, v]));
    this.disposeState();
    for (const e of entries) {
      const v = known.get(e.name);
      if (!v) throw new TsnasError(`checkpoint has momentum for unknown parameter ${e.name}`);
      if (v.size !== e.data.length) throw new TsnasError(`checkpoint momentum ${e.name} has ${e.data.length} values, parameter has ${v.size}`);
      this.vel.set(e.name, tf.tensor(e.data, v.shape));
    }
  }

  private disposeState(): void {
    for (const t of this.vel.values()) t.dispose();
    this.vel.clear();
  }

  dispose(): void {
    this.disposeState();
  }
}

/** Cosine annealing per epoch (PyTorch CosineAnnealingLR stepped once per epoch): lr at epoch e of E. */
export function cosineLr(base: number, epoch: number, epochs: number, min = 0): number {
  return min + 0.5 * (base - min) * (1 + Math.cos((Math.PI * epoch) / epochs));
}
