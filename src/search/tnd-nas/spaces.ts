/**
 * What supernet-mode TND-NAS needs from a search space: its policy, how a policy choice becomes an
 * architecture, the supernet of a stage and the single-path forward of one sampled architecture.
 *
 *   - nb201: one categorical per edge over the 5 ops (policy.ts), the NB201 supernet with one-hot op
 *     weights and masks (only the sampled op of each edge is computed), shrinking 5 → 3 → 2.
 *   - darts: node input pairs and edge ops (darts-policy.ts), the DARTS search network built on the
 *     7 real ops with `forwardPath` (only the genotype's 8 edges per cell, one op each), shrinking
 *     7 → 5 → 3. `partialChannels` K > 1 runs each edge's op on C/K channels (PC-DARTS).
 */
import type { Tensor, Tensor4D, Variable } from '../../engine/tf.js';
import { tf } from '../../engine/tf.js';
import { DartsSupernet } from '../../nn/darts-supernet.js';
import type { ForwardCtx } from '../../nn/module.js';
import type { Network } from '../../nn/network.js';
import { Nb201Supernet } from '../../nn/nb201-supernet.js';
import { DARTS_STEPS } from '../../spaces/darts.js';
import { NB201_EDGES, NB201_OPS, type AnyArch } from '../../spaces/index.js';
import { TsnasError } from '../../util/errors.js';
import type { Rng } from '../../util/rng.js';
import { DARTS_REAL_OPS, DartsTndPolicy, dartsArchOfChoice } from './darts-policy.js';
import { nb201ArchOfChoice, TndPolicy, type CategoricalPolicy } from './policy.js';

/** A stage's supernet: its weights (trained by SGD) and buffers (BN statistics), both checkpointed. */
export type TndSupernetNet = Network & { weightParameters(): Variable[] };

export interface TndSupernetShape {
  C: number;
  /** The space's depth unit: NB201 cells per stage, DARTS cells. */
  depth: number;
  numClasses: number;
  inputShape: [number, number, number];
  partialChannels: number;
}

export interface TndSpace {
  name: 'nb201' | 'darts';
  /** Active ops per edge in each stage. */
  keep: number[];
  policy(rng: Rng): CategoricalPolicy;
  archOf(choice: readonly number[]): AnyArch;
  buildSupernet(rng: Rng, shape: TndSupernetShape): TndSupernetNet;
  /** Logits of the architecture's single path through the supernet. */
  logits(net: TndSupernetNet, a: AnyArch, x: Tensor4D, ctx: ForwardCtx): Tensor;
}

export const NB201_TND: TndSpace = {
  name: 'nb201',
  keep: [5, 3, 2],
  policy: (rng) => new TndPolicy(NB201_EDGES.length, NB201_OPS.length, rng),
  archOf: (c) => nb201ArchOfChoice(c),
  buildSupernet: (rng, s) => new Nb201Supernet(rng, { C: s.C, N: s.depth, numClasses: s.numClasses, inputShape: s.inputShape }, NB201_OPS, { partialChannels: s.partialChannels }),
  logits: (net, a, x, ctx) => {
    if (a.space !== 'nb201' || !(net instanceof Nb201Supernet)) throw new TsnasError(`TND-NAS (nb201): cannot run a ${a.space} architecture`);
    const choice = a.arch.ops.map((op) => NB201_OPS.indexOf(op));
    const w = new Float32Array(choice.length * NB201_OPS.length);
    choice.forEach((o, e) => (w[e * NB201_OPS.length + o] = 1));
    const masks = choice.map((o) => NB201_OPS.map((_, k) => k === o));
    return net.forwardFull(x, ctx, { weights: tf.tensor2d(w, [choice.length, NB201_OPS.length]), masks }).logits;
  },
};

export const DARTS_TND: TndSpace = {
  name: 'darts',
  keep: [7, 5, 3],
  policy: (rng) => new DartsTndPolicy(rng),
  archOf: (c) => dartsArchOfChoice(c),
  buildSupernet: (rng, s) => {
    // PC-DARTS's condition, checked here for a one-line error: every cell's C (C, 2C, 4C) divisible by K
    if (s.C % s.partialChannels !== 0) throw new TsnasError(`--partial-channels ${s.partialChannels} must divide the supernet's C (${s.C})`);
    return new DartsSupernet(rng, { C: s.C, layers: s.depth, numClasses: s.numClasses, inputShape: s.inputShape, multiplier: DARTS_STEPS, partialChannels: s.partialChannels }, DARTS_REAL_OPS);
  },
  logits: (net, a, x, ctx) => {
    if (a.space !== 'darts' || !(net instanceof DartsSupernet)) throw new TsnasError(`TND-NAS (darts): cannot run a ${a.space} architecture`);
    return net.forwardPath(x, ctx, a.arch).logits;
  },
};

/** The TND-NAS adapter of a space; spaces without one are a one-line error. */
export function tndSpace(name: string): TndSpace {
  if (name === 'nb201') return NB201_TND;
  if (name === 'darts') return DARTS_TND;
  throw new TsnasError(`--strategy tnd-nas runs on --space nb201 or darts, not ${name}`);
}
