/**
 * The network of a declarative-space sample (src/spaces/declarative/): a stem block, then nodes
 * in order (each a block on the previous output, or a reduction of earlier outputs: an input
 * choice), an optional 1×1 conv-BN-ReLU head, global average pooling and a linear classifier.
 * Output 0 is the stem's (the input itself without a stem); node i writes output i + 1.
 */
import { tf, type Tensor4D } from '../engine/tf.js';
import { TsnasError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import { blockChannels, blockSide, ConvBnAct, createBlock, type Block, type BlockPlan } from './blocks.js';
import { Linear, globalAvgPool } from './layers.js';
import { atCut, type ForwardCtx } from './module.js';
import { Network, type NetworkOutput } from './network.js';
import { sumAll } from './ops.js';

/** A node of a plan: a block on the previous output, or a reduction of earlier outputs. */
export type PlanNode = { block: BlockPlan; name: string } | { reduce: 'sum' | 'concat' | 'mean'; inputs: number[]; name: string };

export interface NetPlan {
  inputShape: readonly [number, number, number];
  numClasses: number;
  stem?: BlockPlan;
  nodes: PlanNode[];
  /** Channels of the 1×1 conv-BN-ReLU head before pooling. */
  head?: number;
}

/** Shapes [h, w, c] of every output of a plan; a reduction of mismatched shapes is a TsnasError naming the node. */
export function planShapes(plan: NetPlan): [number, number, number][] {
  const [h0, w0, c0] = plan.inputShape;
  const shapes: [number, number, number][] = [];
  const apply = (b: BlockPlan, [h, w, c]: [number, number, number]): [number, number, number] => [blockSide(b, h), blockSide(b, w), blockChannels(b, c)];
  shapes.push(plan.stem ? apply(plan.stem, [h0, w0, c0]) : [h0, w0, c0]);
  for (const n of plan.nodes) {
    if ('block' in n) {
      shapes.push(apply(n.block, shapes[shapes.length - 1]!));
      continue;
    }
    const ins = n.inputs.map((i) => shapes[i]!);
    const [h, w] = ins[0]!;
    if (ins.some((s) => s[0] !== h || s[1] !== w)) throw new TsnasError(`${n.name}: ${n.reduce} of inputs with different sizes (${ins.map((s) => `${s[0]}×${s[1]}`).join(', ')})`);
    if (n.reduce !== 'concat' && ins.some((s) => s[2] !== ins[0]![2]))
      throw new TsnasError(`${n.name}: ${n.reduce} of inputs with different channels (${ins.map((s) => s[2]).join(', ')}); concat joins them`);
    shapes.push([h, w, n.reduce === 'concat' ? ins.reduce((s, x) => s + x[2], 0) : ins[0]![2]]);
  }
  return shapes;
}

export class PlanNetwork extends Network {
  readonly inputShape: readonly [number, number, number];
  readonly stem?: Block;
  /** One block per block node (undefined for reductions), in node order. */
  readonly blocks: (Block | undefined)[] = [];
  readonly head?: ConvBnAct;
  readonly classifier: Linear;

  constructor(
    readonly plan: NetPlan,
    rng: Rng,
  ) {
    super();
    this.inputShape = plan.inputShape;
    const shapes = planShapes(plan);
    if (plan.stem) this.stem = this.child('stem', createBlock(plan.stem, plan.inputShape[2], rng));
    plan.nodes.forEach((n, i) => {
      this.blocks.push('block' in n ? this.child(`layers.${i}`, createBlock(n.block, shapes[i]![2], rng)) : undefined);
    });
    let c = shapes[shapes.length - 1]![2];
    if (plan.head !== undefined) {
      this.head = this.child('head', new ConvBnAct(c, plan.head, 1, 1, true, rng));
      c = plan.head;
    }
    this.classifier = this.child('classifier', new Linear(c, plan.numClasses, rng));
  }

  /** The features fed to pooling end in a ReLU when a head conv or a conv block comes last. */
  override get poolsLastRelu(): boolean {
    if (this.head) return true;
    const last = this.plan.nodes.length ? this.plan.nodes[this.plan.nodes.length - 1]! : undefined;
    const b = last && 'block' in last ? last.block : last ? undefined : this.plan.stem;
    return b?.kind === 'conv' || b?.kind === 'dwsep';
  }

  forwardFull(x: Tensor4D, ctx: ForwardCtx): NetworkOutput {
    const outs: Tensor4D[] = [this.stem ? this.stem.forward(x, ctx) : x];
    this.plan.nodes.forEach((n, i) => {
      if ('block' in n) {
        outs.push(this.blocks[i]!.forward(outs[outs.length - 1]!, ctx));
        return;
      }
      const xs = n.inputs.map((j) => outs[j]!);
      if (n.reduce === 'concat') outs.push(xs.length === 1 ? xs[0]! : (tf.concat(xs, 3) as Tensor4D));
      else {
        const s = sumAll(xs) as Tensor4D;
        outs.push(n.reduce === 'mean' && xs.length > 1 ? tf.div(s, xs.length) : s);
      }
    });
    let [h] = atCut(ctx, [outs[outs.length - 1]!]) as [Tensor4D];
    if (this.head) h = this.head.forward(h, ctx);
    return { logits: this.classifier.forward(globalAvgPool(h), ctx) };
  }
}
