/**
 * NASWOT's forward pass frees activations as it goes (src/nn/release.ts): the statistics equal a
 * pass that keeps everything, no tensor leaks, and far fewer tensors are alive at once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, type Tensor4D } from '../../src/engine/tf.js';
import { initBackend } from '../../src/engine/backend.js';
import { getSpace } from '../../src/spaces/index.js';
import { collectActivationStats } from '../../src/proxies/index.js';
import { Rng } from '../../src/util/rng.js';
import type { Network } from '../../src/nn/network.js';
import { nativeAvailable } from '../../src/engine/native/index.js';

/** The same statistics as collectActivationStats, from one tidy that keeps every activation to the end. */
function keepAllStats(net: Network, x: Tensor4D): { codes: number[][]; peak: number } {
  const codes: number[][] = [];
  let peak = 0;
  tf.tidy(() => {
    net.forward(x, {
      training: true,
      hooks: {
        relu: (t) => {
          peak = Math.max(peak, tf.memory().numTensors);
          codes.push(Array.from(t.dataSync(), (v) => (v > 0 ? 1 : 0)));
        },
      },
    });
  });
  return { codes, peak };
}

// on native too: its buffer pool lends, trims and discards buffers as the pass frees them
const nativeSkip = nativeAvailable() ? false : 'the native addon is not built';
for (const [space, backend] of [...(['darts', 'nb101', 'nb201'] as const).map((s) => [s, 'cpu'] as const), ...(['darts', 'nb101'] as const).map((s) => [s, 'native'] as const)]) {
  test(`${space} (${backend}): the releasing pass gives the statistics of a keep-everything pass, leaks nothing, holds fewer tensors`, { skip: backend === 'native' && nativeSkip }, async () => {
    await initBackend(backend);
    const sp = getSpace(space);
    const arch = sp.sample(new Rng(3));
    const net = sp.buildNetwork(
      arch,
      new Rng(1),
      space === 'darts'
        ? // no auxiliary head on native: on 2×2 features its 5×5 pool is empty, which the native BN kernel does not take
          { C: 4, layers: 5, numClasses: 10, inputShape: [8, 8, 3], auxiliary: backend === 'cpu' }
        : space === 'nb201'
          ? { C: 4, N: 2, numClasses: 10, inputShape: [8, 8, 3] }
          : { C: 4, numClasses: 10, inputShape: [8, 8, 3] },
    );
    const x = tf.randomNormal([6, 8, 8, 3], 0, 1, 'float32', 5) as Tensor4D;
    try {
      const before = tf.memory().numTensors;
      // watch the live tensor count at every ReLU of the pass collectActivationStats runs
      let peak = 0;
      const forward = net.forward.bind(net);
      net.forward = (input, ctx) =>
        forward(input, {
          ...ctx,
          hooks: {
            ...ctx.hooks,
            relu: (t) => {
              peak = Math.max(peak, tf.memory().numTensors);
              ctx.hooks!.relu!(t);
            },
          },
        });
      const stats = collectActivationStats(net, x);
      net.forward = forward;
      assert.equal(tf.memory().numTensors, before, 'tensors leaked by the releasing pass');
      const ref = keepAllStats(net, x);
      // whole-network Hamming matrix from the reference codes, each ReLU input counted once per reader
      const B = 6;
      const hamming = new Float64Array(B * B);
      for (const c of ref.codes) {
        const u = c.length / B;
        for (let i = 0; i < B; i++) for (let j = 0; j < B; j++) for (let k = 0; k < u; k++) hamming[i * B + j]! += c[i * u + k] !== c[j * u + k] ? 1 : 0;
      }
      assert.deepEqual(Array.from(stats.hamming), Array.from(hamming));
      assert.equal(
        stats.totalUnits,
        ref.codes.reduce((s, c) => s + c.length / B, 0),
      );
      assert.ok(peak - before < (ref.peak - before) / 4, `releasing pass held ${peak - before} activations at once, keep-all ${ref.peak - before}`);
    } finally {
      x.dispose();
      net.dispose();
    }
  });
}
