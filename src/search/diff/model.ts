/**
 * One interface over the two supernets for the differentiable search strategies: the weights w,
 * the architecture parameters (α, plus the PC-DARTS edge-normalisation β when on), the loss with
 * optional fixed op weights (MS-DARTS trains w at a shifted α), derivation and collapse counts.
 */
import { tf, type Tensor, type Tensor1D, type Tensor2D, type Tensor4D, type Variable } from '../../engine/tf.js';
import { Nb201Supernet } from '../../nn/nb201-supernet.js';
import { DartsSupernet, deriveCell } from '../../nn/darts-supernet.js';
import { NB201_EDGES, NB201_OPS, formatNb201, type Nb201Arch } from '../../spaces/nb201.js';
import { DARTS_OPS, DARTS_STEPS, formatGenotype, type DartsGenotype } from '../../spaces/darts.js';
import type { Rng } from '../../util/rng.js';

export type SearchSpace = 'nb201' | 'darts';

export interface SearchNetSpec {
  space: SearchSpace;
  /** Initial channels. */
  C: number;
  /** NB201: cells per stage. DARTS: total cells (`layers`). */
  depth: number;
  numClasses: number;
  inputShape: readonly [number, number, number];
  /** PC-DARTS partial-channel K (1 = off). */
  partialK: number;
  /** PC-DARTS edge normalisation β. */
  edgeNorm: boolean;
  /** NB201 only: affine BN in the candidate ops (a diagnostic; the search code's BN is not affine). */
  opAffine?: boolean;
}

/** Parameter-free ops of both spaces (collapse diagnostics). */
export const PARAMETER_FREE_OPS: ReadonlySet<string> = new Set(['none', 'skip_connect', 'avg_pool_3x3', 'max_pool_3x3']);

export interface Derived {
  /** NB201 string or DARTS Genotype(...) text. */
  text: string;
  arch: Nb201Arch | DartsGenotype;
  skipCount: number;
  paramFreeCount: number;
}

/** Incoming-edge groups (row ranges of α/β) per intermediate node. */
export function edgeGroups(space: SearchSpace): [number, number][] {
  const out: [number, number][] = [];
  if (space === 'nb201') {
    let start = 0;
    for (let j = 1; j < 4; j++) {
      const n = NB201_EDGES.filter(([to]) => to === j).length;
      out.push([start, start + n]);
      start += n;
    }
  } else {
    let start = 0;
    for (let i = 0; i < DARTS_STEPS; i++) {
      out.push([start, start + i + 2]);
      start += i + 2;
    }
  }
  return out;
}

/** Edge weights from β: a softmax within each node's incoming edges (PC-DARTS). */
export function edgeSoftmax(beta: Tensor, space: SearchSpace): Tensor1D {
  return tf.concat(edgeGroups(space).map(([a, b]) => tf.softmax(tf.slice(beta, [a], [b - a]) as Tensor1D))) as Tensor1D;
}

function edgeSoftmaxArray(beta: number[], space: SearchSpace): number[] {
  const out: number[] = [];
  for (const [a, b] of edgeGroups(space)) {
    const xs = beta.slice(a, b);
    const m = Math.max(...xs);
    const e = xs.map((v) => Math.exp(v - m));
    const s = e.reduce((p, c) => p + c, 0);
    out.push(...e.map((v) => v / s));
  }
  return out;
}

function softmaxRows(a: number[][]): number[][] {
  return a.map((row) => {
    const m = Math.max(...row);
    const e = row.map((v) => Math.exp(v - m));
    const s = e.reduce((p, c) => p + c, 0);
    return e.map((v) => v / s);
  });
}

type NB201DerivationMode = 'argmax' | 'no-none';

/** NB201 derivation: argmax op per edge (ties: first); `excludeNone`: over the ops but `none`. */
export function deriveNb201(w: number[][], excludeNone = false): Nb201Arch {
  const from = excludeNone ? NB201_OPS.indexOf('none') : -1;
  return {
    ops: w.map((row) => {
      let best = -1;
      row.forEach((v, k) => {
        if (k !== from && (best < 0 || v > row[best]!)) best = k;
      });
      return NB201_OPS[best]!;
    }),
  };
}

/**
 * DARTS derivation with optional PC-DARTS edge weights: row e of the op weights is scaled by
 * the edge weight before the top-2 edge selection (the op choice per edge is unaffected).
 */
export function deriveDarts(wNormal: number[][], wReduce: number[][], eNormal?: number[], eReduce?: number[]): DartsGenotype {
  const scale = (w: number[][], e?: number[]) => (e ? w.map((row, k) => row.map((v) => v * e[k]!)) : w);
  return {
    normal: deriveCell(scale(wNormal, eNormal), DARTS_OPS),
    normalConcat: [2, 3, 4, 5],
    reduce: deriveCell(scale(wReduce, eReduce), DARTS_OPS),
    reduceConcat: [2, 3, 4, 5],
  };
}

