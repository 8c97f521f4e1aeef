/**
 * Every primitive the two spaces use, on every backend: forward against a float64 reference, and
 * the TF.js gradient (w.r.t. input and weights) against float64 central finite differences of
 * that reference.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/engine/tf.js';
import { Rng } from '../../src/util/rng.js';
import { arr4, bnRef, conv2dRef, dot, numericGrad, poolRef, relErr, type Arr4, type ConvSpec } from '../helpers/ref-ops.js';
import { testBackends, useBackend } from '../helpers/backends.js';
import { batchNormTrain, normalizeBatch, weightedSum } from '../../src/engine/fused.js';

type Shape4 = [number, number, number, number];

function rand(shape: Shape4, rng: Rng): Arr4 {
  const a = arr4(shape);
  for (let i = 0; i < a.data.length; i++) a.data[i] = rng.normal();
  return a;
}

/** Analytic gradients of Σ r ⊙ f(inputs) from TF.js. */
function tfGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: Arr4[], r: Float64Array): { y: Float32Array; grads: Float32Array[] } {
  return tf.tidy(() => {
    const ts = inputs.map((a) => tf.tensor(Float32Array.from(a.data), a.shape));
    const y = f(...ts);
    const rt = tf.tensor(Float32Array.from(r), y.shape);
    const gs = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), rt)))(ts);
    return { y: y.dataSync() as Float32Array, grads: gs.map((g) => g.dataSync() as Float32Array) };
  });
}

function check(name: string, f: (...xs: tf.Tensor[]) => tf.Tensor, ref: (...xs: Arr4[]) => Arr4, shapes: Shape4[], tol = 2e-4): void {
  const rng = new Rng(name.length * 7919 + shapes.length);
  const inputs = shapes.map((s) => rand(s, rng));
  const y64 = ref(...inputs);
  const r = Float64Array.from(y64.data, () => rng.normal());
  const { y, grads } = tfGrads(f, inputs, r);
  assert.deepEqual(y.length, y64.data.length, `${name}: output size`);
  const fe = relErr(y, y64.data);
  assert.ok(fe < tol, `${name}: forward error ${fe}`);
  inputs.forEach((inp, k) => {
    const num = numericGrad(inp.data, () => dot(ref(...inputs).data, r));
    const e = relErr(grads[k]!, num);
    assert.ok(e < tol, `${name}: gradient of input ${k} error ${e}`);
  });
}

const CONVS: [string, ConvSpec, Shape4, Shape4][] = [
  ['conv3x3 s1', { stride: 1, pad: 1, dilation: 1, depthwise: false }, [2, 5, 5, 3], [3, 3, 3, 4]],
  ['conv3x3 s2', { stride: 2, pad: 1, dilation: 1, depthwise: false }, [2, 6, 6, 3], [3, 3, 3, 2]],
  ['conv1x1 s1', { stride: 1, pad: 0, dilation: 1, depthwise: false }, [2, 4, 4, 3], [1, 1, 3, 5]],
  ['conv1x1 s2', { stride: 2, pad: 0, dilation: 1, depthwise: false }, [2, 5, 5, 3], [1, 1, 3, 2]],
  ['conv3x3 dil2', { stride: 1, pad: 2, dilation: 2, depthwise: false }, [1, 6, 6, 2], [3, 3, 2, 3]],
  ['depthwise3x3 s1', { stride: 1, pad: 1, dilation: 1, depthwise: true }, [2, 5, 5, 3], [3, 3, 3, 1]],
  ['depthwise3x3 s2', { stride: 2, pad: 1, dilation: 1, depthwise: true }, [2, 6, 6, 3], [3, 3, 3, 1]],
  ['depthwise5x5 s1', { stride: 1, pad: 2, dilation: 1, depthwise: true }, [1, 6, 6, 2], [5, 5, 2, 1]],
  ['depthwise5x5 s2', { stride: 2, pad: 2, dilation: 1, depthwise: true }, [1, 7, 7, 2], [5, 5, 2, 1]],
  ['depthwise3x3 dil2', { stride: 1, pad: 2, dilation: 2, depthwise: true }, [2, 6, 6, 3], [3, 3, 3, 1]],
  ['depthwise5x5 dil2', { stride: 1, pad: 4, dilation: 2, depthwise: true }, [1, 8, 8, 2], [5, 5, 2, 1]],
];

const backends = await testBackends();

