/**
 * The native backend (issue 3) against the cpu backend: every kernel it overrides, forward and
 * gradient, on small random inputs over several shapes, strides, paddings and dilations; the
 * fused batch-norm kernels; the output-buffer pool's aliasing rules; a flat tensor count.
 * Skipped, with the reason, when the addon is not built (`npm run build:native`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, type Tensor } from '../../src/engine/tf.js';
import { batchNormTrain, convBnInference, normalizeBatch, sgdStep, sumOfSquares, weightedSum } from '../../src/engine/fused.js';

let skip: string | false = false;
let nativeMod: typeof import('../../src/engine/native/index.js') | undefined;
try {
  nativeMod = await import('../../src/engine/native/index.js');
  await nativeMod.startNativeBackend();
} catch (e) {
  skip = `native backend skipped: ${(e as Error).message}`;
  console.log(`# ${skip}`);
}

const TOL = 1e-4;

/** Deterministic normal(ish) data. */
function data(n: number, seed: number, positive = false): Float32Array {
  let s = (seed * 2654435761) >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    const u = s / 4294967296;
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    const v = s / 4294967296;
    const g = Math.sqrt(-2 * Math.log(u + 1e-12)) * Math.cos(2 * Math.PI * v);
    out[i] = positive ? Math.abs(g) + 0.1 : g;
  }
  return out;
}

type Mk = (shape: number[], seed: number, positive?: boolean) => Tensor;
const mk: Mk = (shape, seed, positive) =>
  tf.tensor(
    data(
      shape.reduce((a, b) => a * b, 1),
      seed,
      positive,
    ),
    shape,
  );

function run(backend: string, f: (mk: Mk) => Tensor[]): Float32Array[] {
  tf.setBackend(backend);
  return tf.tidy(() => f(mk).map((t) => Float32Array.from(t.dataSync())));
}

function relErr(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let m = 1e-6;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (Number.isNaN(x) || Number.isNaN(y)) {
      if (!(Number.isNaN(x) && Number.isNaN(y))) return Infinity;
      continue;
    }
    d = Math.max(d, Math.abs(x - y));
    m = Math.max(m, Math.abs(y));
  }
  return d / m;
}

/** Outputs of f on native and on cpu agree within tol (relative to the largest cpu value). */
function same(name: string, f: (mk: Mk) => Tensor[], tol = TOL): void {
  const ref = run('cpu', f);
  const got = run('native', f);
  assert.equal(got.length, ref.length, `${name}: output count`);
  ref.forEach((r, i) => {
    assert.equal(got[i]!.length, r.length, `${name}[${i}]: size`);
    const e = relErr(got[i]!, r);
    assert.ok(e <= tol, `${name}[${i}]: relative error ${e.toExponential(2)} > ${tol}`);
  });
}

/** f's value and the gradients of Σ f(xs)·r with respect to every input. */
function withGrads(f: (...xs: Tensor[]) => Tensor, inputs: (mk: Mk) => Tensor[]): (mk: Mk) => Tensor[] {
  return (m) => {
    const xs = inputs(m);
    const y = f(...xs);
    const r = m(y.shape, 99);
    const gs = tf.grads((...a: Tensor[]) => tf.sum(tf.mul(f(...a), r)))(xs);
    return [y, ...gs];
  };
}

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
const EXPLICIT: Pad = [
  [0, 0],
  [1, 2],
  [2, 0],
  [0, 0],
];

test('native: Conv2D, Conv2DBackpropInput, Conv2DBackpropFilter match cpu', { skip }, () => {
  const cases: [number[], number[], number | [number, number], Pad][] = [
    [[2, 7, 7, 3], [3, 3, 3, 4], 1, 'same'],
    [[2, 8, 8, 3], [3, 3, 3, 5], 2, 'same'],
    [[2, 9, 7, 4], [3, 3, 4, 2], 2, 'valid'],
    [[1, 6, 6, 3], [1, 1, 3, 4], 1, 'valid'],
    [[2, 7, 7, 3], [1, 1, 3, 4], 2, 'same'],
    [[1, 9, 9, 2], [5, 5, 2, 3], [2, 1], 'same'],
    [[2, 8, 9, 3], [3, 2, 3, 2], 1, EXPLICIT],
    [[2, 10, 10, 16], [3, 3, 16, 32], 2, 'same'],
    [[3, 6, 6, 24], [3, 3, 24, 24], 1, 'same'],
    // ≥ 32 channels, 3×3 stride 1: oneDNN's Winograd path
    [[2, 9, 9, 32], [3, 3, 32, 32], 1, 'same'],
    [[2, 8, 7, 64], [3, 3, 64, 48], 1, 'valid'],
    [[1, 6, 6, 32], [3, 3, 32, 64], 1, EXPLICIT],
  ];
  for (const [xs, ws, s, p] of cases) {
    same(
      `conv2d x${xs} w${ws} s${s} ${JSON.stringify(p)}`,
      withGrads(
        (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, s, p),
        (m) => [m(xs, 1), m(ws, 2)],
      ),
    );
  }
});

