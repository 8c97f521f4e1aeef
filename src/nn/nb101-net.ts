/**
 * NAS-Bench-101's network (nasbench/lib/model_builder.py, base_ops.py): stem conv3×3-BN-ReLU with
 * C channels; 3 stacks of 3 cells, a 2×2 max-pool (stride 2, 'same') before stacks 2 and 3 with the
 * channels doubled there; global average pool; dense layer. In a cell (build_module):
 * - channels per vertex (compute_vertex_channels): the cell's output channels split evenly among
 *   the vertices feeding the output, the remainder one each to the first of them; any other vertex
 *   takes the largest channel count among its successors;
 * - a vertex sums its inputs: earlier vertices truncated to its channels (they can have one more),
 *   and the cell input through its own 1×1 conv-BN-ReLU projection when the input feeds it;
 * - then applies its op (conv3×3-BN-ReLU, conv1×1-BN-ReLU, or max-pool 3×3 stride 1 'same');
 * - the output concatenates the vertices feeding it, plus (added) a 1×1 projection of the input
 *   to the cell's channels when the input feeds the output directly (only that projection when
 *   there is no interior vertex).
 * Convolutions have no bias; BN has γ and β (trainable, counted in the parameters as NB101's
 * `trainable_params` counts them), momentum 0.997 (TF convention), ε 1e-5.
 * Weights use tsnas's default init (PyTorch's), not NB101's variance-scaling normal.
 */
import { tf, type Tensor4D } from '../engine/tf.js';
import type { Rng } from '../util/rng.js';
import type { Nb101Arch } from '../spaces/nb101.js';
import { BatchNorm, Conv2d, Linear, globalAvgPool, convThenBn } from './layers.js';
import { Module, atCut, consume, opScope, relu, type ForwardCtx } from './module.js';
import { Network, type NetworkOutput } from './network.js';
import { sumAll } from './ops.js';

export interface Nb101NetConfig {
  /** Stem channels (the first stack's cell output channels). */
  C: number;
  /** Stacks; a downsampling max-pool and doubled channels between consecutive ones. */
  stacks: number;
  /** Cells per stack. */
  cellsPerStack: number;
  numClasses: number;
  inputShape: readonly [number, number, number];
}

export const NB101_EVAL_CONFIG: Nb101NetConfig = { C: 128, stacks: 3, cellsPerStack: 3, numClasses: 10, inputShape: [32, 32, 3] };

/** NB101 BN: TF momentum 0.997 is PyTorch-style momentum 0.003. */
const BN_MOMENTUM = 1 - 0.997;
const BN_EPS = 1e-5;

/** conv k×k (no bias, 'same') → BN → ReLU (base_ops.conv_bn_relu). */
export class ConvBnRelu extends Module {
  readonly conv: Conv2d;
  readonly bn: BatchNorm;

  constructor(cin: number, cout: number, k: number, rng: Rng) {
    super();
    this.conv = this.child('conv', new Conv2d(cin, cout, k, rng, { padding: (k - 1) / 2 }));
    this.bn = this.child('bn', new BatchNorm(cout, true, true, BN_MOMENTUM, BN_EPS));
  }

  forward(x: Tensor4D, ctx: ForwardCtx): Tensor4D {
    return consume(ctx, convThenBn(this.conv, this.bn, x, ctx), (h) => relu(h, ctx) as Tensor4D);
  }
}

/** Channels of each vertex of a pruned cell (model_builder.compute_vertex_channels). */
export function nb101VertexChannels(cin: number, cout: number, matrix: readonly (readonly number[])[]): number[] {
  const n = matrix.length;
  const ch = new Array<number>(n).fill(0);
  ch[0] = cin;
  ch[n - 1] = cout;
  if (n === 2) return ch;
  let fanIn = 0;
  for (let v = 1; v < n - 1; v++) fanIn += matrix[v]![n - 1]!;
  const interior = Math.floor(cout / fanIn);
  let correction = cout % fanIn;
  for (let v = 1; v < n - 1; v++) {
    if (!matrix[v]![n - 1]) continue;
    ch[v] = interior;
    if (correction) {
      ch[v]!++;
      correction--;
    }
  }
  for (let v = n - 3; v > 0; v--) {
    if (matrix[v]![n - 1]) continue;
    for (let dst = v + 1; dst < n - 1; dst++) if (matrix[v]![dst]) ch[v] = Math.max(ch[v]!, ch[dst]!);
  }
  return ch;
}

/** One NB101 cell (model_builder.build_module) on a pruned cell. */
export class Nb101Cell extends Module {
  readonly channels: number[];
  /** Per interior vertex: its op (undefined: max-pool) and the input projection (when the input feeds it). */
  readonly ops: (ConvBnRelu | undefined)[] = [];
  readonly proj: (ConvBnRelu | undefined)[] = [];
  readonly outProj?: ConvBnRelu;
  /** Per vertex (0: the input), the last interior vertex that reads it; n − 1 when the output reads it (concat or projection). */
  private readonly lastReader: number[];

