/**
 * SGD as torch.optim.SGD computes it (dampening 0), the reference code of NB201, DARTS and the
 * TND-NAS author using it:
 *   g ← s·∇ + wd·θ;  v ← μ·v + g (v ← g when the parameter has no velocity yet);
 *   step = nesterov ? g + μ·v : v;  θ ← θ − lr·step
 * with s the gradient-norm clip factor (clip_grad_norm_, see clip.ts) when `gradClip` is set, or a
 * factor the caller computed (`gradScale`). One fused kernel for all tensors where the backend has
 * it (engine/fused.ts), the composed float32 ops' result bit for bit.
 *
 * The velocity buffers are plain tensors owned here, created at a parameter's first update.
 * Checkpoints: `state()`/`load()` (by parameter name, only the buffers that exist) or
 * `slotValues()`/`loadSlotValues()` (one array per parameter in order, zeros where there is none
 * yet). TF.js's MomentumOptimizer is not used: it leaks a scalar on dispose and has no state access.
 */
import { tf, type Tensor, type Variable } from '../engine/tf.js';
import { sgdStep } from '../engine/fused.js';
import { TsnasError } from '../util/errors.js';
import { clipCoefficient } from './clip.js';

/** One state tensor in a checkpoint. */
export interface OptimStateEntry {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface SgdOptions {
  /** Learning rate (settable later through `lr`, or per step). Default 0. */
  lr?: number;
  /** Default 0 (no velocity kept). */
  momentum?: number;
  nesterov?: boolean;
  /** L2 weight decay added to the gradient. Default 0. */
  weightDecay?: number;
  /** Max global gradient norm: clip_grad_norm_ inside `step` (0 or undefined: no clipping). */
  gradClip?: number;
  /**
   * A parameter without a gradient in `step`: `skip` (default; torch with p.grad None: parameter and
   * velocity unchanged) or `zero` (a zero gradient: weight decay and momentum still move it; torch
   * after zero_grad(set_to_none=False), as the DARTS search code ran).
   */
  missingGrad?: 'skip' | 'zero';
}

export interface StepOptions {
  /** This step's learning rate (default: `lr`). */
  lr?: number;
  /** Gradient factor applied first (e.g. a clip factor computed by the caller). Default 1. */
  gradScale?: number;
}

/** Gradients: aligned with the parameters (null/undefined: none), or keyed by variable name as tf.variableGrads returns them. */
export type Grads = readonly (Tensor | null | undefined)[] | Readonly<Record<string, Tensor>>;

export class Sgd {
  readonly params: Variable[];
  /** Checkpoint names of the parameters (the given names, else the variables' names). */
  readonly names: string[];
  lr: number;
  readonly momentum: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
  readonly gradClip: number;
  readonly missingGrad: 'skip' | 'zero';
  /** Updates applied so far. */
  steps = 0;
  private readonly vel: (Tensor | undefined)[];

  constructor(params: readonly Variable[] | readonly (readonly [string, Variable])[], o: SgdOptions = {}) {
    const named = params.map((p) => (Array.isArray(p) ? (p as readonly [string, Variable]) : ([(p as Variable).name, p as Variable] as const)));
    this.params = named.map(([, v]) => v);
    this.names = named.map(([n]) => n);
    this.lr = o.lr ?? 0;
    this.momentum = o.momentum ?? 0;
    this.nesterov = o.nesterov ?? false;
    this.weightDecay = o.weightDecay ?? 0;
    this.gradClip = o.gradClip ?? 0;
    this.missingGrad = o.missingGrad ?? 'skip';
    this.vel = this.params.map(() => undefined);
  }