test('native: dilated Conv2D matches cpu', { skip }, () => {
  for (const [d, p] of [
    [2, 'same'],
    [2, 'valid'],
    [3, 'same'],
    [2, EXPLICIT],
  ] as [number, Pad][]) {
    same(`conv2d dil${d} ${JSON.stringify(p)}`, (m) => [tf.conv2d(m([2, 11, 10, 3], 1) as tf.Tensor4D, m([3, 3, 3, 4], 2) as tf.Tensor4D, 1, p, 'NHWC', d)]);
  }
});

test('native: depthwise conv and both backprops match cpu (multipliers, strides, dilations)', { skip }, () => {
  const cases: [number[], number[], number, Pad][] = [
    [[2, 7, 7, 3], [3, 3, 3, 1], 1, 'same'],
    [[2, 8, 8, 3], [3, 3, 3, 1], 2, 'same'],
    [[2, 9, 9, 4], [5, 5, 4, 1], 2, 'same'],
    [[1, 8, 7, 2], [3, 3, 2, 2], 1, 'valid'],
    [[2, 8, 8, 3], [3, 3, 3, 3], 2, EXPLICIT],
    [[2, 9, 9, 16], [5, 5, 16, 1], 1, 'same'],
  ];
  for (const [xs, ws, s, p] of cases) {
    same(
      `depthwise x${xs} w${ws} s${s} ${JSON.stringify(p)}`,
      withGrads(
        (x, w) => tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, s, p),
        (m) => [m(xs, 3), m(ws, 4)],
      ),
    );
  }
  // Dilated: the cpu backend's depthwise backprop kernels ignore the dilation (their results fail
  // the adjoint identity), so these are checked by it: <dy, conv(x, w)> = <dx, x> = <dw, w>.
  tf.setBackend('native');
  for (const [d, p, ws] of [
    [2, 'same', [3, 3, 3, 1]],
    [2, 'valid', [3, 3, 3, 2]],
    [3, 'same', [5, 5, 3, 1]],
    [2, EXPLICIT, [3, 3, 3, 1]],
  ] as [number, Pad, number[]][]) {
    const xs = [2, 12, 11, 3];
    tf.tidy(() => {
      const x = mk(xs, 5);
      const w = mk(ws, 6);
      const y = tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, p, 'NHWC', d);
      const dy = mk(y.shape, 7);
      const attrs = { strides: [1, 1], pad: p, dilations: [d, d], dimRoundingMode: undefined };
      const dx = tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter: w }, { ...attrs, inputShape: xs } as never) as Tensor;
      const dw = tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { ...attrs, filterShape: ws } as never) as Tensor;
      const lhs = dot64(dy, y);
      const name = `depthwise dil${d} ${JSON.stringify(p)} w${ws}`;
      assert.ok(Math.abs(dot64(dx, x) - lhs) <= 1e-4 * Math.abs(lhs) + 1e-4, `${name}: <dx, x> ≠ <dy, y>`);
      assert.ok(Math.abs(dot64(dw, w) - lhs) <= 1e-4 * Math.abs(lhs) + 1e-4, `${name}: <dw, w> ≠ <dy, y>`);
    });
  }
});

