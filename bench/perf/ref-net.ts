/**
 * The engine benchmark's reference net ("NB201-like"), written from plain TF.js ops:
 * stem conv3×3 3→16 + BN, then 3 stages × 5 blocks of ReLU-conv3×3-BN at 16/32/64 channels
 * (the first block of stages 2 and 3 has stride 2 and changes the width), global average pool,
 * linear to 10 classes. BN in training is `batchNormTrain` (src/engine/fused.ts: batch statistics
 * and the learnable affine γ, β in one kernel each way), with running statistics (momentum 0.1, as
 * PyTorch). bench/perf/torch_engine.py builds the same.
 */
import { tf, type Tensor } from '../../src/engine/tf.js';
import { batchNormTrain, ConvBnFold, convBnInference } from '../../src/engine/fused.js';

export interface RefNet {
  /** Trainable variables (conv filters, BN γ/β, linear weight and bias). */
  params: tf.Variable[];
  /** Logits [N, classes]. training: batch statistics (and running-stat update); else running stats. */
  forward(x: Tensor, training: boolean): Tensor;
  dispose(): void;
}

interface Bn {
  fold: ConvBnFold;
  gamma: tf.Variable;
  beta: tf.Variable;
  mean: tf.Variable;
  variance: tf.Variable;
}

/** Deterministic He-normal init from a seed. */
export function buildRefNet(opts: { seed?: number; classes?: number; widths?: number[]; blocks?: number } = {}): RefNet {
  const seed = opts.seed ?? 1;
  const classes = opts.classes ?? 10;
  const widths = opts.widths ?? [16, 32, 64];
  const blocks = opts.blocks ?? 5;
  let s = seed;
  const params: tf.Variable[] = [];
  const stats: tf.Variable[] = [];
  const convW = (cin: number, cout: number) => {
    const v = tf.variable(tf.randomNormal([3, 3, cin, cout], 0, Math.sqrt(2 / (9 * cin)), 'float32', s++));
    params.push(v);
    return v;
  };
  const bn = (c: number): Bn => {
    const b = {
      fold: new ConvBnFold(),
      gamma: tf.variable(tf.ones([c])),
      beta: tf.variable(tf.zeros([c])),
      mean: tf.variable(tf.zeros([c]), false),
      variance: tf.variable(tf.ones([c]), false),
    };
    params.push(b.gamma, b.beta);
    stats.push(b.mean, b.variance);
    return b;
  };
  const stem = { w: convW(3, widths[0]!), bn: bn(widths[0]!) };
  const body: { w: tf.Variable; stride: number; bn: Bn }[] = [];
  let cin = widths[0]!;
  widths.forEach((c, stage) => {
    for (let i = 0; i < blocks; i++) {
      body.push({ w: convW(cin, c), stride: stage > 0 && i === 0 ? 2 : 1, bn: bn(c) });
      cin = c;
    }
  });
  const fcW = tf.variable(tf.randomNormal([cin, classes], 0, Math.sqrt(1 / cin), 'float32', s++));
  const fcB = tf.variable(tf.zeros([classes]));
  params.push(fcW, fcB);

  const applyBn = (x: Tensor, b: Bn): Tensor => {
    return batchNormTrain(x, b.gamma, b.beta, 1e-5, { mean: b.mean, variance: b.variance, momentum: 0.1 });
  };

  return {
    params,
    forward(x, training) {
      return tf.tidy(() => {
        let h: Tensor;
        if (training) {
          h = applyBn(tf.conv2d(x as tf.Tensor4D, stem.w as tf.Tensor4D, 1, 'same'), stem.bn);
          for (const blk of body) {
            h = tf.conv2d(tf.relu(h) as tf.Tensor4D, blk.w as tf.Tensor4D, blk.stride, 'same');
            h = applyBn(h, blk.bn);
          }
        } else {
          // Inference as a deployment engine runs it: BN folded into each convolution and the
          // next block's ReLU fused into it (same function; see BENCHMARKS.md, issue 3).
          const stat = (b: Bn) => ({ mean: b.mean, variance: b.variance, gamma: b.gamma, beta: b.beta, eps: 1e-5 });
          const act = (i: number) => (i < body.length ? 'relu' : 'linear');
          h = convBnInference(x as tf.Tensor4D, stem.w as tf.Tensor4D, stat(stem.bn), 1, 'same', 1, act(0), stem.bn.fold);
          body.forEach((blk, i) => {
            h = convBnInference(h as tf.Tensor4D, blk.w as tf.Tensor4D, stat(blk.bn), blk.stride, 'same', 1, act(i + 1), blk.bn.fold);
          });
        }
        const pooled = tf.mean(h, [1, 2]);
        return tf.add(tf.matMul(pooled, fcW), fcB);
      });
    },
    dispose() {
      for (const v of [...params, ...stats]) v.dispose();
      for (const b of [stem.bn, ...body.map((k) => k.bn)]) b.fold.dispose();
    },
  };
}
