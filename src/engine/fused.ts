/**
 * Fused primitives with hand-written gradients. TF.js's own batch-norm gradient spends ~45% of a
 * training step in Tile (docs/ENGINE.md, "Batch-norm gradient"); here the gradient is the closed form. A backend may
 * register the kernels named below to run these in one pass; otherwise they are composed from
 * standard ops, which every backend has.
 */
import { tf, type Tensor, type Tensor4D } from './tf.js';

/** Kernel names a backend may implement natively (see native/index.ts). */
export const BN_AFFINE_FORWARD_KERNEL = 'TsnasBatchNormAffineForward';
export const BN_AFFINE_BACKWARD_KERNEL = 'TsnasBatchNormAffineBackward';
export const RELU_GRAD_KERNEL = 'TsnasReluGrad';
export const WEIGHTED_SUM_KERNEL = 'TsnasWeightedSum';
export const WEIGHTED_SUM_GRAD_KERNEL = 'TsnasWeightedSumGrad';
export const SGD_STEP_KERNEL = 'TsnasSgdStep';
export const SUM_SQUARES_KERNEL = 'TsnasSumSquares';

function hasKernel(name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) !== undefined;
}

/**
 * Running statistics a training-mode BN updates as PyTorch does: mean ← (1−m)·mean + m·μ_batch,
 * variance ← (1−m)·variance + m·σ²_batch·n/(n−1) (the unbiased batch variance).
 */
export interface RunningStats {
  mean: tf.Variable;
  variance: tf.Variable;
  momentum: number;
}

/** Where batch statistics go: a callback (alive only during the call) or running statistics to update. */
export type BnStatsSink = ((mean: Tensor, variance: Tensor) => void) | RunningStats;

function updateRunning(r: RunningStats, mean: Tensor, variance: Tensor, count: number): void {
  tf.tidy(() => {
    const m = r.momentum;
    r.mean.assign(tf.add(tf.mul(r.mean, 1 - m), tf.mul(mean, m)));
    r.variance.assign(tf.add(tf.mul(r.variance, 1 - m), tf.mul(tf.mul(variance, count / Math.max(1, count - 1)), m)));
  });
}

function sinkStats(sink: BnStatsSink | undefined, mean: Tensor, variance: () => Tensor, count: number): void {
  if (!sink) return;
  if (typeof sink === 'function') sink(mean, variance());
  else updateRunning(sink, mean, variance(), count);
}

/** Constant γ = 1, β = 0 per channel count and backend (normalizeBatch on the affine kernels). */
const unitAffine = new Map<string, [Tensor, Tensor]>();
function unitGammaBeta(c: number): [Tensor, Tensor] {
  const key = `${tf.getBackend()}:${c}`;
  let v = unitAffine.get(key);
  if (!v || v[0].isDisposed || v[1].isDisposed) {
    v = [tf.keep(tf.ones([c])), tf.keep(tf.zeros([c]))];
    unitAffine.set(key, v);
  }
  return v;
}

/**
 * Batch normalisation in training mode over all axes but the last (NHWC or NC), no affine part.
 * Returns x̂ = (x − mean)·invstd. The batch statistics go to `stats`: a callback that gets the
 * batch mean and variance while they are alive, or running statistics to update.
 * Gradient: dx = invstd·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)). Where the backend has the fused
 * kernels this is `batchNormTrain` with γ = 1, β = 0 (the dγ, dβ it also returns are free).
 */