// The dilated depthwise gradients run as the addon's direct loops (oneDNN has no depthwise
// kernel for them). Checked element by element against the cpu backend on the same
// convolution written without dilation: the filter zero-stuffed to (k−1)·d+1 taps, whose
// undilated gradients the cpu backend gets right; dw is read back at the stuffed taps.
test('native: dilated depthwise gradients match the zero-stuffed undilated convolution on cpu', { skip }, async () => {
  (await import('../../src/engine/gradients.js')).registerGradientFixes(); // TF.js has no dilated depthwise gradient
  const cases: [number[], number, number, number, Pad][] = [
    [[2, 12, 11, 3], 3, 2, 1, 'same'],
    [[2, 12, 11, 16], 5, 2, 1, 'same'],
    [[2, 10, 10, 8], 3, 3, 1, 'valid'],
    [[2, 12, 11, 3], 3, 2, 1, EXPLICIT],
    [[3, 8, 8, 32], 5, 2, 1, 'same'],
  ];
  for (const [xs, k, d, s, p] of cases) {
    const C = xs[3]!;
    const K = (k - 1) * d + 1;
    const x0 = Float32Array.from(
      data(
        xs.reduce((a, b) => a * b, 1),
        11,
      ),
    );
    const w0 = Float32Array.from(data(k * k * C, 12));
    const stuffed = new Float32Array(K * K * C);
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) for (let c = 0; c < C; c++) stuffed[(i * d * K + j * d) * C + c] = w0[(i * k + j) * C + c]!;
    const grads = (backend: string, dil: number) => {
      tf.setBackend(backend);
      return tf.tidy(() => {
        const x = tf.tensor4d(x0, xs as [number, number, number, number]);
        const w = (dil === 1 ? tf.tensor(stuffed, [K, K, C, 1]) : tf.tensor(w0, [k, k, C, 1])) as tf.Tensor4D;
        const f = (a: Tensor, b: Tensor) => tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, p, 'NHWC', dil);
        const r = tf.tensor(data(f(x, w).size, 13), f(x, w).shape);
        const [gx, gw] = tf.grads((a: Tensor, b: Tensor) => tf.sum(tf.mul(f(a, b), r)))([x, w]);
        return [Float32Array.from(gx!.dataSync()), Float32Array.from(gw!.dataSync())];
      });
    };
    const [refX, refWs] = grads('cpu', 1);
    const [gotX, gotW] = grads('native', d);
    const refW = new Float32Array(k * k * C);
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) for (let c = 0; c < C; c++) refW[(i * k + j) * C + c] = refWs![(i * d * K + j * d) * C + c]!;
    const name = `depthwise dil${d} k${k} x${xs} ${JSON.stringify(p)}`;
    assert.ok(relErr(gotX!, refX!) <= TOL, `${name}: dx relative error ${relErr(gotX!, refX!).toExponential(2)}`);
    assert.ok(relErr(gotW!, refW) <= TOL, `${name}: dw relative error ${relErr(gotW!, refW).toExponential(2)}`);
  }
  tf.setBackend('native');
});

function dot64(a: Tensor, b: Tensor): number {
  const x = a.dataSync();
  const y = b.dataSync();
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!;
  return s;
}

test('native: BatchMatMul and _FusedMatMul match cpu (transposes, batches, broadcast)', { skip }, () => {
  for (const [ta, tb] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ]) {
    const as = ta ? [5, 7] : [7, 5];
    const bs = tb ? [6, 5] : [5, 6];
    same(
      `matMul 2d ${ta} ${tb}`,
      withGrads(
        (a, b) => tf.matMul(a!, b!, ta, tb),
        (m) => [m(as, 1), m(bs, 2)],
      ),
    );
    same(
      `matMul 3d ${ta} ${tb}`,
      withGrads(
        (a, b) => tf.matMul(a!, b!, ta, tb),
        (m) => [m([3, ...as], 3), m([3, ...bs], 4)],
      ),
    );
  }
  // forward only: TF.js's BatchMatMul gradient does not reduce broadcast batch axes (any backend)
  same('matMul broadcast a', (m) => [tf.matMul(m([1, 4, 5], 5), m([3, 5, 2], 6))]);
  same('matMul broadcast b', (m) => [tf.matMul(m([2, 3, 4, 5], 5), m([5, 2], 6)), tf.matMul(m([2, 3, 5, 4], 5), m([1, 2, 5], 6), true, true)]);
  for (const act of ['linear', 'relu', 'relu6', 'sigmoid', 'elu'] as const) {
    same(
      `fused.matMul bias ${act}`,
      withGrads(
        (a, b, c) => tf.fused.matMul({ a: a!, b: b!, bias: c, activation: act }),
        (m) => [m([8, 5], 7), m([5, 6], 8), m([6], 9)],
      ),
    );
  }
  same('fused.matMul transposed, no bias', (m) => [tf.fused.matMul({ a: m([5, 8], 7), b: m([6, 5], 8), transposeA: true, transposeB: true, activation: 'relu' })]);
});

