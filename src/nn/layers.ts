/** Primitive layers: convolution (dense, depthwise, dilated, strided), batch-norm, linear. */
import { tf, type Tensor, type Tensor4D, type Variable } from '../engine/tf.js';
import { batchNormTrain, ConvBnFold, convBnInference, fusedConvDifferentiable, normalizeBatch } from '../engine/fused.js';
import type { Rng } from '../util/rng.js';
import { Module, consume, torchDefaultInit, type ForwardCtx } from './module.js';

export interface ConvOptions {
  stride?: number;
  padding?: number;
  dilation?: number;
  /** 1 (dense) or cin (depthwise). */
  groups?: number;
  bias?: boolean;
}

export class Conv2d extends Module {
  readonly weight: Variable;
  readonly bias?: Variable;
  readonly stride: number;
  readonly padding: number;
  readonly dilation: number;
  readonly depthwise: boolean;

  constructor(
    readonly cin: number,
    readonly cout: number,
    readonly k: number,
    rng: Rng,
    o: ConvOptions = {},
  ) {
    super();
    this.stride = o.stride ?? 1;
    this.padding = o.padding ?? 0;
    this.dilation = o.dilation ?? 1;
    const groups = o.groups ?? 1;
    if (groups !== 1 && groups !== cin) throw new Error(`Conv2d supports groups 1 or cin, got ${groups}`);
    this.depthwise = groups === cin && cin > 1;
    if (this.depthwise && cout !== cin) throw new Error('depthwise Conv2d needs cout == cin');
    const fanIn = (this.depthwise ? 1 : cin) * k * k;
    const shape = this.depthwise ? [k, k, cin, 1] : [k, k, cin, cout];
    this.weight = this.param('weight', torchDefaultInit(shape, fanIn, rng));
    if (o.bias) this.bias = this.param('bias', torchDefaultInit([cout], fanIn, rng));
  }

  forward(x: Tensor4D, ctx: ForwardCtx): Tensor4D {
    let input = x;
    let stride = this.stride;
    let dilation = this.dilation;
    let pad = this.padding;
    if (stride > 1 && dilation > 1) {
      // TF.js refuses stride and dilation > 1 together. When both divide evenly (DARTS reduction
      // dil_convs: stride 2, dilation 2, padding 2 or 4), the conv reads only every s-th input
      // row and column: subsample first, then convolve with dilation/s and padding/s. Exact.
      if (dilation % stride !== 0 || pad % stride !== 0) {
        throw new Error(`unsupported conv: stride ${stride} with dilation ${dilation}, padding ${pad}`);
      }
      input = subsample(x, stride);
      dilation /= stride;
      pad /= stride;
      stride = 1;
    }
    const padding: [[number, number], [number, number], [number, number], [number, number]] = [
      [0, 0],
      [pad, pad],
      [pad, pad],
      [0, 0],
    ];
    let y: Tensor4D;
    if (this.bias && !this.depthwise && dilation === 1 && fusedConvDifferentiable()) {
      // bias inside the convolution (one pass fewer); TF.js's fused gradient needs both backprop kernels
      y = tf.fused.conv2d({ x: input, filter: this.weight as Tensor4D, strides: stride, pad: padding, bias: this.bias });
    } else {
      y = this.depthwise ? tf.depthwiseConv2d(input, this.weight as Tensor4D, stride, padding, 'NHWC', dilation) : tf.conv2d(input, this.weight as Tensor4D, stride, padding, 'NHWC', dilation);
      if (this.bias) y = consume(ctx, y, (t) => tf.add(t, this.bias!));
    }
    if (input !== x) ctx.release?.free([input]);
    if (ctx.flops) {
      const [n, ho, wo] = y.shape;
      const perPos = this.k * this.k * (this.depthwise ? 1 : this.cin) * this.cout;
      ctx.flops.total += n * ho * wo * (perPos + (this.bias ? this.cout : 0));
    }
    return y;
  }
}

