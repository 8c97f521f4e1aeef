/**
 * The DARTS search network (quark0/darts model_search.Network): stem to 3C, `layers` cells
 * (reductions at 1/3 and 2/3), each edge a MixedOp over the 8 primitives (BN affine=False, pooling
 * followed by BN), α_normal and α_reduce [14 × 8].
 */
import { tf, type Tensor, type Tensor2D, type Tensor4D, type Variable } from '../engine/tf.js';
import type { Rng } from '../util/rng.js';
import { DARTS_EDGES, DARTS_OPS, DARTS_STEPS, type DartsGenotype, type DartsOp, type GeneEntry } from '../spaces/darts.js';
import { BatchNorm, Conv2d, Linear, globalAvgPool, convThenBn } from './layers.js';
import { Module, type ForwardCtx } from './module.js';
import { MixedOp } from './mixed-op.js';
import { Network, type NetworkOutput } from './network.js';
import { FactorizedReduce, ReLUConvBN, sumAll, type Op } from './ops.js';

export interface DartsSupernetConfig {
  C: number;
  layers: number;
  numClasses: number;
  inputShape: readonly [number, number, number];
  /** Nodes concatenated at the cell output (DARTS: 4). */
  multiplier?: number;
  /** PC-DARTS partial channels K (default 1: plain mixed ops). */
  partialChannels?: number;
}

export const DARTS_SEARCH_CONFIG: DartsSupernetConfig = { C: 16, layers: 8, numClasses: 10, inputShape: [32, 32, 3] };

export interface DartsArchInput {
  weightsNormal?: Tensor2D;
  weightsReduce?: Tensor2D;
  masksNormal?: readonly (readonly boolean[])[];
  masksReduce?: readonly (readonly boolean[])[];
  /** Per-edge scalar weights [14] (PC-DARTS edge normalisation β), normal and reduction cells. */
  edgeWeightsNormal?: Tensor;
  edgeWeightsReduce?: Tensor;
}

export class DartsSearchCell extends Module {
  readonly pre0: Op;
  readonly pre1: ReLUConvBN;
  readonly edges: MixedOp[];

  constructor(
    ops: readonly string[],
    cPP: number,
    cP: number,
    C: number,
    readonly reduction: boolean,
    reductionPrev: boolean,
    readonly multiplier: number,
    rng: Rng,
    partialK = 1,
  ) {
    super();
    this.pre0 = this.child('preprocess0', reductionPrev ? new FactorizedReduce(cPP, C, false, rng) : new ReLUConvBN(cPP, C, 1, 1, 0, 1, false, rng));
    this.pre1 = this.child('preprocess1', new ReLUConvBN(cP, C, 1, 1, 0, 1, false, rng));
    this.edges = DARTS_EDGES.map(([, from], k) => this.child(`_ops.${k}`, new MixedOp(ops, C, C, reduction && from < 2 ? 2 : 1, { affine: false, poolBn: true }, rng, partialK)));
  }

  forward(s0: Tensor4D, s1: Tensor4D, weights: Tensor[], ctx: ForwardCtx, masks?: readonly (readonly boolean[])[], edgeWeights?: Tensor[]): Tensor4D {
    const states: Tensor4D[] = [this.pre0.forward(s0, ctx), this.pre1.forward(s1, ctx)];
    let k = 0;
    for (let i = 0; i < DARTS_STEPS; i++) {
      const terms: Tensor[] = [];
      for (let j = 0; j < states.length; j++, k++) {
        const f = this.edges[k]!.forward(states[j]!, weights[k]!, ctx, masks?.[k]);
        terms.push(edgeWeights ? tf.mul(f, edgeWeights[k]!) : f);
      }
      states.push(sumAll(terms) as Tensor4D);
    }
    return tf.concat(states.slice(-this.multiplier), 3);
  }

  /**
   * The single path of a genotype's cell: node i sums its two entries, each the chosen op alone on
   * the edge from its input; the other edges and ops are not computed.
   */
  forwardPath(s0: Tensor4D, s1: Tensor4D, entries: readonly GeneEntry[], ctx: ForwardCtx): Tensor4D {
    if (entries.length !== 2 * DARTS_STEPS) throw new Error(`a DARTS cell path has ${2 * DARTS_STEPS} entries, got ${entries.length}`);
    const states: Tensor4D[] = [this.pre0.forward(s0, ctx), this.pre1.forward(s1, ctx)];
    for (let i = 0; i < DARTS_STEPS; i++) {
      const node = i + 2;
      // edges into node j start at row Σ_{n<j} n − 1 = (j−2)(j+1)/2 of DARTS_EDGES
      const first = ((node - 2) * (node + 1)) / 2;
      const terms = entries.slice(2 * i, 2 * i + 2).map(([op, from]) => {
        const edge = this.edges[first + from];
        const o = edge?.opNames.indexOf(op) ?? -1;
        if (!edge || from >= node || o < 0) throw new Error(`DARTS supernet path: node ${node} cannot take ('${op}', ${from})`);
        return edge.forwardOne(states[from]!, o, ctx);
      });
      states.push(sumAll(terms) as Tensor4D);
    }
    return tf.concat(states.slice(-this.multiplier), 3);
  }
}

export class DartsSupernet extends Network {
  readonly inputShape: readonly [number, number, number];
  readonly alphaNormal: Variable;
  readonly alphaReduce: Variable;
  readonly stem: Conv2d;
  readonly stemBn: BatchNorm;
  readonly cells: DartsSearchCell[] = [];
  readonly classifier: Linear;