test('native: MaxPool, AvgPool and their gradients match cpu', { skip }, () => {
  const cases: [number[], number, number, Pad][] = [
    [[2, 7, 7, 3], 3, 1, 'same'],
    [[2, 8, 8, 3], 3, 2, 'same'],
    [[2, 8, 8, 5], 2, 2, 'valid'],
    [[1, 9, 7, 4], 3, 2, 'valid'],
    [
      [2, 8, 8, 16],
      3,
      1,
      [
        [0, 0],
        [1, 1],
        [1, 1],
        [0, 0],
      ],
    ],
    [
      [2, 8, 8, 16],
      3,
      2,
      [
        [0, 0],
        [1, 1],
        [1, 1],
        [0, 0],
      ],
    ],
  ];
  for (const [xs, k, s, p] of cases) {
    const pad = p as 'same';
    same(
      `maxPool x${xs} k${k} s${s} ${JSON.stringify(p)}`,
      withGrads(
        (x) => tf.maxPool(x as tf.Tensor4D, k, s, pad),
        (m) => [m(xs, 1)],
      ),
    );
    same(
      `avgPool x${xs} k${k} s${s} ${JSON.stringify(p)}`,
      withGrads(
        (x) => tf.avgPool(x as tf.Tensor4D, k, s, pad),
        (m) => [m(xs, 2)],
      ),
    );
  }
});

test('native: elementwise binary ops with broadcasting match cpu', { skip }, () => {
  const shapes: [number[], number[]][] = [
    [
      [2, 4, 4, 3],
      [2, 4, 4, 3],
    ],
    [[2, 4, 4, 3], [3]],
    [
      [2, 4, 4, 3],
      [1, 1, 1, 3],
    ],
    [[3], [2, 4, 4, 3]],
    [
      [2, 4, 4, 3],
      [2, 1, 1, 1],
    ],
    [
      [2, 1, 1, 1],
      [2, 4, 4, 3],
    ],
    [
      [2, 4, 4, 3],
      [4, 1, 1],
    ],
    [[2, 4, 4, 3], [1]],
    [[], [2, 4, 3]],
    [
      [5, 1],
      [1, 6],
    ],
    [
      [2, 4, 4, 3],
      [2, 1, 1, 3],
    ], // two blocks: split along the leading axis
    [
      [2, 1, 1, 3],
      [2, 4, 4, 3],
    ],
    [
      [2, 3, 4, 5],
      [1, 3, 1, 5],
    ], // two blocks, leading axis broadcast: falls back to the cpu kernel
  ];
  const ops: [string, (a: Tensor, b: Tensor) => Tensor][] = [
    ['add', tf.add],
    ['sub', tf.sub],
    ['mul', tf.mul],
    ['div', tf.div],
    ['maximum', tf.maximum],
    ['minimum', tf.minimum],
    ['squaredDifference', tf.squaredDifference],
  ];
  for (const [name, op] of ops) {
    for (const [as, bs] of shapes) {
      const label = `${name} ${JSON.stringify(as)} ${JSON.stringify(bs)}`;
      const inputs = (m: Mk) => [m(as, 1), m(bs, 2, name === 'div')];
      // TF.js's Maximum/Minimum/SquaredDifference gradients do not reduce broadcast axes (any backend): forward only
      const grads = !['maximum', 'minimum', 'squaredDifference'].includes(name) || as.join() === bs.join();
      same(label, grads ? withGrads((a, b) => op(a!, b!), inputs) : (m) => [op(...(inputs(m) as [Tensor, Tensor]))]);
    }
  }
  same(
    'addN',
    withGrads(
      (a, b, c) => tf.addN([a!, b!, c!]),
      (m) => [m([2, 5, 5, 4], 1), m([2, 5, 5, 4], 2), m([2, 5, 5, 4], 3)],
    ),
  );
});

test('native: unary ops and their gradients match cpu', { skip }, () => {
  const ops: [string, (x: Tensor) => Tensor, boolean][] = [
    ['relu', tf.relu, false],
    ['relu6', (x) => tf.relu6(tf.mul(x, 4)), false],
    ['neg', tf.neg, false],
    ['square', tf.square, false],
    ['sqrt', tf.sqrt, true],
    ['rsqrt', tf.rsqrt, true],
    ['exp', tf.exp, false],
    ['log', tf.log, true],
    ['abs', tf.abs, false],
    ['sigmoid', tf.sigmoid, false],
    ['tanh', tf.tanh, false],
    ['step', (x) => tf.step(x, 0.3), false],
  ];
  for (const [name, op, pos] of ops) {
    same(
      `${name}`,
      withGrads(
        (x) => op(x!),
        (m) => [m([2, 6, 6, 5], 4, pos)],
      ),
    );
    same(`${name} large`, (m) => [op(m([64, 16, 16, 8], 5, pos))]);
  }
});

