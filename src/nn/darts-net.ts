/**
 * The DARTS evaluation network (quark0/darts NetworkCIFAR): stem conv3×3 to 3C, `layers` cells
 * with reductions at 1/3 and 2/3 of depth, auxiliary head after the second reduction, global pool,
 * linear. Drop-path on non-identity ops while training.
 */
import { tf, type Tensor, type Tensor4D } from '../engine/tf.js';
import { Rng } from '../util/rng.js';
import { DARTS_STEPS, type DartsGenotype, type GeneEntry } from '../spaces/darts.js';
import { BatchNorm, Conv2d, Linear, globalAvgPool, convThenBn } from './layers.js';
import { Module, atCut, opScope, relu, type ForwardCtx } from './module.js';
import { Network, type NetworkOutput } from './network.js';
import { createOp, FactorizedReduce, Identity, ReLUConvBN, type Op } from './ops.js';

export interface DartsNetConfig {
  C: number;
  layers: number;
  numClasses: number;
  auxiliary: boolean;
  inputShape: readonly [number, number, number];
}

export const DARTS_EVAL_CONFIG: DartsNetConfig = { C: 36, layers: 20, numClasses: 10, auxiliary: true, inputShape: [32, 32, 3] };

/** Zero whole samples with probability p and rescale the rest (DARTS utils.drop_path). */
export function dropPath(x: Tensor4D, p: number, rng: Rng): Tensor4D {
  const n = x.shape[0];
  const keep = new Float32Array(n);
  for (let i = 0; i < n; i++) keep[i] = rng.next() < 1 - p ? 1 / (1 - p) : 0;
  return tf.mul(x, tf.tensor4d(keep, [n, 1, 1, 1]));
}

export class DartsCell extends Module {
  readonly pre0: Op;
  readonly pre1: ReLUConvBN;
  readonly ops: Op[];
  readonly genes: readonly GeneEntry[];
  readonly concat: readonly number[];
  /** States (0, 1: the preprocessed inputs; 2…: the nodes) that no later node reads and the output does not concat, by the node after which that holds. */
  private readonly doneAfter: number[][];

  constructor(
    g: DartsGenotype,
    cPrevPrev: number,
    cPrev: number,
    C: number,
    readonly reduction: boolean,
    reductionPrev: boolean,
    rng: Rng,
  ) {
    super();
    this.pre0 = this.child('preprocess0', reductionPrev ? new FactorizedReduce(cPrevPrev, C, true, rng) : new ReLUConvBN(cPrevPrev, C, 1, 1, 0, 1, true, rng));
    this.pre1 = this.child('preprocess1', new ReLUConvBN(cPrev, C, 1, 1, 0, 1, true, rng));
    this.genes = reduction ? g.reduce : g.normal;
    this.concat = reduction ? g.reduceConcat : g.normalConcat;
    this.ops = this.genes.map(([name, idx], k) => this.child(`_ops.${k}`, createOp(name, C, C, reduction && idx < 2 ? 2 : 1, { affine: true }, rng)));
    this.doneAfter = Array.from({ length: DARTS_STEPS }, () => []);
    for (let j = 0; j < 2 + DARTS_STEPS; j++) {
      if (this.concat.includes(j)) continue;
      let last = -1;
      this.genes.forEach(([, from], k) => {
        if (from === j) last = Math.max(last, k >> 1);
      });
      if (last >= 0) this.doneAfter[last]!.push(j);
    }
  }

  get multiplier(): number {
    return this.concat.length;
  }

  forward(s0: Tensor4D, s1: Tensor4D, ctx: ForwardCtx): Tensor4D {
    const states: Tensor4D[] = [opScope(ctx, () => this.pre0.forward(s0, ctx))];
    // in a releasing pass s0 (the output of the cell before last) is read by nothing after this
    if (s0 !== s1) ctx.release?.free([s0]);
    states.push(opScope(ctx, () => this.pre1.forward(s1, ctx)));
    for (let i = 0; i < DARTS_STEPS; i++) {
      const hs = [0, 1].map((t) => {
        const k = 2 * i + t;
        const op = this.ops[k]!;
        let h = opScope(ctx, () => op.forward(states[this.genes[k]![1]]!, ctx));
        if (ctx.training && (ctx.dropPath ?? 0) > 0 && !(op instanceof Identity) && ctx.rng) h = dropPath(h, ctx.dropPath!, ctx.rng);
        return h;
      });
      states.push(tf.add(hs[0]!, hs[1]!));
      if (ctx.release) {
        // an op's output that is not a state itself (skip_connect returns its input), then the states whose last reader this node was
        const done = hs.filter((h) => !states.includes(h));
        for (const j of this.doneAfter[i]!) done.push(states[j]!);
        ctx.release.free(done.filter((t) => t !== s1));
      }
    }
    return tf.concat(
      this.concat.map((c) => states[c]!),
      3,
    );
  }
}

/** Auxiliary classifier on 8×8 features: ReLU, avgpool 5/3, conv1×1→128, BN, ReLU, conv2×2→768, BN, ReLU, linear. */
export class AuxiliaryHead extends Module {
  readonly c1: Conv2d;
  readonly bn1: BatchNorm;
  readonly c2: Conv2d;
  readonly bn2: BatchNorm;
  readonly fc: Linear;

