/**
 * A supernet edge: all candidate ops, output Σ_o w_o·op_o(x) with w = softmax(α_edge) or weights
 * supplied by the search strategy (one-hot samples, Gumbel, mean-shift, …). A mask switches ops
 * off entirely (progressive shrinking, sampling): masked ops are not computed.
 */
import { tf, type Tensor, type Tensor4D } from '../engine/tf.js';
import type { Rng } from '../util/rng.js';
import { Module, type ForwardCtx } from './module.js';
import { createOp, sumAll, Zero, type Op, type OpOptions } from './ops.js';

export class MixedOp extends Module {
  readonly ops: Op[];

  constructor(readonly opNames: readonly string[], cin: number, readonly cout: number, readonly stride: number, o: OpOptions, rng: Rng) {
    super();
    this.ops = opNames.map((name, i) => this.child(`_ops.${i}`, createOp(name, cin, cout, stride, o, rng)));
  }

  /** `weights`: a [numOps] tensor; `mask[o] === false` skips op o. */
  forward(x: Tensor4D, weights: Tensor, ctx: ForwardCtx, mask?: readonly boolean[]): Tensor4D {
    const terms: Tensor[] = [];
    const n = this.ops.length;
    const parts = tf.split(weights, n) as Tensor[];
    this.ops.forEach((op, o) => {
      // `none` adds w·0: leaving it out changes neither the value nor any gradient.
      if (op instanceof Zero || (mask && !mask[o])) return;
      terms.push(tf.mul(op.forward(x, ctx), parts[o]!));
    });
    if (terms.length === 0) {
      const [b, h, w] = x.shape;
      return tf.zeros([b, Math.ceil(h / this.stride), Math.ceil(w / this.stride), this.cout]);
    }
    return sumAll(terms) as Tensor4D;
  }
}
