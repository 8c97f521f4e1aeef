/**
 * A minimal module system over TF.js variables: named trainable parameters, non-trainable buffers
 * (BN running statistics), a forward context with hooks (NASWOT reads every ReLU's input) and a
 * FLOP counter that follows NAS-Bench-201's rules (convolutions and linear layers only).
 */
import { tf, type Tensor, type Tensor4D, type Variable } from '../engine/tf.js';
import type { Rng } from '../util/rng.js';
import type { ReleasingPass } from './release.js';

export interface ForwardHooks {
  /** Called with the input of every ReLU, in forward order (NASWOT, DAS). */
  relu?: (x: Tensor) => void;
  /**
   * Called at the network's cuts: tensors that together carry everything the rest of the forward
   * pass reads (every path from the input to the logits passes through them). The returned tensors,
   * of the same shapes, replace them. synflow rescales activations there (proxies/zero-cost.ts).
   */
  cut?: (xs: Tensor4D[]) => Tensor4D[];
}

/** `xs` through the `cut` hook, or unchanged without one (see ForwardHooks.cut). */
export function atCut(ctx: ForwardCtx, xs: Tensor4D[]): Tensor4D[] {
  const ys = ctx.hooks?.cut ? ctx.hooks.cut(xs) : xs;
  ctx.release?.cut(ys);
  return ys;
}

/**
 * `f()` in its own tidy scope in a releasing pass (ctx.release), so an op's intermediates are freed
 * as soon as it returns; a plain call otherwise (a supernet shares ReLU results across ops per pass).
 */
export function opScope<T extends Tensor>(ctx: ForwardCtx, f: () => T): T {
  return ctx.release ? tf.tidy(f) : f();
}

/**
 * `f(x)` for an intermediate `x` that nothing but `f` reads (the previous step of a chain such as
 * ReLU → conv → BN): in a releasing pass `x` is freed as soon as `f` returns, so a chain holds two
 * of its tensors at a time, not all of them until its scope ends.
 */
export function consume<T extends Tensor>(ctx: ForwardCtx, x: Tensor, f: (x: Tensor) => T): T {
  const y = f(x);
  if (y !== x) ctx.release?.free([x]);
  return y;
}

export interface ForwardCtx {
  training: boolean;
  hooks?: ForwardHooks;
  /** When set, conv/linear layers add their FLOPs (per batch) here. */
  flops?: { total: number };
  /** Drop-path probability for evaluation networks (training only). */
  dropPath?: number;
  rng?: Rng;
  /** false: parameter-free results (ReLU, pooling) are recomputed per use instead of shared per pass. */
  share?: boolean;
  /** A pass that records no gradient: intermediates are freed at every cut (see release.ts). */
  release?: ReleasingPass;
}

export abstract class Module {
  private readonly _params = new Map<string, Variable>();
  private readonly _buffers = new Map<string, Variable>();
  private readonly _children = new Map<string, Module>();

  protected param(name: string, value: Tensor): Variable {
    const v = tf.variable(value, true);
    value.dispose();
    this._params.set(name, v);
    return v;
  }

  protected buffer(name: string, value: Tensor): Variable {
    const v = tf.variable(value, false);
    value.dispose();
    this._buffers.set(name, v);
    return v;
  }

  protected child<M extends Module>(name: string, m: M): M {
    this._children.set(name, m);
    return m;
  }

  /** Trainable parameters with dotted names, in registration order. */
  namedParameters(prefix = ''): [string, Variable][] {
    const out: [string, Variable][] = [];
    for (const [k, v] of this._params) out.push([prefix + k, v]);
    for (const [k, c] of this._children) out.push(...c.namedParameters(`${prefix}${k}.`));
    return out;
  }

  namedBuffers(prefix = ''): [string, Variable][] {
    const out: [string, Variable][] = [];
    for (const [k, v] of this._buffers) out.push([prefix + k, v]);
    for (const [k, c] of this._children) out.push(...c.namedBuffers(`${prefix}${k}.`));
    return out;
  }

  parameters(): Variable[] {
    return this.namedParameters().map(([, v]) => v);
  }

  /** Number of trainable scalars. */
  numParams(filter: (name: string) => boolean = () => true): number {
    return this.namedParameters()
      .filter(([n]) => filter(n))
      .reduce((s, [, v]) => s + v.size, 0);
  }

  dispose(): void {
    for (const v of this._params.values()) v.dispose();
    for (const v of this._buffers.values()) v.dispose();
    for (const c of this._children.values()) c.dispose();
  }
}

/** PyTorch's default init for conv/linear (kaiming_uniform with a=√5): U(−1/√fan_in, 1/√fan_in). */
export function torchDefaultInit(shape: number[], fanIn: number, rng: Rng): Tensor {
  const b = 1 / Math.sqrt(fanIn);
  const n = shape.reduce((a, c) => a * c, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = (2 * rng.next() - 1) * b;
  return tf.tensor(data, shape);
}

/** Parameter-free results per forward pass (per ctx object) and input tensor, by op key. */
const passMemo = new WeakMap<ForwardCtx, WeakMap<Tensor, Map<string, Tensor>>>();

/**
 * `f(x)` once per forward pass (one ctx object) for a parameter-free op named by `key`: in a
 * supernet one node feeds the same candidate op on every outgoing edge, so the op's result (and
 * its gradient, accumulated once instead of once per edge) can be shared.
 */
export function perPass(ctx: ForwardCtx, key: string, x: Tensor, f: (x: Tensor) => Tensor): Tensor {
  if (ctx.share === false) return f(x);
  let byTensor = passMemo.get(ctx);
  if (!byTensor) passMemo.set(ctx, (byTensor = new WeakMap()));
  let byKey = byTensor.get(x);
  if (!byKey) byTensor.set(x, (byKey = new Map()));
  const hit = byKey.get(key);
  if (hit && !hit.isDisposed) return hit;
  const y = f(x);
  byKey.set(key, y);
  return y;
}

/**
 * ReLU of x. In a supernet one node feeds every candidate op of every outgoing edge, and each
 * conv op starts with a ReLU: within one forward pass (one ctx object) the ReLU of a tensor is
 * computed once and shared (its gradient then accumulates once instead of once per op). Not
 * while hooks watch every ReLU (NASWOT/DAS count each ReLU layer separately).
 */
export function relu(x: Tensor, ctx: ForwardCtx): Tensor {
  if (ctx.hooks?.relu) {
    ctx.hooks.relu(x);
    return tf.relu(x);
  }
  return perPass(ctx, 'relu', x, (t) => tf.relu(t));
}