  /** Apply one update. Returns the pre-clip global gradient norm (NaN without `gradClip`). Disposes no gradient. */
  step(grads: Grads, o: StepOptions = {}): number {
    const aligned: (Tensor | null | undefined)[] = Array.isArray(grads)
      ? (grads as readonly (Tensor | null | undefined)[]).slice()
      : this.params.map((v) => (grads as Readonly<Record<string, Tensor>>)[v.name]);
    if (aligned.length !== this.params.length) throw new TsnasError(`Sgd.step: ${aligned.length} gradients for ${this.params.length} parameters`);
    let scale = o.gradScale ?? 1;
    let norm = NaN;
    if (this.gradClip > 0) {
      const c = clipCoefficient(aligned, this.gradClip);
      norm = c.norm;
      scale *= c.coef;
    }
    const idx = this.params.flatMap((_, i) => (aligned[i] || this.missingGrad === 'zero' ? [i] : []));
    const mu = this.momentum;
    tf.tidy(() => {
      const ps = idx.map((i) => this.params[i]!);
      const gs = idx.map((i) => aligned[i] ?? tf.zerosLike(this.params[i]!));
      const r = sgdStep(
        ps,
        gs,
        idx.map((i) => (mu ? this.vel[i] : undefined)),
        { lr: o.lr ?? this.lr, momentum: mu, weightDecay: this.weightDecay, nesterov: this.nesterov, gradScale: scale },
      );
      idx.forEach((i, k) => {
        ps[k]!.assign(r.params[k]!);
        if (mu) {
          this.vel[i]?.dispose();
          this.vel[i] = tf.keep(r.vel[k]!);
        }
      });
    });
    this.steps++;
    return norm;
  }

  /** The velocity of parameter `i` (undefined before its first update, or without momentum). Owned here. */
  velocity(i: number): Tensor | undefined {
    return this.vel[i];
  }

  /** Velocity buffers that exist (copies of the data), by parameter name. */
  state(): OptimStateEntry[] {
    return this.vel.flatMap((t, i) => (t ? [{ name: this.names[i]!, shape: t.shape, data: (t.dataSync() as Float32Array).slice() }] : []));
  }

  /** Replace the velocity buffers with a checkpoint's (`state()`'s entries; parameters not named have none). */
  load(entries: readonly OptimStateEntry[]): void {
    const index = new Map(this.names.map((n, i) => [n, i]));
    const next: (Tensor | undefined)[] = this.params.map(() => undefined);
    try {
      for (const e of entries) {
        const i = index.get(e.name);
        if (i === undefined) throw new TsnasError(`checkpoint has momentum for unknown parameter ${e.name}`);
        const v = this.params[i]!;
        if (v.size !== e.data.length) throw new TsnasError(`checkpoint momentum ${e.name} has ${e.data.length} values, parameter has ${v.size}`);
        next[i]?.dispose();
        next[i] = tf.tensor(e.data, v.shape, 'float32');
      }
    } catch (err) {
      tf.dispose(next.filter((t): t is Tensor => t !== undefined));
      throw err;
    }
    this.disposeState();
    next.forEach((t, i) => (this.vel[i] = t));
  }

  /** Shapes of the flat state (`slotValues`): one per parameter. */
  slotShapes(): number[][] {
    return this.params.map((p) => p.shape);
  }

  /** The state as one array per parameter, in order; zeros where there is no velocity (yet). */
  slotValues(): Float32Array[] {
    return this.params.map((p, i) => (this.vel[i] ? (this.vel[i]!.dataSync() as Float32Array).slice() : new Float32Array(p.size)));
  }

  /** Set every velocity from `slotValues()` arrays. */
  loadSlotValues(arrays: readonly Float32Array[]): void {
    if (arrays.length !== this.params.length) throw new TsnasError(`optimizer state: ${arrays.length} arrays for ${this.params.length} parameters`);
    arrays.forEach((a, i) => {
      if (a.length !== this.params[i]!.size) throw new TsnasError(`optimizer state ${i}: ${a.length} values, parameter has ${this.params[i]!.size}`);
    });
    this.disposeState();
    arrays.forEach((a, i) => (this.vel[i] = tf.tensor(a, this.params[i]!.shape, 'float32')));
  }

  private disposeState(): void {
    this.vel.forEach((t, i) => {
      t?.dispose();
      this.vel[i] = undefined;
    });
  }

  dispose(): void {
    this.disposeState();
  }
}
