/**
 * The NB201 supernet's training step (C16 N5, 32 px, batch 64) against the native backend's
 * buffer-pool cap: run with TSNAS_NATIVE_POOL_MB=1024|2048|… (unset: the default). Prints the step
 * times, the live tensor bytes at the end of the forward (the activations a step holds) and RSS.
 * Usage: TSNAS_NATIVE_POOL_MB=2048 npx tsx bench/perf/pool-cap.ts
 */
import { tf } from '../../src/engine/tf.js';
import { initBackend } from '../../src/engine/backend.js';
import { Rng } from '../../src/util/rng.js';
import { Nb201Supernet } from '../../src/nn/nb201-supernet.js';
import { Sgd } from '../../src/optim/index.js';
await initBackend('native');
const net = new Nb201Supernet(new Rng(0), { C: 16, N: 5, numClasses: 10, inputShape: [32, 32, 3] });
const params = [...net.parameters(), ...net.archParameters()];
const x = tf.randomNormal([64, 32, 32, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
const y = tf.oneHot(
  tf.tensor1d(
    Array.from({ length: 64 }, (_, i) => i % 10),
    'int32',
  ),
  10,
);
const opt = new Sgd(
  params.map((p) => [p.name, p] as [string, tf.Variable]),
  { lr: 0.01, momentum: 0.9, nesterov: false, weightDecay: 0 },
);
let peak = 0;
const step = (): void => {
  const { value, grads } = tf.variableGrads(() => {
    const l = tf.losses.softmaxCrossEntropy(y, net.forward(x, { training: true })) as tf.Scalar;
    peak = Math.max(peak, tf.memory().numBytes);
    return l;
  }, params);
  opt.step(grads);
  value.dataSync();
  value.dispose();
  tf.dispose(grads);
};
for (let i = 0; i < 2; i++) step();
const ts: number[] = [];
for (let i = 0; i < 4; i++) {
  const t0 = performance.now();
  step();
  ts.push(performance.now() - t0);
}
console.log(
  `pool ${process.env.TSNAS_NATIVE_POOL_MB || 'default'} MB: steps ${ts.map((t) => t.toFixed(0)).join(' ')} ms; peak tf bytes after forward ${(peak / 2 ** 20).toFixed(0)} MB; rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`,
);
