/** What every tsnas network offers to trainers, proxies and search strategies. */
import type { Tensor, Tensor4D } from '../engine/tf.js';
import { tf } from '../engine/tf.js';
import { Module, type ForwardCtx } from './module.js';

export interface NetworkOutput {
  logits: Tensor;
  /** Auxiliary-head logits (DARTS evaluation network, training only). */
  aux?: Tensor;
}

export abstract class Network extends Module {
  abstract readonly inputShape: readonly [number, number, number];
  abstract forwardFull(x: Tensor4D, ctx: ForwardCtx): NetworkOutput;

  /**
   * Whether the feature map fed to global pooling is the output of the network's last ReLU (NB201:
   * the lastact BN-ReLU), so that a `relu` hook's last call sees it (Zen-NAS's pre-GAP features).
   * False where the last op before pooling is not a ReLU (DARTS cells end in a concat).
   */
  get poolsLastRelu(): boolean {
    return false;
  }

  forward(x: Tensor4D, ctx: ForwardCtx): Tensor {
    return this.forwardFull(x, ctx).logits;
  }

  /** Parameters counted as NAS-Bench-201 counts them: all trainable ones, auxiliary head excluded. */
  paramCount(): number {
    return this.numParams((n) => !n.startsWith('auxiliary.'));
  }

  /** FLOPs per image (conv and linear layers, as NAS-Bench-201's counter), by a traced forward. */
  flopsPerImage(): number {
    const flops = { total: 0 };
    tf.tidy(() => {
      const [h, w, c] = this.inputShape;
      this.forwardFull(tf.zeros([1, h, w, c]) as Tensor4D, { training: false, flops });
    });
    return flops.total;
  }
}