  constructor(
    readonly arch: Nb101Arch,
    cin: number,
    cout: number,
    rng: Rng,
  ) {
    super();
    const { matrix: m, ops } = arch;
    const n = m.length;
    this.channels = nb101VertexChannels(cin, cout, m);
    for (let t = 1; t < n - 1; t++) {
      const c = this.channels[t]!;
      this.proj[t] = m[0]![t] ? this.child(`vertex_${t}.projection`, new ConvBnRelu(cin, c, 1, rng)) : undefined;
      const op = ops[t];
      this.ops[t] = op === 'maxpool3x3' ? undefined : this.child(`vertex_${t}.op`, new ConvBnRelu(c, c, op === 'conv3x3-bn-relu' ? 3 : 1, rng));
    }
    if (m[0]![n - 1]) this.outProj = this.child('output.projection', new ConvBnRelu(cin, cout, 1, rng));
    this.lastReader = Array.from({ length: n - 1 }, (_, v) => {
      let last = 0;
      for (let t = v + 1; t < n; t++) if (m[v]![t]) last = t;
      return last;
    });
  }

  forward(x: Tensor4D, ctx: ForwardCtx): Tensor4D {
    const m = this.arch.matrix;
    const n = m.length;
    const tensors: Tensor4D[] = [x];
    const concat: Tensor4D[] = [];
    for (let t = 1; t < n - 1; t++) {
      const c = this.channels[t]!;
      const addIn: Tensor4D[] = [];
      for (let src = 1; src < t; src++) {
        if (!m[src]![t]) continue;
        const s = tensors[src]!;
        addIn.push(s.shape[3] === c ? s : (tf.slice(s, [0, 0, 0, 0], [-1, -1, -1, c]) as Tensor4D));
      }
      const proj = this.proj[t];
      if (proj) addIn.push(opScope(ctx, () => proj.forward(x, ctx)));
      const h = sumAll(addIn) as Tensor4D;
      const op = this.ops[t];
      const y = op ? opScope(ctx, () => op.forward(h, ctx)) : tf.maxPool(h, 3, 1, 'same');
      tensors.push(y);
      if (m[t]![n - 1]) concat.push(y);
      if (ctx.release) {
        // in a releasing pass: the sum and its terms that are not vertices themselves (projections,
        // channel slices), then the vertices (the input too: the network reads only this cell's
        // output) whose last reader was t
        const done = [h, ...addIn].filter((u) => !tensors.includes(u));
        for (let v = 0; v < t; v++) if (this.lastReader[v] === t) done.push(tensors[v]!);
        ctx.release.free(done);
      }
    }
    if (concat.length === 0) return this.outProj!.forward(x, ctx);
    const out = concat.length === 1 ? concat[0]! : (tf.concat(concat, 3) as Tensor4D);
    return this.outProj
      ? tf.add(
          out,
          opScope(ctx, () => this.outProj!.forward(x, ctx)),
        )
      : out;
  }
}

export class Nb101Network extends Network {
  readonly inputShape: readonly [number, number, number];
  readonly stem: ConvBnRelu;
  /** Cells in order; `downsample[i]` says whether a max-pool precedes cell i. */
  readonly cells: Nb101Cell[] = [];
  readonly downsample: boolean[] = [];
  readonly classifier: Linear;

  constructor(
    readonly arch: Nb101Arch,
    rng: Rng,
    readonly config: Nb101NetConfig = NB101_EVAL_CONFIG,
  ) {
    super();
    const { C, stacks, cellsPerStack, numClasses, inputShape } = config;
    this.inputShape = inputShape;
    this.stem = this.child('stem', new ConvBnRelu(inputShape[2], C, 3, rng));
    let channels = C;
    let cPrev = C;
    for (let s = 0; s < stacks; s++) {
      if (s > 0) channels *= 2;
      for (let k = 0; k < cellsPerStack; k++) {
        this.downsample.push(s > 0 && k === 0);
        this.cells.push(this.child(`stack${s}.module${k}`, new Nb101Cell(arch, cPrev, channels, rng)));
        cPrev = channels;
      }
    }
    this.classifier = this.child('dense', new Linear(cPrev, numClasses, rng));
  }

  forwardFull(x: Tensor4D, ctx: ForwardCtx): NetworkOutput {
    let [h] = atCut(ctx, [this.stem.forward(x, ctx)]) as [Tensor4D];
    this.cells.forEach((cell, i) => {
      if (this.downsample[i]) {
        const before = h;
        h = tf.maxPool(h, 2, 2, 'same');
        ctx.release?.free([before]);
      }
      [h] = atCut(ctx, [cell.forward(h, ctx)]) as [Tensor4D];
    });
    return { logits: this.classifier.forward(globalAvgPool(h), ctx) };
  }
}
