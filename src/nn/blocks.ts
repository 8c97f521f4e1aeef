/**
 * The blocks of declarative spaces (src/spaces/declarative/), as mobile networks build them:
 * conv-BN-ReLU, depthwise-separable conv (MobileNetV1), inverted residual (MBConv, MobileNetV2 /
 * ProxylessNAS), pooling, identity, zero. Convolutions pad k//2 (odd k: 'same', ⌈h/s⌉ outputs)
 * and have no bias (BN follows). ReLU stands where MobileNetV2 has ReLU6: the proxies (NASWOT,
 * DAS) read ReLU inputs, and the exported model stays stock Keras layers.
 */
import { tf, type Tensor4D } from '../engine/tf.js';
import type { Rng } from '../util/rng.js';
import { BatchNorm, Conv2d, convThenBn } from './layers.js';
import { Module, relu, type ForwardCtx } from './module.js';

/** One block of a plan, its sizes resolved. */
export type BlockPlan =
  | { kind: 'conv'; k: number; stride: number; cout: number }
  | { kind: 'dwsep'; k: number; stride: number; cout: number }
  | { kind: 'mbconv'; k: number; stride: number; cout: number; expansion: number }
  | { kind: 'pool'; pool: 'max' | 'avg'; k: number; stride: number }
  | { kind: 'identity' }
  | { kind: 'zero'; stride: number };

/** Output channels of a block on `cin` input channels. */
export function blockChannels(b: BlockPlan, cin: number): number {
  return 'cout' in b ? b.cout : cin;
}

/** Output side of a block's k//2-padded window on a side of `h` (odd kernels: ⌈h/s⌉). */
export function blockSide(b: BlockPlan, h: number): number {
  return 'stride' in b ? Math.ceil(h / b.stride) : h;
}

/** conv k×k (padding k//2, no bias) → BN → optional ReLU; `depthwise` convolves each channel alone. */
export class ConvBnAct extends Module {
  readonly conv: Conv2d;
  readonly bn: BatchNorm;

  constructor(
    cin: number,
    cout: number,
    k: number,
    stride: number,
    readonly act: boolean,
    rng: Rng,
    depthwise = false,
  ) {
    super();
    this.conv = this.child('conv', new Conv2d(cin, cout, k, rng, { stride, padding: (k - 1) / 2, groups: depthwise ? cin : 1 }));
    this.bn = this.child('bn', new BatchNorm(cout));
  }

  forward(x: Tensor4D, ctx: ForwardCtx): Tensor4D {
    const y = convThenBn(this.conv, this.bn, x, ctx);
    return this.act ? (relu(y, ctx) as Tensor4D) : y;
  }
}

/** A block of a declarative network: its plan and the modules that run it. */
export abstract class Block extends Module {
  abstract readonly plan: BlockPlan;
  abstract forward(x: Tensor4D, ctx: ForwardCtx): Tensor4D;
}

export class ConvBlock extends Block {
  readonly op: ConvBnAct;
  constructor(
    readonly plan: BlockPlan & { kind: 'conv' },
    cin: number,
    rng: Rng,
  ) {
    super();
    this.op = this.child('op', new ConvBnAct(cin, plan.cout, plan.k, plan.stride, true, rng));
  }
  forward(x: Tensor4D, ctx: ForwardCtx): Tensor4D {
    return this.op.forward(x, ctx);
  }
}

/** depthwise k×k (stride) → BN → ReLU → pointwise 1×1 → BN → ReLU. */
export class DwSepBlock extends Block {
  readonly dw: ConvBnAct;
  readonly pw: ConvBnAct;
  constructor(
    readonly plan: BlockPlan & { kind: 'dwsep' },
    cin: number,
    rng: Rng,
  ) {
    super();
    this.dw = this.child('dw', new ConvBnAct(cin, cin, plan.k, plan.stride, true, rng, true));
    this.pw = this.child('pw', new ConvBnAct(cin, plan.cout, 1, 1, true, rng));
  }
  forward(x: Tensor4D, ctx: ForwardCtx): Tensor4D {
    return this.pw.forward(this.dw.forward(x, ctx), ctx);
  }
}

/**
 * Inverted residual: expand 1×1 to cin·e channels → BN → ReLU (left out when e = 1), depthwise
 * k×k (stride) → BN → ReLU, project 1×1 → BN (linear bottleneck); x is added when stride 1 and
 * the channels match.
 */
export class MbConvBlock extends Block {
  readonly expand?: ConvBnAct;
  readonly dw: ConvBnAct;
  readonly project: ConvBnAct;
  readonly residual: boolean;
  constructor(
    readonly plan: BlockPlan & { kind: 'mbconv' },
    cin: number,
    rng: Rng,
  ) {
    super();
    const hidden = cin * plan.expansion;
    if (plan.expansion !== 1) this.expand = this.child('expand', new ConvBnAct(cin, hidden, 1, 1, true, rng));
    this.dw = this.child('dw', new ConvBnAct(hidden, hidden, plan.k, plan.stride, true, rng, true));
    this.project = this.child('project', new ConvBnAct(hidden, plan.cout, 1, 1, false, rng));
    this.residual = plan.stride === 1 && cin === plan.cout;
  }
  forward(x: Tensor4D, ctx: ForwardCtx): Tensor4D {
    const h = this.expand ? this.expand.forward(x, ctx) : x;
    const y = this.project.forward(this.dw.forward(h, ctx), ctx);
    return this.residual ? tf.add(x, y) : y;
  }
}

/** k×k max or average pooling, padding k//2 (pads ignored: −∞ for max, not counted for average). */
export class PoolBlock extends Block {
  constructor(readonly plan: BlockPlan & { kind: 'pool' }) {
    super();
  }
  forward(x: Tensor4D): Tensor4D {
    const p = (this.plan.k - 1) / 2;
    const pad: [[number, number], [number, number], [number, number], [number, number]] = [
      [0, 0],
      [p, p],
      [p, p],
      [0, 0],
    ];
    return this.plan.pool === 'avg' ? tf.avgPool(x, this.plan.k, this.plan.stride, pad) : tf.maxPool(x, this.plan.k, this.plan.stride, pad);
  }
}

export class IdentityBlock extends Block {
  readonly plan = { kind: 'identity' } as const;
  forward(x: Tensor4D): Tensor4D {
    return x;
  }
}

/** Zeros of the output shape: the candidate that removes a layer's contribution. */
export class ZeroBlock extends Block {
  constructor(readonly plan: BlockPlan & { kind: 'zero' }) {
    super();
  }
  forward(x: Tensor4D): Tensor4D {
    const [n, h, w, c] = x.shape;
    return tf.zeros([n, Math.ceil(h / this.plan.stride), Math.ceil(w / this.plan.stride), c]);
  }
}

/** The module of a block plan on `cin` input channels. */
export function createBlock(plan: BlockPlan, cin: number, rng: Rng): Block {
  switch (plan.kind) {
    case 'conv':
      return new ConvBlock(plan, cin, rng);
    case 'dwsep':
      return new DwSepBlock(plan, cin, rng);
    case 'mbconv':
      return new MbConvBlock(plan, cin, rng);
    case 'pool':
      return new PoolBlock(plan);
    case 'identity':
      return new IdentityBlock();
    case 'zero':
      return new ZeroBlock(plan);
  }
}