test('native: Sum, Mean, Max, Min over axis sets match cpu', { skip }, () => {
  const xs = [3, 4, 5, 6];
  const axesList: (number | number[])[] = [0, 1, 2, 3, -1, [0, 1, 2], [1, 2], [2, 3], [0, 1, 2, 3], [0, 2]];
  for (const axes of axesList) {
    for (const keep of [false, true]) {
      same(
        `sum ${JSON.stringify(axes)} ${keep}`,
        withGrads(
          (x) => tf.sum(x!, axes, keep),
          (m) => [m(xs, 1)],
        ),
      );
      same(
        `mean ${JSON.stringify(axes)} ${keep}`,
        withGrads(
          (x) => tf.mean(x!, axes, keep),
          (m) => [m(xs, 2)],
        ),
      );
      same(`max ${JSON.stringify(axes)} ${keep}`, (m) => [tf.max(m(xs, 3), axes, keep), tf.min(m(xs, 3), axes, keep)]);
    }
  }
  same('sum large per-channel', (m) => [tf.sum(m([64, 16, 16, 32], 4), [0, 1, 2]), tf.mean(m([64, 16, 16, 32], 4), [1, 2])]);
});

test('native: inference batchNorm (FusedBatchNorm) matches cpu', { skip }, () => {
  for (const [xs, ps] of [
    [[4, 5, 5, 8], [8]],
    [[4, 5, 5, 8], [1]],
    [[6, 8], [8]],
    [[2, 3, 3, 6], [3]],
  ] as [number[], number[]][]) {
    same(`batchNorm x${xs} p${ps}`, (m) => [tf.batchNorm(m(xs, 1), m(ps, 2), m(ps, 3, true), m(ps, 4), m(ps, 5), 1e-3), tf.batchNorm(m(xs, 1), m(ps, 2), m(ps, 3, true))]);
  }
});

test('native: fused batch-norm kernels match the composed cpu path (value, stats, gradient)', { skip }, () => {
  for (const shape of [
    [4, 5, 5, 3],
    [64, 8, 8, 16],
    [10, 7],
  ]) {
    same(
      `normalizeBatch ${shape}`,
      (m) => {
        const x = tf.add(tf.mul(m(shape, 1), 3), 2);
        const stats: Float32Array[] = [];
        const y = normalizeBatch(x, 1e-5, (mean, variance) => stats.push(Float32Array.from(mean.dataSync()), Float32Array.from(variance.dataSync())));
        const r = m(shape, 2);
        const g = tf.grad((a: Tensor) => tf.sum(tf.mul(normalizeBatch(a, 1e-5), r)))(x);
        return [y, ...stats.map((v) => tf.tensor(v)), g];
      },
      2e-4,
    );
  }
});

test('native: fused affine batch-norm kernels match the composed cpu path (value, stats, gradients)', { skip }, () => {
  for (const shape of [
    [4, 5, 5, 3],
    [64, 8, 8, 16],
    [10, 7],
  ]) {
    const c = shape[shape.length - 1]!;
    same(
      `batchNormTrain ${shape}`,
      (m) => {
        const x = tf.add(tf.mul(m(shape, 1), 3), 2);
        const [g, b, r] = [m([c], 3), m([c], 4), m(shape, 2)];
        const stats: Float32Array[] = [];
        const y = batchNormTrain(x, g, b, 1e-5, (mean, variance) => stats.push(Float32Array.from(mean.dataSync()), Float32Array.from(variance.dataSync())));
        const grads = tf.grads((a: Tensor, gg: Tensor, bb: Tensor) => tf.sum(tf.mul(batchNormTrain(a, gg, bb, 1e-5), r)))([x, g, b]);
        return [y, ...stats.map((v) => tf.tensor(v)), ...grads];
      },
      2e-4,
    );
  }
});