/** Op weights to use instead of softmax(α), one [edges × ops] tensor per α tensor. */
export type OpWeights = Tensor2D[];

export class SearchModel {
  readonly net: Nb201Supernet | DartsSupernet;
  /** PC-DARTS β, one [edges] vector per α tensor (empty when edge normalisation is off). */
  readonly betas: Variable[];

  constructor(
    readonly spec: SearchNetSpec,
    rng: Rng,
  ) {
    if (spec.space === 'nb201') {
      this.net = new Nb201Supernet(rng, { C: spec.C, N: spec.depth, numClasses: spec.numClasses, inputShape: spec.inputShape }, NB201_OPS, {
        partialChannels: spec.partialK,
        affine: spec.opAffine ?? false,
      });
    } else {
      this.net = new DartsSupernet(rng, { C: spec.C, layers: spec.depth, numClasses: spec.numClasses, inputShape: spec.inputShape, partialChannels: spec.partialK });
    }
    const nEdges = spec.space === 'nb201' ? NB201_EDGES.length : 14;
    const nBeta = spec.edgeNorm ? this.net.archParameters().length : 0;
    // β = 1e-3·randn as in the PC-DARTS code.
    this.betas = Array.from({ length: nBeta }, () => {
      const init = tf.tensor1d(Array.from({ length: nEdges }, () => 1e-3 * rng.normal()));
      const v = tf.variable(init, true);
      init.dispose();
      return v;
    });
  }

  /** Network weights w. */
  weights(): Variable[] {
    return this.net.weightParameters();
  }

  /** α tensors (NB201: [α]; DARTS: [α_normal, α_reduce]). */
  alphas(): Variable[] {
    return this.net.archParameters();
  }

  /** Everything the architecture optimizer updates: α then β. */
  archParams(): Variable[] {
    return [...this.alphas(), ...this.betas];
  }

  /** Non-trainable state (BN running statistics). */
  buffers(): Variable[] {
    return this.net.namedBuffers().map(([, v]) => v);
  }

  logits(x: Tensor4D, training: boolean, opWeights?: OpWeights): Tensor {
    const ctx = { training };
    const e = this.betas.map((b) => edgeSoftmax(b, this.spec.space));
    if (this.net instanceof Nb201Supernet) {
      return this.net.forwardFull(x, ctx, { weights: opWeights?.[0], edgeWeights: e[0] }).logits;
    }
    return this.net.forwardFull(x, ctx, {
      weightsNormal: opWeights?.[0],
      weightsReduce: opWeights?.[1],
      edgeWeightsNormal: e[0],
      edgeWeightsReduce: e[1],
    }).logits;
  }

  /** Mean cross-entropy; also returns the logits for accuracy. */
  loss(x: Tensor4D, y: Tensor1D, training: boolean, opWeights?: OpWeights): { loss: tf.Scalar; logits: Tensor } {
    const logits = this.logits(x, training, opWeights);
    const loss = tf.losses.softmaxCrossEntropy(tf.oneHot(y, this.spec.numClasses), logits) as tf.Scalar;
    return { loss, logits };
  }

  /** softmax(α) per α tensor, as arrays [tensor][edge][op]. */
  alphaSoftmax(): number[][][] {
    return this.alphas().map((a) => softmaxRows(a.arraySync() as number[][]));
  }

  /** Edge weights softmax_group(β) per β tensor (empty without edge normalisation). */
  edgeWeightsArray(): number[][] {
    return this.betas.map((b) => edgeSoftmaxArray(Array.from(b.dataSync()), this.spec.space));
  }

  /** The discrete architecture; NB201 `no-none` derives without `none` (DARTS always does). */
  derive(mode: NB201DerivationMode = 'argmax'): Derived {
    const w = this.alphaSoftmax();
    const e = this.edgeWeightsArray();
    if (this.spec.space === 'nb201') {
      const arch = deriveNb201(w[0]!, mode === 'no-none');
      return { text: formatNb201(arch), arch, ...collapse(arch.ops) };
    }
    const arch = deriveDarts(w[0]!, w[1]!, e[0], e[1]);
    // Collapse counts over the normal cell (the one DARTS collapse is reported on).
    return { text: formatGenotype(arch), arch, ...collapse(arch.normal.map(([op]) => op)) };
  }

  dispose(): void {
    this.net.dispose();
    for (const b of this.betas) b.dispose();
  }
}

function collapse(ops: readonly string[]): { skipCount: number; paramFreeCount: number } {
  return { skipCount: ops.filter((o) => o === 'skip_connect').length, paramFreeCount: ops.filter((o) => PARAMETER_FREE_OPS.has(o)).length };
}