for (const be of backends) {
  for (const [name, spec, xs, ws] of CONVS) {
    test(`${be}: ${name} forward and gradients match float64 finite differences`, async () => {
      await useBackend(be);
      const pad: [[number, number], [number, number], [number, number], [number, number]] = [
        [0, 0],
        [spec.pad, spec.pad],
        [spec.pad, spec.pad],
        [0, 0],
      ];
      const f = (x: tf.Tensor, w: tf.Tensor) =>
        spec.depthwise
          ? tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, spec.stride, pad, 'NHWC', spec.dilation)
          : tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, spec.stride, pad, 'NHWC', spec.dilation);
      check(`${be} ${name}`, f as (...xs: tf.Tensor[]) => tf.Tensor, (x, w) => conv2dRef(x!, w!, spec), [xs, ws]);
    });
  }
  for (const kind of ['avg', 'max'] as const) {
    for (const stride of [1, 2]) {
      test(`${be}: ${kind}_pool_3x3 stride ${stride} (padding excluded) matches float64 finite differences`, async () => {
        await useBackend(be);
        const pad: [[number, number], [number, number], [number, number], [number, number]] = [
          [0, 0],
          [1, 1],
          [1, 1],
          [0, 0],
        ];
        const f = (x: tf.Tensor) => (kind === 'avg' ? tf.avgPool : tf.maxPool)(x as tf.Tensor4D, 3, stride, pad);
        check(`${be} ${kind}pool s${stride}`, f, (x) => poolRef(x!, kind, 3, stride, 1), [[2, 6, 6, 4]]);
      });
    }
  }
  test(`${be}: batch-norm (training mode) matches float64 finite differences`, async () => {
    await useBackend(be);
    check(
      `${be} bn`,
      (x) => normalizeBatch(x),
      (x) => bnRef(x!),
      [[3, 3, 3, 4]],
      1e-3,
    );
  });
  test(`${be}: batch-norm with affine γ, β (training mode) matches float64 finite differences`, async () => {
    await useBackend(be);
    const affineRef = (x: Arr4, g: Arr4, b: Arr4): Arr4 => {
      const y = bnRef(x);
      const c = x.shape[3];
      for (let i = 0; i < y.data.length; i++) y.data[i] = y.data[i]! * g.data[i % c]! + b.data[i % c]!;
      return y;
    };
    check(
      `${be} bn affine`,
      (x, g, b) => batchNormTrain(x!, tf.reshape(g!, [4]), tf.reshape(b!, [4])),
      (x, g, b) => affineRef(x!, g!, b!),
      [
        [3, 3, 3, 4],
        [1, 1, 1, 4],
        [1, 1, 1, 4],
      ],
      1e-3,
    );
  });
  test(`${be}: weighted sum (the mixed op) matches float64 finite differences`, async () => {
    await useBackend(be);
    const ref = (w: Arr4, ...xs: Arr4[]): Arr4 => {
      const y = arr4(xs[0]!.shape);
      xs.forEach((x, k) => x.data.forEach((v, i) => (y.data[i] = y.data[i]! + w.data[k]! * v)));
      return y;
    };
    for (const k of [1, 3]) {
      check(
        `${be} weighted sum K=${k}`,
        (w, ...xs) => weightedSum(xs, tf.reshape(w!, [k])),
        (w, ...xs) => ref(w!, ...xs),
        [[1, 1, 1, k], ...Array.from({ length: k }, (): Shape4 => [2, 3, 3, 4])],
      );
    }
    const refIdx = (w: Arr4, a: Arr4, b: Arr4): Arr4 => ref(arr4([1, 1, 1, 2], Float64Array.from([w.data[2]!, w.data[0]!])), a, b);
    check(
      `${be} weighted sum index [2, 0]`,
      (w, a, b) => weightedSum([a!, b!], tf.reshape(w!, [3]), [2, 0]),
      (w, a, b) => refIdx(w!, a!, b!),
      [
        [1, 1, 1, 3],
        [2, 3, 3, 4],
        [2, 3, 3, 4],
      ],
    );
  });
  test(`${be}: relu matches float64 finite differences`, async () => {
    await useBackend(be);
    const reluRef = (x: Arr4): Arr4 => ({ shape: x.shape, data: x.data.map((v) => Math.max(0, v)) });
    check(
      `${be} relu`,
      (x) => tf.relu(x!),
      (x) => reluRef(x!),
      [[2, 4, 4, 3]],
    );
  });
  test(`${be}: tensor count is flat across repeated forward/backward passes`, async () => {
    await useBackend(be);
    const rng = new Rng(3);
    const x = tf.tensor4d(
      Float32Array.from({ length: 2 * 6 * 6 * 3 }, () => rng.normal()),
      [2, 6, 6, 3],
    );
    const w = tf.variable(
      tf.tensor4d(
        Float32Array.from({ length: 27 }, () => rng.normal()),
        [3, 3, 3, 1],
      ),
    );
    const step = () => {
      const { value, grads } = tf.variableGrads(() => tf.sum(normalizeBatch(tf.depthwiseConv2d(x, w as unknown as tf.Tensor4D, 1, 'same', 'NHWC', 2))) as tf.Scalar);
      value.dispose();
      tf.dispose(grads);
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) step();
    assert.equal(tf.memory().numTensors, before);
    x.dispose();
    w.dispose();
  });
}