test('native: FusedConv2D (bias, ReLU post-op) and the folded conv→BN match cpu', { skip }, () => {
  for (const act of ['linear', 'relu'] as const) {
    for (const [xs, ws, s] of [
      [[2, 6, 6, 3], [3, 3, 3, 5], 1],
      [[4, 9, 9, 16], [3, 3, 16, 32], 2],
      [[2, 8, 8, 32], [1, 1, 32, 32], 1],
    ] as [number[], number[], number][]) {
      const oc = ws[3]!;
      same(`fused.conv2d ${act} ${xs} ${ws} s${s}`, (m) => [
        tf.fused.conv2d({ x: m(xs, 1) as tf.Tensor4D, filter: m(ws, 2) as tf.Tensor4D, strides: s, pad: 'same', bias: m([oc], 3), activation: act }),
        tf.fused.conv2d({ x: m(xs, 1) as tf.Tensor4D, filter: m(ws, 2) as tf.Tensor4D, strides: s, pad: 'valid', activation: act }),
        convBnInference(m(xs, 1) as tf.Tensor4D, m(ws, 2) as tf.Tensor4D, { mean: m([oc], 4), variance: m([oc], 5, true), gamma: m([oc], 6), beta: m([oc], 7), eps: 1e-5 }, s, 'same', 1, act),
      ]);
    }
  }
  // the folded form is the same function as conv → inference batch-norm → relu, on both backends
  for (const be of ['cpu', 'native']) {
    const [folded, plain] = run(be, (m) => {
      const [x, w, mu, v, g, b] = [m([2, 7, 7, 4], 1) as tf.Tensor4D, m([3, 3, 4, 6], 2) as tf.Tensor4D, m([6], 3), m([6], 4, true), m([6], 5), m([6], 6)];
      return [convBnInference(x, w, { mean: mu, variance: v, gamma: g, beta: b, eps: 1e-3 }, 1, 'same', 1, 'relu'), tf.relu(tf.batchNorm(tf.conv2d(x, w, 1, 'same'), mu, v, b, g, 1e-3))];
    });
    const e = relErr(folded!, plain!);
    assert.ok(e < 1e-5, `${be}: folded conv→BN→relu differs from the plain ops by ${e}`);
  }
});

test('native: weighted-sum kernels (mixed op) match the composed cpu path', { skip }, () => {
  for (const [k, shape] of [
    [1, [2, 3, 3, 4]],
    [4, [64, 16, 16, 16]],
    [3, [5, 7]],
  ] as [number, number[]][]) {
    same(
      `weightedSum K=${k} ${shape}`,
      withGrads(
        (w, ...xs) => weightedSum(xs, w!),
        (m) => [m([k], 1), ...Array.from({ length: k }, (_, i) => m(shape, 2 + i))],
      ),
    );
  }
  // a subset of the weights (ops left out), in any order; the weights of left-out ops get zero gradient
  same(
    'weightedSum index [3, 0]',
    withGrads(
      (w, a, b) => weightedSum([a!, b!], w!, [3, 0]),
      (m) => [m([5], 1), m([4, 6, 6, 8], 2), m([4, 6, 6, 8], 3)],
    ),
  );
});

test('native: running statistics updated inside the batch-norm kernel match the composed cpu update', { skip }, () => {
  for (const affine of [true, false]) {
    same(
      `running stats affine=${affine}`,
      (m) => {
        const x = tf.add(tf.mul(m([16, 5, 5, 6], 1), 2), 0.5);
        const r = { mean: tf.variable(m([6], 2)), variance: tf.variable(m([6], 3, true)), momentum: 0.1 };
        const y = affine ? batchNormTrain(x, m([6], 4), m([6], 5), 1e-5, r) : normalizeBatch(x, 1e-5, r);
        const out = [y, tf.clone(r.mean), tf.clone(r.variance)];
        r.mean.dispose();
        r.variance.dispose();
        return out;
      },
      2e-5,
    );
  }
});

test('native: empty tensors pass every overridden kernel with the cpu shapes; an empty batch leaves running stats alone', { skip }, () => {
  // a 2×2 map average-pooled by 5 has no pixels (the DARTS auxiliary head at 16 px); C++ kernels
  // that read a first row used to crash the process on it
  const shapes = (backend: string) => {
    tf.setBackend(backend);
    return tf.tidy(() => {
      const x = tf.avgPool(mk([2, 2, 2, 4], 1) as tf.Tensor4D, 5, 3, 'valid');
      const g = mk([4], 2);
      const b = mk([4], 3);
      const outs: Tensor[] = [
        x,
        tf.conv2d(x, mk([1, 1, 4, 3], 4) as tf.Tensor4D, 1, 'same'),
        tf.depthwiseConv2d(x, mk([3, 3, 4, 1], 5) as tf.Tensor4D, 1, 'same'),
        tf.maxPool(tf.zeros([0, 4, 4, 4]) as tf.Tensor4D, 2, 2, 'valid'),
        tf.matMul(tf.zeros([0, 4]), mk([4, 3], 6)),
        tf.add(x, b),
        tf.relu(x),
        weightedSum([x, x], tf.tensor1d([0.5, 0.5])),
        ...tf.grads((t: Tensor) => tf.sum(batchNormTrain(tf.relu(t), g, b)))([x]),
        normalizeBatch(x),
      ];
      return outs.map((t) => t.shape.join('x'));
    });
  };
  assert.deepEqual(shapes('native'), shapes('cpu'));
  tf.setBackend('native');
  const r = { mean: tf.variable(mk([4], 7)), variance: tf.variable(mk([4], 8, true)), momentum: 0.1 };
  const [m0, v0] = [r.mean.dataSync().slice(), r.variance.dataSync().slice()];
  tf.tidy(() => batchNormTrain(tf.zeros([0, 2, 2, 4]), mk([4], 2), mk([4], 3), 1e-5, r));
  assert.deepEqual([r.mean.dataSync(), r.variance.dataSync()], [m0, v0]);
  r.mean.dispose();
  r.variance.dispose();
});

