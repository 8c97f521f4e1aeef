/**
 * Adam as torch.optim.Adam computes it (L2 weight decay added to the gradient, not AdamW):
 *   g' = g + wd·p;  m = β1·m + (1−β1)·g';  v = β2·v + (1−β2)·g'²;
 *   p −= lr·(m/(1−β1^t)) / (√(v/(1−β2^t)) + eps)
 * `Adam` on tensors (float32, the differentiable searches' α); `ArrayAdam` on plain number[][]
 * (float64, TND-NAS's policy α, with a global-norm clip of the gradient first and per-entry
 * masks freezing dropped ops).
 */
import { tf, type Tensor, type Variable } from '../engine/tf.js';
import { TsnasError } from '../util/errors.js';
import type { StepOptions } from './sgd.js';
import { clipScale } from './clip.js';

export interface AdamOptions {
  /** Learning rate (settable later through `lr`, or per step). Default 1e-3. */
  lr?: number;
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** L2 weight decay added to the gradient. Default 0. */
  weightDecay?: number;
  /** Default 1e-8. */
  eps?: number;
}

function zerosLike(params: readonly Variable[]): Variable[] {
  return params.map((p) => {
    const z = tf.zerosLike(p);
    const v = tf.variable(z, false);
    z.dispose();
    return v;
  });
}

export class Adam {
  readonly params: Variable[];
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly weightDecay: number;
  readonly eps: number;
  /** Updates applied so far (t of the bias corrections). */
  steps = 0;
  private readonly m: Variable[];
  private readonly v: Variable[];

  constructor(params: readonly Variable[], o: AdamOptions = {}) {
    this.params = [...params];
    this.lr = o.lr ?? 1e-3;
    this.beta1 = o.beta1 ?? 0.9;
    this.beta2 = o.beta2 ?? 0.999;
    this.weightDecay = o.weightDecay ?? 0;
    this.eps = o.eps ?? 1e-8;
    this.m = zerosLike(this.params);
    this.v = zerosLike(this.params);
  }

  /** One update from `grads` aligned with the parameters (null: a zero gradient). `gradScale` is not supported. */
  step(grads: readonly (Tensor | null | undefined)[], o: Omit<StepOptions, 'gradScale'> = {}): void {
    if (grads.length !== this.params.length) throw new TsnasError(`Adam.step: ${grads.length} gradients for ${this.params.length} parameters`);
    const lr = o.lr ?? this.lr;
    const t = this.steps + 1;
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
    this.steps = t;
  }

  /** Shapes of the flat state (`slotValues`): the first moments, then the second, in parameter order. */
  slotShapes(): number[][] {
    return [...this.m, ...this.v].map((s) => s.shape);
  }

  /** The moments as arrays (copies): m of every parameter, then v. The step count is kept by the caller (`steps`). */
  slotValues(): Float32Array[] {
    return [...this.m, ...this.v].map((s) => (s.dataSync() as Float32Array).slice());
  }

  loadSlotValues(arrays: readonly Float32Array[]): void {
    const slots = [...this.m, ...this.v];
    if (arrays.length !== slots.length) throw new TsnasError(`optimizer state: ${arrays.length} arrays for ${slots.length} Adam moments`);
    arrays.forEach((a, i) => {
      if (a.length !== slots[i]!.size) throw new TsnasError(`optimizer state ${i}: ${a.length} values, moment has ${slots[i]!.size}`);
    });
    slots.forEach((s, i) => tf.tidy(() => s.assign(tf.tensor(arrays[i]!, s.shape, 'float32'))));
  }

  dispose(): void {
    tf.dispose([...this.m, ...this.v]);
  }
}

export interface ArrayAdamOptions extends AdamOptions {
  /** Max global norm of the gradient, clipped before the weight decay is added (0: off). Default 0. */
  clip?: number;
}

/** ArrayAdam's checkpoint: the moments (null before the first step) and the step count. */
export interface ArrayAdamState {
  m: number[][] | null;
  v: number[][] | null;
  t: number;
}

/** Adam on number[][] in float64 (see the module comment). */
export class ArrayAdam {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly weightDecay: number;
  readonly clip: number;
  readonly eps: number;
  private m: number[][] | undefined;
  private v: number[][] | undefined;
  private t = 0;

  constructor(o: ArrayAdamOptions = {}) {
    this.lr = o.lr ?? 1e-3;
    this.beta1 = o.beta1 ?? 0.9;
    this.beta2 = o.beta2 ?? 0.999;
    this.weightDecay = o.weightDecay ?? 0;
    this.clip = o.clip ?? 0;
    this.eps = o.eps ?? 1e-8;
  }

  /** The moments and step count (copies, for checkpoints). */
  state(): ArrayAdamState {
    return { m: this.m?.map((r) => [...r]) ?? null, v: this.v?.map((r) => [...r]) ?? null, t: this.t };
  }

  load(s: ArrayAdamState): void {
    this.m = s.m?.map((r) => [...r]);
    this.v = s.v?.map((r) => [...r]);
    this.t = s.t;
  }

  /** Update `params` in place; entries whose mask is false are left as they are (their moments too). */
  step(params: number[][], grads: readonly (readonly number[])[], masks?: readonly (readonly boolean[])[]): void {
    let norm = 0;
    for (const r of grads) for (const x of r) norm += x * x;
    norm = Math.sqrt(norm);
    const scale = clipScale(norm, this.clip);
    this.m ??= params.map((r) => r.map(() => 0));
    this.v ??= params.map((r) => r.map(() => 0));
    this.t++;
    const bc1 = 1 - this.beta1 ** this.t;
    const bc2 = 1 - this.beta2 ** this.t;
    params.forEach((row, e) =>
      row.forEach((p, o) => {
        if (masks && !masks[e]![o]) return; // dropped ops are frozen
        const g = grads[e]![o]! * scale + this.weightDecay * p;
        const m = (this.m![e]![o] = this.beta1 * this.m![e]![o]! + (1 - this.beta1) * g);
        const v = (this.v![e]![o] = this.beta2 * this.v![e]![o]! + (1 - this.beta2) * g * g);
        row[o] = p - (this.lr * (m / bc1)) / (Math.sqrt(v / bc2) + this.eps);
      }),
    );
  }
}