export function normalizeBatch(x: Tensor, eps = 1e-5, stats?: BnStatsSink): Tensor {
  if (hasKernel(BN_AFFINE_FORWARD_KERNEL) && x.dtype === 'float32') {
    const [g, b] = unitGammaBeta(x.shape[x.shape.length - 1]!);
    return batchNormTrain(x, g, b, eps, stats);
  }
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const f = tf.customGrad(((xs: Tensor, save: tf.GradSaveFunc) => {
    const m = tf.moments(xs, axes);
    const invstd = tf.rsqrt(tf.add(m.variance, eps));
    const xhat = tf.mul(tf.sub(xs, m.mean), invstd);
    sinkStats(stats, m.mean, () => m.variance, xs.size / xs.shape[xs.shape.length - 1]!);
    save([xhat, invstd]);
    return {
      value: xhat,
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [sx, sinv] = saved as [Tensor, Tensor];
        const mdy = tf.mean(dy, axes);
        const mdyx = tf.mean(tf.mul(dy, sx), axes);
        return tf.mul(sinv, tf.sub(tf.sub(dy, mdy), tf.mul(sx, mdyx)));
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x);
}

/**
 * Batch normalisation in training mode with the affine part: y = γ·x̂ + β, over all axes but the
 * last. One kernel forward (statistics, then y) and one backward (dx, dγ, dβ together) where the
 * backend has them: the composed form spends four extra full passes on the affine part and its
 * gradients (a multiply and a reduction each for dγ and dx̂, one reduction for dβ). x̂ is not kept:
 * the backward recomputes it from x. `stats` as in `normalizeBatch`; running statistics are
 * updated inside the kernel (instead of ~10 small kernels per BN).
 */
export function batchNormTrain(x: Tensor, gamma: Tensor, beta: Tensor, eps = 1e-5, stats?: BnStatsSink): Tensor {
  if (!hasKernel(BN_AFFINE_FORWARD_KERNEL) || x.dtype !== 'float32') {
    return tf.add(tf.mul(normalizeBatch(x, eps, stats), gamma), beta);
  }
  const running = stats && typeof stats !== 'function' ? stats : undefined;
  // (normalizeBatch comes back here with γ = 1, β = 0 when the kernels exist)
  const f = tf.customGrad(((xs: Tensor, g: Tensor, b: Tensor, save: tf.GradSaveFunc) => {
    const ins: Record<string, Tensor> = { x: xs, gamma: g, beta: b };
    if (running) Object.assign(ins, { runningMean: running.mean, runningVar: running.variance });
    const out = tf.engine().runKernel(BN_AFFINE_FORWARD_KERNEL, ins, { eps, momentum: running?.momentum ?? 0 }) as Tensor[];
    // outputs: y, batch mean, invstd, batch variance (biased)[, new running mean, new running variance]
    const [y, mean, invstd, variance] = out;
    if (running) {
      running.mean.assign(out[4]!);
      running.variance.assign(out[5]!);
    } else if (stats) {
      (stats as (m: Tensor, v: Tensor) => void)(mean!, variance!);
    }
    save([xs, mean!, invstd!, g]);
    return {
      value: y!,
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [sx, sm, si, sg] = saved as [Tensor, Tensor, Tensor, Tensor];
        return tf.engine().runKernel(BN_AFFINE_BACKWARD_KERNEL, { dy, x: sx, mean: sm, invstd: si, gamma: sg }, {}) as Tensor[];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return (f as unknown as (a: Tensor, b: Tensor, c: Tensor) => Tensor)(x, gamma, beta);
}

/** The gradient of Relu, dy·step(x), in one pass where the backend has the kernel. */
export function reluGrad(dy: Tensor, x: Tensor): Tensor {
  if (hasKernel(RELU_GRAD_KERNEL) && dy.dtype === 'float32' && x.dtype === 'float32' && tf.util.arraysEqual(dy.shape, x.shape)) {
    return tf.engine().runKernel(RELU_GRAD_KERNEL, { dy, x }, {}) as Tensor;
  }
  return tf.mul(dy, tf.step(tf.cast(x, 'float32')));
}

/** Running statistics and (optional) affine parameters of a batch-norm layer. */
export interface BnInference {
  mean: Tensor;
  variance: Tensor;
  gamma?: Tensor;
  beta?: Tensor;
  eps: number;
}

/**
 * The folded filter and bias of one conv→BN pair (w·s and β − μ·s, s = γ/√(σ²+ε) per output
 * channel), kept while the source tensors are unchanged: computing them takes six small kernels
 * per convolution, which cost more than the BN pass they save. Variables get a new dataId on
 * every assign (optimizer steps, running-statistics updates), so comparing dataIds detects change.
 */
/** The convolution's filter and bias with the inference BN folded in. */
function foldConvBn(filter: Tensor4D, bn: BnInference): [Tensor4D, Tensor] {
  const inv = tf.rsqrt(tf.add(bn.variance, bn.eps));
  const scale = bn.gamma ? tf.mul(bn.gamma, inv) : inv;
  return [tf.mul(filter, scale) as Tensor4D, tf.sub(bn.beta ?? tf.zerosLike(bn.mean), tf.mul(bn.mean, scale))];
}

export class ConvBnFold {
  private ids: unknown[] = [];
  private folded?: [Tensor4D, Tensor];

  get(filter: Tensor4D, bn: BnInference): [Tensor4D, Tensor] {
    const ids = [filter, bn.mean, bn.variance, bn.gamma, bn.beta].map((t) => t?.dataId);
    if (this.folded && !this.folded[0].isDisposed && ids.every((d, i) => d === this.ids[i])) return this.folded;
    this.dispose();
    const [w, b] = tf.tidy(() => foldConvBn(filter, bn));
    this.folded = [tf.keep(w!), tf.keep(b!)];
    this.ids = ids;
    return this.folded;
  }

  dispose(): void {
    if (this.folded) tf.dispose(this.folded);
    this.folded = undefined;
    this.ids = [];
  }
}

/**
 * Inference convolution followed by batch norm on running statistics, folded into one
 * convolution with a bias, and an optional ReLU on the result: one kernel (bias and ReLU inside
 * the oneDNN primitive on `native`) instead of three passes. The same function up to float
 * rounding. Pass a `ConvBnFold` to reuse the folded weights across calls.
 */
/** The backend has FusedConv2D and the backprop kernels TF.js's fused-conv gradient calls (wasm lacks one). */
export function fusedConvDifferentiable(): boolean {
  const be = tf.getBackend();
  return ['FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'].every((k) => tf.getKernel(k, be) !== undefined);
}

export function convBnInference(
  x: Tensor4D,
  filter: Tensor4D,
  bn: BnInference,
  strides: number | [number, number],
  pad: 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]],
  dilations: number | [number, number] = 1,
  activation: 'linear' | 'relu' = 'linear',
  fold?: ConvBnFold,
): Tensor4D {
  if (tf.engine().isTapeOn()) {
    // Under a gradient tape the fold is computed in the taped pass, so gradients reach the filter and
    // the BN parameters; a cached fold (made by an earlier pass) would cut them off the tape. Its
    // tensors are the tape's to dispose.
    const [w, bias] = foldConvBn(filter, bn);
    if (fusedConvDifferentiable()) return tf.fused.conv2d({ x, filter: w, strides, pad: pad as 'same', dataFormat: 'NHWC', dilations, bias, activation });
    // wasm: TF.js's fused-conv gradient calls Conv2DBackpropFilter, which wasm lacks; Conv2D's gradient is tsnas's own
    const y = tf.add(tf.conv2d(x, w, strides, pad as 'same', 'NHWC', dilations), bias) as Tensor4D;
    return activation === 'relu' ? tf.relu(y) : y;
  }
  const own = fold ?? new ConvBnFold();
  const [w, bias] = own.get(filter, bn);
  const y = tf.fused.conv2d({ x, filter: w, strides, pad: pad as 'same', dataFormat: 'NHWC', dilations, bias, activation });
  if (!fold) own.dispose();
  return y;
}

/**
 * Σ_k w[index_k]·x_k over same-shaped tensors (w: [n], index: which weight each x takes; default
 * 0..K−1): a supernet edge's mixed op, with ops left out (`none`, masked) simply not listed.
 * Where the backend has the kernels this is one pass forward and one backward (dx_k = w·dy and
 * dw = Σ dy·x_k together); composed, it is K multiplies and a sum forward and 3K passes backward.
 */
export function weightedSum(xs: Tensor[], w: Tensor, index?: readonly number[]): Tensor {
  const K = xs.length;
  if (K === 0) throw new Error('weightedSum of no tensors');
  const idx = index ? [...index] : xs.map((_, k) => k);
  if (idx.length !== K || idx.some((i) => !Number.isInteger(i) || i < 0 || i >= w.size)) {
    throw new Error(`weightedSum: index ${JSON.stringify(idx)} does not fit ${K} inputs and ${w.size} weights`);
  }
  const fast = hasKernel(WEIGHTED_SUM_KERNEL) && w.dtype === 'float32' && xs.every((x) => x.dtype === 'float32' && tf.util.arraysEqual(x.shape, xs[0]!.shape));
  if (!fast) {
    // (TF.js's split into one part has a broken gradient)
    const parts = w.size === 1 ? [tf.reshape(w, [])] : tf.split(tf.reshape(w, [w.size]), w.size);
    const terms = xs.map((x, k) => tf.mul(x, parts[idx[k]!]!));
    return K === 1 ? terms[0]! : K === 2 ? tf.add(terms[0]!, terms[1]!) : tf.addN(terms);
  }
  const named = (ts: Tensor[]) => Object.fromEntries(ts.map((t, k) => [`x${k}`, t]));
  const f = tf.customGrad(((...args: unknown[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const [wt, ...ts] = args as Tensor[];
    save([wt!, ...ts]);
    return {
      value: tf.engine().runKernel(WEIGHTED_SUM_KERNEL, { w: wt!, ...named(ts) }, { index: idx }) as Tensor,
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [sw, ...sx] = saved;
        const out = tf.engine().runKernel(WEIGHTED_SUM_GRAD_KERNEL, { dy, w: sw!, ...named(sx) }, { index: idx }) as Tensor[];
        const dw = out.pop()!;
        return [tf.reshape(dw, sw!.shape), ...out];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return (f as unknown as (...t: Tensor[]) => Tensor)(w, ...xs);
}

export interface SgdStepOptions {
  lr: number;
  momentum: number;
  weightDecay: number;
  nesterov?: boolean;
  /** Gradient scale (gradient-norm clipping), applied first. */
  gradScale?: number;
}

/**
 * One SGD-with-momentum update of many tensors, as torch.optim.SGD computes it (dampening 0):
 * g = s·∇ + wd·p; v = μ·v + g (v = g when there is no velocity yet); u = nesterov ? g + μ·v : v;
 * p' = p − lr·u. Returns the new parameters and velocities (new tensors; the caller assigns and
 * disposes). One kernel for all tensors where the backend has it (an optimizer step is otherwise
 * ~6 small kernels per parameter tensor: ~3,000 per DARTS-supernet step); same float32 result.
 */
export function sgdStep(params: Tensor[], grads: Tensor[], vel: (Tensor | undefined)[], o: SgdStepOptions): { params: Tensor[]; vel: Tensor[] } {
  const scale = o.gradScale ?? 1;
  const n = params.length;
  if (n === 0) return { params: [], vel: [] };
  if (hasKernel(SGD_STEP_KERNEL) && [...params, ...grads].every((t) => t.dtype === 'float32')) {
    const inputs: Record<string, Tensor> = {};
    params.forEach((p, i) => {
      inputs[`p${i}`] = p;
      inputs[`g${i}`] = grads[i]!;
      if (vel[i]) inputs[`v${i}`] = vel[i]!;
    });
    const out = tf.engine().runKernel(SGD_STEP_KERNEL, inputs, { n, lr: o.lr, momentum: o.momentum, weightDecay: o.weightDecay, nesterov: !!o.nesterov, scale }) as Tensor[];
    return { params: out.slice(0, n), vel: out.slice(n) };
  }
  const outP: Tensor[] = [];
  const outV: Tensor[] = [];
  params.forEach((p, i) => {
    let g = grads[i]!;
    if (scale !== 1) g = tf.mul(g, scale);
    if (o.weightDecay) g = tf.add(g, tf.mul(p, o.weightDecay));
    const v = vel[i] ? tf.add(tf.mul(vel[i]!, o.momentum), g) : g.clone();
    const u = o.nesterov ? tf.add(g, tf.mul(v, o.momentum)) : v;
    outP.push(tf.sub(p, tf.mul(u, o.lr)));
    outV.push(v);
  });
  return { params: outP, vel: outV };
}

/** Σ over tensors of Σ x² (gradient-norm clipping), accumulated in float64 where the backend has the kernel. */
export function sumOfSquares(xs: Tensor[]): number {
  if (xs.length === 0) return 0;
  if (hasKernel(SUM_SQUARES_KERNEL) && xs.every((t) => t.dtype === 'float32')) {
    const t = tf.engine().runKernel(SUM_SQUARES_KERNEL, Object.fromEntries(xs.map((x, i) => [`x${i}`, x])), {}) as Tensor;
    const v = t.dataSync()[0]!;
    t.dispose();
    return v;
  }
  return tf.tidy(() => tf.addN(xs.map((g) => tf.sum(tf.square(g)))).dataSync()[0]!);
}