test('native: fused SGD step and sum of squares match the composed cpu path bit for bit', { skip }, () => {
  const shapes = [[3, 3, 4, 8], [8], [64, 16, 16, 4]];
  for (const nesterov of [false, true]) {
    for (const [momentum, weightDecay, gradScale] of [
      [0.9, 3e-4, 1],
      [0.9, 0, 0.37],
      [0, 5e-4, 1],
    ] as [number, number, number][]) {
      for (const first of [true, false]) {
        const label = `sgdStep nesterov=${nesterov} mu=${momentum} wd=${weightDecay} scale=${gradScale} first=${first}`;
        same(
          label,
          (m) => {
            const ps = shapes.map((s, i) => m(s, 10 + i));
            const gs = shapes.map((s, i) => m(s, 20 + i));
            const vs = shapes.map((s, i) => (first ? undefined : m(s, 30 + i)));
            const r = sgdStep(ps, gs, vs, { lr: 0.025, momentum, weightDecay, nesterov, gradScale });
            return [...r.params, ...r.vel];
          },
          0,
        );
      }
    }
  }
  same('sumOfSquares', (m) => [tf.scalar(sumOfSquares(shapes.map((s, i) => m(s, 40 + i))))], 1e-6);
});

test('native: pooled output buffers never alias live data', { skip }, () => {
  tf.setBackend('native');
  const a = tf.relu(tf.tensor(data(4096, 1), [64, 64]));
  const held = a.dataSync();
  const copy = Float32Array.from(held);
  const view = tf.slice(a, [0, 0], [1, 64]); // the cpu slice kernel returns a view of a's buffer
  const viewCopy = Float32Array.from(view.dataSync());
  a.dispose();
  const others = Array.from({ length: 4 }, (_, i) => tf.relu(tf.tensor(data(4096, 10 + i), [64, 64])));
  assert.deepEqual(held, copy, 'an array returned by dataSync was overwritten');
  assert.deepEqual(view.dataSync(), viewCopy, 'a live slice view was overwritten');
  tf.dispose([view, ...others]);
  // a user array handed to tf.tensor is never recycled
  const user = data(1024, 3);
  const t = tf.tensor(user, [1024]);
  t.dispose();
  const u2 = Float32Array.from(user);
  tf.dispose(Array.from({ length: 4 }, () => tf.relu(tf.tensor(data(1024, 5), [1024]))));
  assert.deepEqual(user, u2);
});

test('native: the buffer pool evicts the least recently requested sizes at its cap', { skip }, () => {
  tf.setBackend('native');
  const backend = tf.backend() as InstanceType<typeof import('../../src/engine/native/index.js').NativeBackend>;
  const cap = backend.maxPooledBytes;
  try {
    backend.releasePool();
    const [nA, nB] = [4096, 1000]; // 16,384 and 4,000 bytes: more than 4× apart, so neither serves the other
    backend.maxPooledBytes = 2 * 4 * nA + 4 * nB;
    const src = (n: number) => tf.tensor(data(n, n), [n]);
    const [xa, xb] = [src(nA), src(nB)];
    const relu = (x: Tensor, k: number) => Array.from({ length: k }, () => tf.relu(x));
    tf.dispose(relu(xa, 2)); // class A requested first, both buffers pooled
    assert.equal(backend.pooledByteCount, 2 * 4 * nA);
    const bs = relu(xb, 2); // class B requested later
    tf.dispose(bs[0]); // fits under the cap
    assert.equal(backend.pooledByteCount, 2 * 4 * nA + 4 * nB);
    tf.dispose(bs[1]); // over the cap: class A (older) goes, not B
    assert.equal(backend.pooledByteCount, 2 * 4 * nB, 'the older size class was not the one evicted');
    const again = relu(xb, 2); // both B buffers come from the pool
    assert.equal(backend.pooledByteCount, 0);
    tf.dispose(again);
    // a buffer larger than the cap is never pooled
    backend.maxPooledBytes = 1000;
    backend.releasePool();
    tf.dispose(relu(xa, 1));
    assert.equal(backend.pooledByteCount, 0);
    tf.dispose([xa, xb]);
  } finally {
    backend.maxPooledBytes = cap;
  }
});

