/**
 * The NAS-Bench-201 supernet (xautodl TinyNetworkDarts): the TinyNetwork skeleton with every
 * cell edge a MixedOp over the candidate ops (BN affine=False, as in NB201's search code), and
 * one α matrix [6 edges × ops] shared by all cells.
 */
import { tf, type Tensor, type Tensor2D, type Tensor4D, type Variable } from '../engine/tf.js';
import type { Rng } from '../util/rng.js';
import { NB201_EDGES, NB201_NODES, NB201_OPS, type Nb201Arch, type Nb201Op } from '../spaces/nb201.js';
import { Module, type ForwardCtx } from './module.js';
import { MixedOp } from './mixed-op.js';
import type { NetworkOutput } from './network.js';
import { Nb201Skeleton, type Nb201NetConfig } from './nb201-net.js';
import { sumAll } from './ops.js';

export interface SupernetArchInput {
  /** Per-edge op weights [edges × ops]; default softmax(α) per edge. */
  weights?: Tensor2D;
  /** Per-edge op masks [edges][ops]: false = op switched off. */
  masks?: readonly (readonly boolean[])[];
  /** Per-edge scalar weights [edges] (PC-DARTS edge normalisation): node j = Σ_i e_ij·f_ij(x_i). */
  edgeWeights?: Tensor;
}

export interface Nb201SupernetOptions {
  /** PC-DARTS partial channels K (default 1: plain mixed ops). */
  partialChannels?: number;
  /** BN with γ, β in the candidate ops (default false, as NB201's search code). */
  affine?: boolean;
}

export class Nb201SearchCell extends Module {
  readonly edges: MixedOp[];

  constructor(ops: readonly string[], C: number, rng: Rng, partialK = 1, affine = false) {
    super();
    this.edges = NB201_EDGES.map(([to, from]) => this.child(`edges.${to}<-${from}`, new MixedOp(ops, C, C, 1, { affine }, rng, partialK)));
  }

  forward(x: Tensor4D, weights: Tensor[], ctx: ForwardCtx, masks?: SupernetArchInput['masks'], edgeWeights?: Tensor[]): Tensor4D {
    const nodes: Tensor4D[] = [x];
    for (let j = 1; j < NB201_NODES; j++) {
      const terms: Tensor4D[] = [];
      NB201_EDGES.forEach(([to, from], e) => {
        if (to !== j) return;
        const f = this.edges[e]!.forward(nodes[from]!, weights[e]!, ctx, masks?.[e]);
        terms.push(edgeWeights ? tf.mul(f, edgeWeights[e]!) : f);
      });
      nodes.push(sumAll(terms) as Tensor4D);
    }
    return nodes[NB201_NODES - 1]!;
  }
}

export class Nb201Supernet extends Nb201Skeleton<Nb201SearchCell> {
  readonly alpha: Variable;

  constructor(
    rng: Rng,
    readonly config: Nb201NetConfig,
    readonly ops: readonly Nb201Op[] = NB201_OPS,
    options: Nb201SupernetOptions = {},
  ) {
    super(config, rng, (C) => new Nb201SearchCell(ops, C, rng, options.partialChannels ?? 1, options.affine ?? false));
    // α = 1e-3·randn as in the DARTS/NB201 search code.
    const init = tf.tensor2d(
      Array.from({ length: NB201_EDGES.length * ops.length }, () => 1e-3 * rng.normal()),
      [NB201_EDGES.length, ops.length],
    );
    this.alpha = tf.variable(init, true, 'alpha');
    init.dispose();
  }

  /** Network weights only (α excluded): the w of the bi-level problem. */
  weightParameters(): Variable[] {
    return this.parameters();
  }

  archParameters(): Variable[] {
    return [this.alpha];
  }

  forwardFull(x: Tensor4D, ctx: ForwardCtx, arch: SupernetArchInput = {}): NetworkOutput {
    const w = arch.weights ?? tf.softmax(this.alpha);
    const perEdge = tf.unstack(w);
    const perEdgeScale = arch.edgeWeights ? tf.unstack(arch.edgeWeights) : undefined;
    return this.runSkeleton(x, ctx, (cell, h) => cell.forward(h, perEdge, ctx, arch.masks, perEdgeScale));
  }

  /** Argmax op per edge (NB201 derivation). */
  derive(): Nb201Arch {
    const a = this.alpha.arraySync() as number[][];
    return { ops: a.map((row) => this.ops[row.indexOf(Math.max(...row))]!) };
  }

  override dispose(): void {
    super.dispose();
    this.alpha.dispose();
  }
}
