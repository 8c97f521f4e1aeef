/**
 * The per-architecture state behind ProxyInput: the scoring batch, the activation statistics, the
 * loss gradients and the MACs, each computed on first use and shared by every proxy of the
 * architecture; each proxy sees it through a view that checks the proxy's declared needs.
 */
import type { Tensor1D, Tensor4D } from '../engine/tf.js';
import type { Network } from '../nn/network.js';
import { buildEvalNetwork, getSpace, type AnyArch } from '../spaces/index.js';
import { fixedBatch, type Dataset } from '../data/index.js';
import { Rng } from '../util/rng.js';
import { collectActivationStats, type ActivationStats } from './activations.js';
import { lossGrads } from './zero-cost.js';
import type { ProxyDefinition, ProxyInput, ProxyNeeds, ScoreContext, WeightGradient } from './proxy.js';

/**
 * The network a proxy scores: the space's evaluation network, seeded, sized for the dataset. An
 * auxiliary head (DARTS's: avgpool 5/3 on 8×8 features) only fits 32×32 input; on other sizes it is
 * left out, as training does (train/run.ts). Proxies never read it, but a training-mode forward runs
 * it, and on 16×16 input its pool is empty.
 */
export function makeNet(a: AnyArch, data: Dataset, seed: number): Network {
  const noAux = getSpace(a.space).netOptions.includes('auxiliary') && (data.height !== 32 || data.width !== 32);
  return buildEvalNetwork(a.space, a, new Rng(seed), { numClasses: data.numClasses, inputShape: [data.height, data.width, data.channels], ...(noAux ? { auxiliary: false } : {}) });
}

export class SharedInputs {
  /** Seconds spent computing the shared things (the scorer leaves them out of each proxy's time). */
  seconds = 0;
  private batchT?: { x: Tensor4D; y: Tensor1D };
  private stats?: ActivationStats;
  private grads?: WeightGradient[];
  private macsN?: number;
  private readonly memo = new Map<string, unknown>();

  constructor(
    readonly arch: AnyArch,
    readonly net: Network,
    readonly ctx: ScoreContext,
    /** Receives `forward`, `codes`, `gradients` and `macs` seconds. */
    private readonly timing: Record<string, number>,
  ) {}

  batch(): { x: Tensor4D; y: Tensor1D } {
    if (!this.batchT) {
      const b = fixedBatch(this.ctx.data, this.ctx.batch, this.ctx.seed);
      this.batchT = { x: b.x, y: b.y };
    }
    return this.batchT;
  }

  activations(): ActivationStats {
    return (this.stats ??= this.timed(() => {
      const s = collectActivationStats(this.net, this.batch().x);
      this.timing.forward = s.timing.forward;
      this.timing.codes = s.timing.codes;
      return s;
    }));
  }

  gradients(): WeightGradient[] {
    return (this.grads ??= this.timed(() => {
      const b = this.batch();
      return lossGrads(this.net, b.x, b.y, this.ctx.data.numClasses);
    }, 'gradients'));
  }

  macs(): number {
    return (this.macsN ??= this.timed(() => this.net.flopsPerImage(), 'macs'));
  }

  shared<T>(key: string, make: () => T): T {
    if (!this.memo.has(key)) this.memo.set(key, make());
    return this.memo.get(key) as T;
  }

  /** What proxy `def`, asked for as `spec`, sees: reading a thing it did not declare throws. */
  inputFor(spec: string, def: ProxyDefinition<unknown>): ProxyInput {
    const needs = def.needs;
    const check = (ok: boolean | undefined, what: keyof ProxyNeeds) => {
      if (!ok) throw new Error(`proxy '${def.name}' reads the ${what} without declaring needs.${what}`);
    };
    return {
      spec,
      arch: this.arch,
      net: this.net,
      ctx: this.ctx,
      batch: () => (check(needs.batch || needs.activations || needs.gradients, 'batch'), this.batch()),
      activations: () => (check(needs.activations, 'activations'), this.activations()),
      gradients: () => (check(needs.gradients, 'gradients'), this.gradients()),
      macs: () => (check(needs.macs, 'macs'), this.macs()),
      freshNetwork: () => makeNet(this.arch, this.ctx.data, this.ctx.seed),
      shared: (key, make) => this.shared(key, make),
    };
  }

  dispose(): void {
    for (const { g } of this.grads ?? []) g.dispose();
    this.batchT?.x.dispose();
    this.batchT?.y.dispose();
    this.grads = undefined;
    this.batchT = undefined;
  }

  private timed<T>(f: () => T, key?: string): T {
    const t = performance.now();
    try {
      return f();
    } finally {
      const s = (performance.now() - t) / 1000;
      this.seconds += s;
      if (key) this.timing[key] = s;
    }
  }
}