/**
 * conv → BN. In inference (running statistics, nothing counting FLOPs) the BN is folded into
 * the convolution (`convBnInference`): one kernel instead of a convolution and a BN pass.
 */
export function convThenBn(conv: Conv2d, bn: BatchNorm, x: Tensor4D, ctx: ForwardCtx): Tensor4D {
  const foldable = !ctx.training && !ctx.flops && bn.trackRunningStats && !conv.depthwise && !conv.bias && !(conv.stride > 1 && conv.dilation > 1);
  if (!foldable) return consume(ctx, conv.forward(x, ctx), (c) => bn.forward(c, ctx) as Tensor4D);
  const p = conv.padding;
  return convBnInference(
    x,
    conv.weight as Tensor4D,
    { mean: bn.runningMean!, variance: bn.runningVar!, gamma: bn.gamma, beta: bn.beta, eps: bn.eps },
    conv.stride,
    [
      [0, 0],
      [p, p],
      [p, p],
      [0, 0],
    ],
    conv.dilation,
    'linear',
    bn.fold,
  );
}

/** x[:, ::s, ::s, :] with a gradient (TF.js has none for strided slices): a 1×1 depthwise of ones. */
export function subsample(x: Tensor4D, s: number): Tensor4D {
  const ones = tf.ones([1, 1, x.shape[3], 1]) as Tensor4D;
  return tf.depthwiseConv2d(x, ones, s, 'valid');
}

export class BatchNorm extends Module {
  readonly gamma?: Variable;
  readonly beta?: Variable;
  readonly runningMean?: Variable;
  readonly runningVar?: Variable;

  /** The folded weights when this BN is folded into the convolution before it (inference). */
  readonly fold = new ConvBnFold();

  constructor(
    readonly c: number,
    readonly affine = true,
    readonly trackRunningStats = true,
    readonly momentum = 0.1,
    readonly eps = 1e-5,
  ) {
    super();
    if (affine) {
      this.gamma = this.param('weight', tf.ones([c]));
      this.beta = this.param('bias', tf.zeros([c]));
    }
    if (trackRunningStats) {
      this.runningMean = this.buffer('running_mean', tf.zeros([c]));
      this.runningVar = this.buffer('running_var', tf.ones([c]));
    }
  }

  forward(x: Tensor, ctx: ForwardCtx): Tensor {
    if (ctx.training || !this.trackRunningStats) {
      // PyTorch keeps the unbiased variance in running_var (see RunningStats).
      const update = ctx.training && this.trackRunningStats ? { mean: this.runningMean!, variance: this.runningVar!, momentum: this.momentum } : undefined;
      return this.affine ? batchNormTrain(x, this.gamma!, this.beta!, this.eps, update) : normalizeBatch(x, this.eps, update);
    }
    // Running statistics: TF.js's inference batch norm, one kernel.
    return tf.batchNorm(x, this.runningMean!, this.runningVar!, this.beta, this.gamma, this.eps);
  }

  override dispose(): void {
    this.fold.dispose();
    super.dispose();
  }
}

export class Linear extends Module {
  readonly weight: Variable;
  readonly bias: Variable;

  constructor(
    readonly fin: number,
    readonly fout: number,
    rng: Rng,
  ) {
    super();
    this.weight = this.param('weight', torchDefaultInit([fin, fout], fin, rng));
    this.bias = this.param('bias', torchDefaultInit([fout], fin, rng));
  }

  forward(x: Tensor, ctx: ForwardCtx): Tensor {
    if (ctx.flops) ctx.flops.total += x.shape[0]! * (this.fin * this.fout + this.fout);
    return tf.add(tf.matMul(x as tf.Tensor2D, this.weight as tf.Tensor2D), this.bias);
  }
}

export function globalAvgPool(x: Tensor4D): tf.Tensor2D {
  return tf.mean(x, [1, 2]) as tf.Tensor2D;
}
