/**
 * Candidate operations of the NAS-Bench-201 and DARTS spaces, built as their reference code
 * builds them (xautodl cell_operations.py, quark0/darts operations.py).
 */
import { tf, type Tensor, type Tensor4D } from '../engine/tf.js';
import { TsnasError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import { BatchNorm, Conv2d, convThenBn } from './layers.js';
import { Module, consume, perPass, relu, type ForwardCtx } from './module.js';

export abstract class Op extends Module {
  /** Parameter-free ops (skip, pooling, none) matter for collapse diagnostics. */
  abstract readonly parameterFree: boolean;
  abstract forward(x: Tensor4D, ctx: ForwardCtx): Tensor4D;
}

export class ReLUConvBN extends Op {
  readonly parameterFree = false;
  readonly conv: Conv2d;
  readonly bn: BatchNorm;

  constructor(cin: number, cout: number, k: number, stride: number, padding: number, dilation: number, affine: boolean, rng: Rng, bias = false) {
    super();
    this.conv = this.child('op.1', new Conv2d(cin, cout, k, rng, { stride, padding, dilation, bias }));
    this.bn = this.child('op.2', new BatchNorm(cout, affine));
  }

  forward(x: Tensor4D, ctx: ForwardCtx): Tensor4D {
    return consume(ctx, relu(x, ctx), (r) => convThenBn(this.conv, this.bn, r as Tensor4D, ctx));
  }
}

/** ReLU → depthwise k×k (dilated) → pointwise 1×1 → BN. */
export class DilConv extends Op {
  readonly parameterFree = false;
  readonly dw: Conv2d;
  readonly pw: Conv2d;
  readonly bn: BatchNorm;

  constructor(cin: number, cout: number, k: number, stride: number, padding: number, dilation: number, affine: boolean, rng: Rng) {
    super();
    this.dw = this.child('op.1', new Conv2d(cin, cin, k, rng, { stride, padding, dilation, groups: cin }));
    this.pw = this.child('op.2', new Conv2d(cin, cout, 1, rng));
    this.bn = this.child('op.3', new BatchNorm(cout, affine));
  }

  forward(x: Tensor4D, ctx: ForwardCtx): Tensor4D {
    const h = consume(ctx, relu(x, ctx), (r) => this.dw.forward(r as Tensor4D, ctx));
    return consume(ctx, h, (t) => convThenBn(this.pw, this.bn, t as Tensor4D, ctx));
  }
}

/** Two stacked DilConvs with dilation 1 (the first carries the stride), as in DARTS. */
export class SepConv extends Op {
  readonly parameterFree = false;
  readonly a: DilConv;
  readonly b: DilConv;

  constructor(cin: number, cout: number, k: number, stride: number, padding: number, affine: boolean, rng: Rng) {
    super();
    this.a = this.child('op.a', new DilConv(cin, cin, k, stride, padding, 1, affine, rng));
    this.b = this.child('op.b', new DilConv(cin, cout, k, 1, padding, 1, affine, rng));
  }

  forward(x: Tensor4D, ctx: ForwardCtx): Tensor4D {
    return consume(ctx, this.a.forward(x, ctx), (h) => this.b.forward(h as Tensor4D, ctx));
  }
}

export class Identity extends Op {
  readonly parameterFree = true;
  forward(x: Tensor4D): Tensor4D {
    return x;
  }
}

/** Zeros of the output shape (the `none` op). */
export class Zero extends Op {
  readonly parameterFree = true;
  constructor(
    readonly cout: number,
    readonly stride: number,
  ) {
    super();
  }
  forward(x: Tensor4D): Tensor4D {
    const [n, h, w] = x.shape;
    return tf.zeros([n, Math.ceil(h / this.stride), Math.ceil(w / this.stride), this.cout]);
  }
}

/** ReLU → two 1×1 stride-2 convs on x and x shifted by one pixel → concat → BN. */
export class FactorizedReduce extends Op {
  readonly parameterFree = false;
  readonly c1: Conv2d;
  readonly c2: Conv2d;
  readonly bn: BatchNorm;

  constructor(cin: number, cout: number, affine: boolean, rng: Rng) {
    super();
    if (cout % 2 !== 0) throw new Error(`FactorizedReduce needs an even cout, got ${cout}`);
    this.c1 = this.child('conv_1', new Conv2d(cin, cout / 2, 1, rng, { stride: 2 }));
    this.c2 = this.child('conv_2', new Conv2d(cin, cout - cout / 2, 1, rng, { stride: 2 }));
    this.bn = this.child('bn', new BatchNorm(cout, affine));
  }

  forward(x: Tensor4D, ctx: ForwardCtx): Tensor4D {
    const r = relu(x, ctx) as Tensor4D;
    const [n, h, w, c] = r.shape;
    // Pad one row/column at the end so both paths give ceil(H/2) outputs (NB201 pads; DARTS's
    // even sizes give the same shapes).
    const padded = tf.pad(r, [
      [0, 0],
      [0, 1],
      [0, 1],
      [0, 0],
    ]);
    const shifted = consume(ctx, padded, (p) => tf.slice(p, [0, 1, 1, 0], [n, h, w, c]) as Tensor4D);
    const halves = [consume(ctx, r, (t) => this.c1.forward(t as Tensor4D, ctx)), consume(ctx, shifted, (t) => this.c2.forward(t as Tensor4D, ctx))];
    const y = tf.concat(halves, 3);
    ctx.release?.free(halves);
    return consume(ctx, y, (t) => this.bn.forward(t, ctx) as Tensor4D);
  }
}

export class Pool extends Op {
  readonly parameterFree: boolean;
  readonly pre?: ReLUConvBN;
  readonly bn?: BatchNorm;

  /** `pre`: NB201 adds a 1×1 ReLUConvBN when channels change; `bnAfter`: DARTS search adds BN(affine=False). */
  constructor(
    readonly kind: 'avg' | 'max',
    cin: number,
    cout: number,
    readonly stride: number,
    affine: boolean,
    rng: Rng,
    bnAfter = false,
  ) {
    super();
    if (cin !== cout) this.pre = this.child('preprocess', new ReLUConvBN(cin, cout, 1, 1, 0, 1, affine, rng));
    if (bnAfter) this.bn = this.child('bn', new BatchNorm(cout, false));
    this.parameterFree = !this.pre;
  }

  forward(x: Tensor4D, ctx: ForwardCtx): Tensor4D {
    const h = this.pre ? this.pre.forward(x, ctx) : x;
    // TF.js pooling with padding ignores padded cells, i.e. count_include_pad=False and −inf pads.
    const pad: [[number, number], [number, number], [number, number], [number, number]] = [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ];
    // the same pooling of the same node on every outgoing edge of a supernet: computed once per pass
    const pool = (t: Tensor) => (this.kind === 'avg' ? tf.avgPool(t as Tensor4D, 3, this.stride, pad) : tf.maxPool(t as Tensor4D, 3, this.stride, pad));
    const y = perPass(ctx, `${this.kind}pool3/${this.stride}`, h, pool) as Tensor4D;
    if (h !== x) ctx.release?.free([h]);
    return this.bn ? consume(ctx, y, (t) => this.bn!.forward(t, ctx) as Tensor4D) : y;
  }
}

export type SpaceFlavor = 'nb201' | 'darts';

export interface OpOptions {
  affine: boolean;
  /** DARTS search: pooling ops followed by BN(affine=False). */
  poolBn?: boolean;
}

/** Build op `name` of a space. NB201 convs carry a bias exactly when BN is not affine (xautodl). */
export function createOp(name: string, cin: number, cout: number, stride: number, o: OpOptions, rng: Rng): Op {
  const a = o.affine;
  switch (name) {
    case 'none':
      return new Zero(cout, stride);
    case 'skip_connect':
      return stride === 1 && cin === cout ? new Identity() : new FactorizedReduce(cin, cout, a, rng);
    case 'nor_conv_1x1':
      return new ReLUConvBN(cin, cout, 1, stride, 0, 1, a, rng, !a);
    case 'nor_conv_3x3':
      return new ReLUConvBN(cin, cout, 3, stride, 1, 1, a, rng, !a);
    case 'avg_pool_3x3':
      return new Pool('avg', cin, cout, stride, a, rng, o.poolBn);
    case 'max_pool_3x3':
      return new Pool('max', cin, cout, stride, a, rng, o.poolBn);
    case 'sep_conv_3x3':
      return new SepConv(cin, cout, 3, stride, 1, a, rng);
    case 'sep_conv_5x5':
      return new SepConv(cin, cout, 5, stride, 2, a, rng);
    case 'dil_conv_3x3':
      return new DilConv(cin, cout, 3, stride, 2, 2, a, rng);
    case 'dil_conv_5x5':
      return new DilConv(cin, cout, 5, stride, 4, 2, a, rng);
    default:
      throw new TsnasError(`unknown op '${name}'`);
  }
}

/** Sum of tensors (AddN when more than two). */
export function sumAll(xs: Tensor[]): Tensor {
  if (xs.length === 0) throw new Error('sum of no tensors');
  if (xs.length === 1) return xs[0]!;
  if (xs.length === 2) return tf.add(xs[0]!, xs[1]!);
  return tf.addN(xs);
}
