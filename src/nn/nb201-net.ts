/**
 * NAS-Bench-201's evaluation network (xautodl TinyNetwork): stem conv3×3 + BN; N cells at C,
 * a residual reduction block, N cells at 2C, another, N cells at 4C; BN-ReLU, global pool, linear.
 */
import { tf, type Tensor4D } from '../engine/tf.js';
import type { Rng } from '../util/rng.js';
import { NB201_EDGES, NB201_NODES, type Nb201Arch } from '../spaces/nb201.js';
import { BatchNorm, Conv2d, Linear, globalAvgPool, convThenBn } from './layers.js';
import { Module, atCut, opScope, relu, type ForwardCtx } from './module.js';
import { Network, type NetworkOutput } from './network.js';
import { createOp, ReLUConvBN, sumAll, type Op } from './ops.js';

export interface Nb201NetConfig {
  C: number;
  N: number;
  numClasses: number;
  inputShape: readonly [number, number, number];
}

export const NB201_EVAL_CONFIG: Nb201NetConfig = { C: 16, N: 5, numClasses: 10, inputShape: [32, 32, 3] };

/** Residual block with stride 2: ReLUConvBN ×2, shortcut = avgpool 2×2 + conv 1×1. */
export class ResNetBasicBlock extends Module {
  readonly a: ReLUConvBN;
  readonly b: ReLUConvBN;
  readonly down: Conv2d;

  constructor(cin: number, cout: number, rng: Rng, affine = true) {
    super();
    this.a = this.child('conv_a', new ReLUConvBN(cin, cout, 3, 2, 1, 1, affine, rng));
    this.b = this.child('conv_b', new ReLUConvBN(cout, cout, 3, 1, 1, 1, affine, rng));
    this.down = this.child('downsample.1', new Conv2d(cin, cout, 1, rng));
  }

  forward(x: Tensor4D, ctx: ForwardCtx): Tensor4D {
    const main = this.b.forward(this.a.forward(x, ctx), ctx);
    const short = this.down.forward(tf.avgPool(x, 2, 2, 'valid'), ctx);
    return tf.add(main, short);
  }
}

/** A fixed NB201 cell: node j = Σ_{i<j} op_ij(node i); output = last node. */
export class Nb201Cell extends Module {
  readonly ops: Op[];

  constructor(
    readonly arch: Nb201Arch,
    C: number,
    rng: Rng,
  ) {
    super();
    this.ops = arch.ops.map((name, e) => this.child(`edges.${NB201_EDGES[e]![0]}<-${NB201_EDGES[e]![1]}`, createOp(name, C, C, 1, { affine: true }, rng)));
  }

  forward(x: Tensor4D, ctx: ForwardCtx): Tensor4D {
    const nodes: Tensor4D[] = [x];
    for (let j = 1; j < NB201_NODES; j++) {
      const terms: Tensor4D[] = [];
      NB201_EDGES.forEach(([to, from], e) => {
        // `none` contributes zeros: skipping it gives the same sum and the same gradients.
        if (to === j && this.arch.ops[e] !== 'none') terms.push(opScope(ctx, () => this.ops[e]!.forward(nodes[from]!, ctx)));
      });
      nodes.push(terms.length ? (sumAll(terms) as Tensor4D) : tf.zerosLike(x));
    }
    return nodes[NB201_NODES - 1]!;
  }
}

/**
 * The TinyNetwork skeleton shared by the evaluation network and the supernet: stem, three stages
 * of N cells separated by residual reduction blocks, BN-ReLU, global pool, linear. Subclasses
 * say how to build a cell and how to run it.
 */
export abstract class Nb201Skeleton<CellT extends Module> extends Network {
  readonly inputShape: readonly [number, number, number];
  readonly stem: Conv2d;
  readonly stemBn: BatchNorm;
  readonly cells: (CellT | ResNetBasicBlock)[] = [];
  readonly lastBn: BatchNorm;
  readonly classifier: Linear;

  constructor(config: Nb201NetConfig, rng: Rng, makeCell: (C: number) => CellT) {
    super();
    const { C, N, numClasses, inputShape } = config;
    this.inputShape = inputShape;
    this.stem = this.child('stem.0', new Conv2d(inputShape[2], C, 3, rng, { padding: 1 }));
    this.stemBn = this.child('stem.1', new BatchNorm(C));
    let cPrev = C;
    let k = 0;
    for (const [stage, c] of [C, 2 * C, 4 * C].entries()) {
      if (stage > 0) {
        this.cells.push(this.child(`cells.${k++}`, new ResNetBasicBlock(cPrev, c, rng)));
        cPrev = c;
      }
      for (let i = 0; i < N; i++) this.cells.push(this.child(`cells.${k++}`, makeCell(c)));
    }
    this.lastBn = this.child('lastact.0', new BatchNorm(cPrev));
    this.classifier = this.child('classifier', new Linear(cPrev, numClasses, rng));
  }

  override get poolsLastRelu(): boolean {
    return true;
  }

  protected runSkeleton(x: Tensor4D, ctx: ForwardCtx, runCell: (cell: CellT, h: Tensor4D) => Tensor4D): NetworkOutput {
    let [h] = atCut(ctx, [convThenBn(this.stem, this.stemBn, x, ctx)]) as [Tensor4D];
    for (const cell of this.cells) [h] = atCut(ctx, [cell instanceof ResNetBasicBlock ? cell.forward(h, ctx) : runCell(cell, h)]) as [Tensor4D];
    h = relu(this.lastBn.forward(h, ctx), ctx) as Tensor4D;
    return { logits: this.classifier.forward(globalAvgPool(h), ctx) };
  }
}

export class Nb201Network extends Nb201Skeleton<Nb201Cell> {
  constructor(
    readonly arch: Nb201Arch,
    rng: Rng,
    readonly config: Nb201NetConfig = NB201_EVAL_CONFIG,
  ) {
    super(config, rng, (C) => new Nb201Cell(arch, C, rng));
  }

  forwardFull(x: Tensor4D, ctx: ForwardCtx): NetworkOutput {
    return this.runSkeleton(x, ctx, (cell, h) => cell.forward(h, ctx));
  }
}