test('native: tensor count is flat across repeated forward/backward passes', { skip }, () => {
  tf.setBackend('native');
  const w1 = tf.variable(tf.tensor(data(3 * 3 * 3 * 8, 1), [3, 3, 3, 8]).mul(0.2));
  const w2 = tf.variable(tf.tensor(data(3 * 3 * 8, 2), [3, 3, 8, 1]).mul(0.2));
  const w3 = tf.variable(tf.tensor(data(8 * 4, 3), [8, 4]).mul(0.2));
  const g = tf.variable(tf.ones([8]));
  const x = tf.tensor(data(4 * 12 * 12 * 3, 4), [4, 12, 12, 3]);
  const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 4);
  const opt = tf.train.momentum(0.01, 0.9);
  const step = () => {
    const loss = opt.minimize(() => {
      let h = tf.conv2d(x as tf.Tensor4D, w1 as tf.Tensor4D, 1, 'same');
      h = tf.mul(normalizeBatch(h), g);
      h = tf.relu(h);
      h = tf.depthwiseConv2d(h as tf.Tensor4D, w2 as tf.Tensor4D, 2, 'same');
      h = tf.add(tf.maxPool(h as tf.Tensor4D, 3, 1, 'same'), tf.avgPool(h as tf.Tensor4D, 3, 1, 'same'));
      const logits = tf.matMul(tf.mean(h, [1, 2]), w3);
      return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
    }, true)!;
    const v = loss.dataSync()[0]!;
    loss.dispose();
    return v;
  };
  step();
  const before = tf.memory().numTensors;
  let last = 0;
  for (let i = 0; i < 5; i++) last = step();
  assert.equal(tf.memory().numTensors, before);
  assert.ok(Number.isFinite(last));
  opt.dispose();
  tf.dispose([w1, w2, w3, g, x, labels]);
});

test('native: Slice, SplitV, Transpose, Reverse, PadV2, Concat match cpu (values and gradients)', { skip }, () => {
  const xs = [3, 5, 6, 4];
  same(
    'slice strided',
    withGrads(
      (x) => tf.slice(x!, [1, 1, 2, 1], [2, 3, 3, 2]),
      (m) => [m(xs, 1)],
    ),
  );
  same(
    'slice contiguous',
    withGrads(
      (x) => tf.slice(x!, [1, 0, 0, 0], [2, -1, -1, -1]),
      (m) => [m(xs, 1)],
    ),
  );
  same(
    'slice rank 2',
    withGrads(
      (x) => tf.slice(x!, [1, 2], [3, 2]),
      (m) => [m([5, 6], 2)],
    ),
  );
  for (const axis of [0, 1, 2, 3]) {
    same(
      `split axis ${axis}`,
      withGrads(
        (x) =>
          tf.concat(
            tf.split(x!, [1, xs[axis]! - 1], axis).map((t, i) => tf.mul(t, i + 1)),
            axis,
          ),
        (m) => [m(xs, 3)],
      ),
    );
    same(
      `concat axis ${axis}`,
      withGrads(
        (a, b, c) => tf.concat([a!, b!, c!], axis),
        (m) => {
          const sh = (k: number) => xs.map((d, i) => (i === axis ? k : d));
          return [m(sh(1), 4), m(sh(2), 5), m(sh(3), 6)];
        },
      ),
    );
  }
  for (const perm of [
    [0, 3, 1, 2],
    [3, 1, 2, 0],
    [1, 2, 0, 3],
    [2, 0, 3, 1],
  ]) {
    same(
      `transpose ${perm}`,
      withGrads(
        (x) => tf.transpose(x!, perm),
        (m) => [m(xs, 7)],
      ),
    );
  }
  for (const dims of [[0], [1, 2], [3], [0, 1, 2, 3]])
    same(
      `reverse ${dims}`,
      withGrads(
        (x) => tf.reverse(x!, dims),
        (m) => [m(xs, 8)],
      ),
    );
  same(
    'pad',
    withGrads(
      (x) =>
        tf.pad(
          x!,
          [
            [0, 0],
            [1, 2],
            [0, 1],
            [2, 0],
          ],
          0.5,
        ),
      (m) => [m(xs, 9)],
    ),
  );
  same(
    'pad rank 6',
    withGrads(
      (x) =>
        tf.pad(x!, [
          [0, 0],
          [0, 0],
          [0, 1],
          [0, 0],
          [0, 1],
          [0, 0],
        ]),
      (m) => [m([2, 3, 1, 4, 1, 2], 10)],
    ),
  );
});