  constructor(
    rng: Rng,
    readonly config: DartsSupernetConfig = DARTS_SEARCH_CONFIG,
    readonly ops: readonly DartsOp[] = DARTS_OPS,
  ) {
    super();
    const { C, layers, numClasses, inputShape } = config;
    const multiplier = config.multiplier ?? DARTS_STEPS;
    this.inputShape = inputShape;
    const init = () =>
      tf.tensor2d(
        Array.from({ length: DARTS_EDGES.length * ops.length }, () => 1e-3 * rng.normal()),
        [DARTS_EDGES.length, ops.length],
      );
    const [an, ar] = [init(), init()];
    this.alphaNormal = tf.variable(an, true, 'alpha_normal');
    this.alphaReduce = tf.variable(ar, true, 'alpha_reduce');
    tf.dispose([an, ar]);
    const stemC = 3 * C;
    this.stem = this.child('stem.0', new Conv2d(inputShape[2], stemC, 3, rng, { padding: 1 }));
    this.stemBn = this.child('stem.1', new BatchNorm(stemC));
    let [cPP, cP, cCur] = [stemC, stemC, C];
    let reductionPrev = false;
    for (let i = 0; i < layers; i++) {
      const reduction = i === Math.floor(layers / 3) || i === Math.floor((2 * layers) / 3);
      if (reduction) cCur *= 2;
      this.cells.push(this.child(`cells.${i}`, new DartsSearchCell(ops, cPP, cP, cCur, reduction, reductionPrev, multiplier, rng, config.partialChannels ?? 1)));
      reductionPrev = reduction;
      [cPP, cP] = [cP, multiplier * cCur];
    }
    this.classifier = this.child('classifier', new Linear(cP, numClasses, rng));
  }

  weightParameters(): Variable[] {
    return this.parameters();
  }

  archParameters(): Variable[] {
    return [this.alphaNormal, this.alphaReduce];
  }

  forwardFull(x: Tensor4D, ctx: ForwardCtx, arch: DartsArchInput = {}): NetworkOutput {
    const wn = tf.unstack(arch.weightsNormal ?? tf.softmax(this.alphaNormal));
    const wr = tf.unstack(arch.weightsReduce ?? tf.softmax(this.alphaReduce));
    const en = arch.edgeWeightsNormal ? tf.unstack(arch.edgeWeightsNormal) : undefined;
    const er = arch.edgeWeightsReduce ? tf.unstack(arch.edgeWeightsReduce) : undefined;
    let s0 = convThenBn(this.stem, this.stemBn, x, ctx);
    let s1 = s0;
    for (const cell of this.cells) {
      const out = cell.reduction ? cell.forward(s0, s1, wr, ctx, arch.masksReduce, er) : cell.forward(s0, s1, wn, ctx, arch.masksNormal, en);
      [s0, s1] = [s1, out];
    }
    return { logits: this.classifier.forward(globalAvgPool(s1), ctx) };
  }

  /**
   * Logits of a genotype's subnet (single path): each cell computes only the genotype's ops on its
   * edges (sampling-based one-shot training and evaluation, TND-NAS). The genotype's ops must be
   * among the supernet's; its concat lists are the supernet's last `multiplier` nodes.
   */
  forwardPath(x: Tensor4D, ctx: ForwardCtx, g: DartsGenotype): NetworkOutput {
    let s0 = convThenBn(this.stem, this.stemBn, x, ctx);
    let s1 = s0;
    for (const cell of this.cells) {
      const out = cell.forwardPath(s0, s1, cell.reduction ? g.reduce : g.normal, ctx);
      [s0, s1] = [s1, out];
    }
    return { logits: this.classifier.forward(globalAvgPool(s1), ctx) };
  }

  /** DARTS derivation: per node the top-2 incoming edges by their best non-`none` weight, then that op. */
  derive(): DartsGenotype {
    const pick = (alpha: Variable): GeneEntry[] => {
      const w = tf.tidy(() => tf.softmax(alpha)).arraySync() as number[][];
      return deriveCell(w, this.ops);
    };
    return { normal: pick(this.alphaNormal), normalConcat: [2, 3, 4, 5], reduce: pick(this.alphaReduce), reduceConcat: [2, 3, 4, 5] };
  }

  override dispose(): void {
    super.dispose();
    this.alphaNormal.dispose();
    this.alphaReduce.dispose();
  }
}

/** Top-2 edges per node by max non-`none` weight; op = argmax excluding `none`. */
export function deriveCell(w: number[][], ops: readonly DartsOp[]): GeneEntry[] {
  const out: GeneEntry[] = [];
  let start = 0;
  for (let i = 0; i < DARTS_STEPS; i++) {
    const n = i + 2;
    const rows = w.slice(start, start + n);
    const best = rows.map((row, j) => {
      let op = -1;
      row.forEach((v, o) => {
        if (ops[o] !== 'none' && (op < 0 || v > row[op]!)) op = o;
      });
      return { j, op, v: row[op]! };
    });
    best.sort((a, b) => b.v - a.v || a.j - b.j);
    for (const b of best.slice(0, 2).sort((a, c) => a.j - c.j)) out.push([ops[b.op]!, b.j]);
    start += n;
  }
  return out;
}
