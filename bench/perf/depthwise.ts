/**
 * Depthwise convolution forward and gradients on the DARTS supernet's shapes (batch 64; 16/8/4 px
 * at 8/16/32 channels; 3×3 and 5×5; dilation 1 and 2), median of 20. "bwd" rows time tf.grad,
 * so they include the forward. Compare TSNAS_NATIVE_DW_DIRECT=0 (oneDNN everywhere), 1 (the
 * default: the addon's direct loops for dilated gradients) and 2 (direct loops for every
 * depthwise gradient): `TSNAS_THREADS=1 TSNAS_NATIVE_DW_DIRECT=1 npx tsx bench/perf/depthwise.ts`.
 */
import { tf } from '../../src/engine/tf.js';
import { initBackend } from '../../src/engine/backend.js';
await initBackend('native');
function time(name: string, f: () => tf.Tensor) {
  for (let i = 0; i < 3; i++) f().dispose();
  const ts: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    const r = f();
    r.dataSync();
    r.dispose();
    ts.push(performance.now() - t0);
  }
  ts.sort((a, b) => a - b);
  console.log(`${name.padEnd(50)} ${ts[10]!.toFixed(3)} ms`);
}
for (const [H, C] of [
  [16, 8],
  [8, 16],
  [4, 32],
] as const) {
  const x = tf.randomNormal([64, H, H, C]) as tf.Tensor4D;
  for (const [k, d] of [
    [3, 1],
    [3, 2],
    [5, 1],
    [5, 2],
  ] as const) {
    const w = tf.randomNormal([k, k, C, 1]) as tf.Tensor4D;
    const y = tf.depthwiseConv2d(x, w, 1, 'same', 'NHWC', d);
    const dy = tf.randomNormal(y.shape);
    time(`H${H} C${C} k${k} d${d} fwd`, () => tf.depthwiseConv2d(x, w, 1, 'same', 'NHWC', d));
    time(`H${H} C${C} k${k} d${d} bwd filter`, () => tf.grad((ww: tf.Tensor) => tf.depthwiseConv2d(x, ww as tf.Tensor4D, 1, 'same', 'NHWC', d))(w, dy));
    time(`H${H} C${C} k${k} d${d} bwd input`, () => tf.grad((xx: tf.Tensor) => tf.depthwiseConv2d(xx as tf.Tensor4D, w, 1, 'same', 'NHWC', d))(x, dy));
  }
}
