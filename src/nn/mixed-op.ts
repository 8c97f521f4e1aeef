/**
 * A supernet edge: all candidate ops, output Σ_o w_o·op_o(x) with w = softmax(α_edge) or weights
 * supplied by the search strategy (one-hot samples, Gumbel, mean-shift, …). A mask switches ops
 * off entirely (progressive shrinking, sampling): masked ops are not computed.
 *
 * Partial channels (PC-DARTS, optional `partialK` > 1): the ops are built on C/K channels and act
 * on the first C/K input channels only; the other channels bypass (max-pooled 2×2 when the edge
 * has stride 2), both are concatenated and the channels shuffled with K groups (yuhuixu1993/
 * PC-DARTS model_search.MixedOp). K = 1 (the default) is the plain mixed op.
 */
import { tf, type Tensor, type Tensor4D } from '../engine/tf.js';
import type { Rng } from '../util/rng.js';
import { Module, type ForwardCtx } from './module.js';
import { createOp, Zero, type Op, type OpOptions } from './ops.js';
import { weightedSum } from '../engine/fused.js';

export class MixedOp extends Module {
  readonly ops: Op[];
  readonly partialK: number;

  constructor(
    readonly opNames: readonly string[],
    cin: number,
    readonly cout: number,
    readonly stride: number,
    o: OpOptions,
    rng: Rng,
    partialK = 1,
  ) {
    super();
    if (!Number.isInteger(partialK) || partialK < 1) throw new Error(`partial-channel K must be a positive integer, got ${partialK}`);
    if (partialK > 1 && (cin !== cout || cin % partialK !== 0)) throw new Error(`partial channels need cin == cout divisible by K (cin ${cin}, cout ${cout}, K ${partialK})`);
    this.partialK = partialK;
    const c = partialK > 1 ? cin / partialK : cin;
    const co = partialK > 1 ? cout / partialK : cout;
    this.ops = opNames.map((name, i) => this.child(`_ops.${i}`, createOp(name, c, co, stride, o, rng)));
  }

  /** `weights`: a [numOps] tensor; `mask[o] === false` skips op o. */
  forward(x: Tensor4D, weights: Tensor, ctx: ForwardCtx, mask?: readonly boolean[]): Tensor4D {
    return this.partial(x, (xa, cout) => this.mixed(xa, weights, ctx, mask, cout));
  }

  /**
   * Op `o` alone (weight 1, the others not computed), partial channels included: the single-path
   * edge of sampling-based one-shot search (TND-NAS), without a weights tensor or masks.
   */
  forwardOne(x: Tensor4D, o: number, ctx: ForwardCtx): Tensor4D {
    const op = this.ops[o];
    if (!op) throw new Error(`mixed op has ${this.ops.length} ops, no op ${o}`);
    return this.partial(x, (xa) => op.forward(xa, ctx));
  }

  /** `f` on the first C/K channels, the rest bypassing (K = 1: `f` on all of x). */
  private partial(x: Tensor4D, f: (xa: Tensor4D, cout: number) => Tensor4D): Tensor4D {
    if (this.partialK === 1) return f(x, this.cout);
    const K = this.partialK;
    const [b, h, w, c] = x.shape;
    const cp = c / K;
    const xa = tf.slice(x, [0, 0, 0, 0], [b, h, w, cp]) as Tensor4D;
    let xb = tf.slice(x, [0, 0, 0, cp], [b, h, w, c - cp]) as Tensor4D;
    if (this.stride > 1) xb = tf.maxPool(xb, 2, 2, 'valid');
    const ya = f(xa, this.cout / K);
    return channelShuffle(tf.concat([ya, xb], 3) as Tensor4D, K);
  }

  private mixed(x: Tensor4D, weights: Tensor, ctx: ForwardCtx, mask: readonly boolean[] | undefined, cout: number): Tensor4D {
    const outs: Tensor[] = [];
    const active: number[] = [];
    this.ops.forEach((op, o) => {
      // `none` adds w·0: leaving it out changes neither the value nor any gradient.
      if (op instanceof Zero || (mask && !mask[o])) return;
      outs.push(op.forward(x, ctx));
      active.push(o);
    });
    if (outs.length === 0) {
      const [b, h, w] = x.shape;
      return tf.zeros([b, Math.ceil(h / this.stride), Math.ceil(w / this.stride), cout]);
    }
    return weightedSum(outs, weights, active) as Tensor4D;
  }
}

/**
 * PyTorch's channel_shuffle(x, groups) in NHWC: output channel o = j·groups + g takes input
 * channel g·(C/groups) + j. Done as a matMul with a permutation matrix (exact, and its gradient
 * exists on every backend, unlike gather's or a rank-5 transpose's fast path).
 */
export function channelShuffle(x: Tensor4D, groups: number): Tensor4D {
  const [b, h, w, c] = x.shape;
  if (groups === 1) return x;
  if (c % groups !== 0) throw new Error(`channel shuffle: ${c} channels not divisible by ${groups} groups`);
  const cpg = c / groups;
  const perm = new Float32Array(c * c);
  for (let o = 0; o < c; o++) perm[((o % groups) * cpg + Math.floor(o / groups)) * c + o] = 1;
  const p = tf.tensor2d(perm, [c, c]);
  return tf.reshape(tf.matMul(tf.reshape(x, [b * h * w, c]) as tf.Tensor2D, p), [b, h, w, c]) as Tensor4D;
}
