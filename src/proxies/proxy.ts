/**
 * What a proxy is: a named score of one architecture, declaring what it needs (a data batch, the
 * activation statistics, the loss gradients, the MACs) so that the scorer computes each shared
 * thing once per architecture, however many proxies use it. Proxies live in the registry
 * (registry.ts); one file per proxy under definitions/.
 */
import type { Tensor, Tensor1D, Tensor4D, Variable } from '../engine/tf.js';
import type { Network } from '../nn/network.js';
import type { Dataset } from '../data/index.js';
import type { AnyArch } from '../spaces/index.js';
import type { ActivationStats } from './activations.js';

export interface FastTrainOptions {
  /** SGD steps before scoring (0 = training-free). */
  steps: number;
  lr: number;
  batch: number;
  momentum: number;
}

export interface ScoreContext {
  /** Training split: scoring batch and fast-training batches come from it. */
  data: Dataset;
  /** Scoring batch size (NASWOT: 128). */
  batch: number;
  seed: number;
  train?: FastTrainOptions;
}

/**
 * What a proxy reads besides the network. Reading an undeclared one throws, so a proxy's needs are
 * what it uses. `activations` and `gradients` imply `batch`.
 */
export interface ProxyNeeds {
  /** The scoring batch: `ctx.batch` training images drawn with `ctx.seed`. */
  batch?: boolean;
  /** The ReLU-input codes of one forward pass on the batch (BN in train mode): activations.ts. */
  activations?: boolean;
  /** ∂(cross-entropy of the batch)/∂W for the conv and linear weights (BN in train mode). */
  gradients?: boolean;
  /** The network's multiply-accumulates per image. */
  macs?: boolean;
}

/** A conv or linear weight and its loss gradient (weights the loss cannot reach are left out). */
export interface WeightGradient {
  w: Variable;
  g: Tensor;
}

/**
 * One architecture as a proxy sees it. The shared things are computed on first use and kept for
 * the other proxies of the same architecture; the scorer disposes them.
 */
export interface ProxyInput {
  /** The proxy as requested, options included: `naswot`, `das:kernel=layer,lambda=1`. */
  readonly spec: string;
  readonly arch: AnyArch;
  /**
   * The network built from `ctx.seed` (after `ctx.train.steps` SGD steps when set), the same for
   * every proxy: a proxy that changes its weights must restore them (synflow does).
   */
  readonly net: Network;
  readonly ctx: ScoreContext;
  /** needs.batch (or activations, gradients). Owned by the scorer: do not dispose. */
  batch(): { x: Tensor4D; y: Tensor1D };
  /** needs.activations. */
  activations(): ActivationStats;
  /** needs.gradients. Owned by the scorer: do not dispose. */
  gradients(): WeightGradient[];
  /** needs.macs: multiply-accumulates per image. */
  macs(): number;
  /** A new network with the same seed and no training, for proxies that re-initialise weights (zen); the caller disposes it. */
  freshNetwork(): Network;
  /** A value computed once per architecture and shared by every proxy that asks for `key` (e.g. DAS's intermediate terms). */
  shared<T>(key: string, make: () => T): T;
}

/**
 * A proxy. `P` is the type of its options: a parametrised proxy (`parse` given) also claims the
 * names `name:…`, e.g. `das:lambda=0.5,conn=0.25`, and `parse` turns such a name (the bare name
 * included) into the options `score` gets.
 */
export interface ProxyDefinition<P = undefined> {
  /** Letters, digits and `_`; the name in `--proxies` and in score records. */
  readonly name: string;
  /** One line, for listings. */
  readonly description: string;
  readonly needs: ProxyNeeds;
  /** For the unknown-proxy message of a parametrised proxy, e.g. `das:kernel=whole|layer|perlayer,lambda=X`. */
  readonly syntax?: string;
  /** Validates a `name` or `name:…` spec (throwing TsnasError) and returns its options. */
  parse?(spec: string): P;
  /** The score; higher predicts a better architecture (params and flops are reported as they are). */
  score(input: ProxyInput, options: P): number;
}