  constructor(C: number, numClasses: number, rng: Rng) {
    super();
    this.c1 = this.child('features.2', new Conv2d(C, 128, 1, rng));
    this.bn1 = this.child('features.3', new BatchNorm(128));
    this.c2 = this.child('features.5', new Conv2d(128, 768, 2, rng));
    this.bn2 = this.child('features.6', new BatchNorm(768));
    this.fc = this.child('classifier', new Linear(768, numClasses, rng));
  }

  forward(x: Tensor4D, ctx: ForwardCtx): Tensor {
    let h = tf.avgPool(relu(x, ctx) as Tensor4D, 5, 3, 'valid');
    h = relu(convThenBn(this.c1, this.bn1, h, ctx), ctx) as Tensor4D;
    h = relu(convThenBn(this.c2, this.bn2, h, ctx), ctx) as Tensor4D;
    return this.fc.forward(tf.reshape(h, [h.shape[0], -1]), ctx);
  }
}

export class DartsNetwork extends Network {
  readonly inputShape: readonly [number, number, number];
  readonly stem: Conv2d;
  readonly stemBn: BatchNorm;
  readonly cells: DartsCell[] = [];
  readonly auxHead?: AuxiliaryHead;
  readonly auxAfter: number;
  readonly classifier: Linear;

  constructor(
    readonly genotype: DartsGenotype,
    rng: Rng,
    readonly config: DartsNetConfig = DARTS_EVAL_CONFIG,
  ) {
    super();
    const { C, layers, numClasses, inputShape } = config;
    this.inputShape = inputShape;
    const stemC = 3 * C;
    this.stem = this.child('stem.0', new Conv2d(inputShape[2], stemC, 3, rng, { padding: 1 }));
    this.stemBn = this.child('stem.1', new BatchNorm(stemC));
    let [cPP, cP, cCur] = [stemC, stemC, C];
    let reductionPrev = false;
    this.auxAfter = Math.floor((2 * layers) / 3);
    let auxC = 0;
    for (let i = 0; i < layers; i++) {
      const reduction = i === Math.floor(layers / 3) || i === Math.floor((2 * layers) / 3);
      if (reduction) cCur *= 2;
      const cell = this.child(`cells.${i}`, new DartsCell(genotype, cPP, cP, cCur, reduction, reductionPrev, rng));
      this.cells.push(cell);
      reductionPrev = reduction;
      [cPP, cP] = [cP, cell.multiplier * cCur];
      if (i === this.auxAfter) auxC = cP;
    }
    if (config.auxiliary) this.auxHead = this.child('auxiliary', new AuxiliaryHead(auxC, numClasses, rng));
    this.classifier = this.child('classifier', new Linear(cP, numClasses, rng));
  }

  forwardFull(x: Tensor4D, ctx: ForwardCtx): NetworkOutput {
    let [s0] = atCut(ctx, [convThenBn(this.stem, this.stemBn, x, ctx)]) as [Tensor4D];
    let s1 = s0;
    let aux: Tensor | undefined;
    this.cells.forEach((cell, i) => {
      [s0, s1] = [s1, cell.forward(s0, s1, ctx)];
      if (i === this.auxAfter && this.auxHead && ctx.training) aux = this.auxHead.forward(s1, ctx);
      // the next cells read only s0 and s1
      [s0, s1] = atCut(ctx, [s0, s1]) as [Tensor4D, Tensor4D];
    });
    return { logits: this.classifier.forward(globalAvgPool(s1), ctx), aux };
  }
}

const opParamCache = new Map<string, number>();
const baseParamCache = new Map<string, number>();

/** Trainable parameters of one evaluation-network op (cached by op, width and stride). */
function opParams(name: string, C: number, stride: number): number {
  const key = `${name}|${C}|${stride}`;
  let n = opParamCache.get(key);
  if (n === undefined) {
    const op = createOp(name, C, C, stride, { affine: true }, new Rng(0));
    n = op.numParams();
    op.dispose();
    opParamCache.set(key, n);
  }
  return n;
}

/** Each gene's op with its cell's width and stride, in network order. */
function geneOps(g: DartsGenotype, config: DartsNetConfig): [string, number, number][] {
  const out: [string, number, number][] = [];
  let C = config.C;
  for (let i = 0; i < config.layers; i++) {
    const reduction = i === Math.floor(config.layers / 3) || i === Math.floor((2 * config.layers) / 3);
    if (reduction) C *= 2;
    for (const [name, idx] of reduction ? g.reduce : g.normal) out.push([name, C, reduction && idx < 2 ? 2 : 1]);
  }
  return out;
}

/**
 * `new DartsNetwork(g, rng, config).paramCount()` without building the network: the part that the
 * genotype's ops do not change (stem, preprocessing, classifier; measured once per config and
 * concat lists on a built network) plus each gene's op, counted on that op alone. Exact, and
 * microseconds where building the 20-cell network takes a second (TND-NAS counts every sample).
 */
export function dartsParamCount(g: DartsGenotype, config: DartsNetConfig = DARTS_EVAL_CONFIG): number {
  const sum = (ops: [string, number, number][]) => ops.reduce((s, [name, C, stride]) => s + opParams(name, C, stride), 0);
  const key = JSON.stringify([config.C, config.layers, config.numClasses, config.inputShape[2], g.normalConcat, g.reduceConcat]);
  let base = baseParamCache.get(key);
  if (base === undefined) {
    const net = new DartsNetwork(g, new Rng(0), { ...config, auxiliary: false });
    base = net.paramCount() - sum(geneOps(g, config));
    net.dispose();
    baseParamCache.set(key, base);
  }
  return base + sum(geneOps(g, config));
}
