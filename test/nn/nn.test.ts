import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/engine/tf.js';
import { Rng } from '../../src/util/rng.js';
import { createOp } from '../../src/nn/ops.js';
import { parseArch, buildEvalNetwork, DARTS_OPS, NB201_OPS, formatGenotype } from '../../src/spaces/index.js';
import { Nb201Supernet } from '../../src/nn/nb201-supernet.js';
import { DartsSupernet, deriveCell } from '../../src/nn/darts-supernet.js';
import { BatchNorm, Conv2d } from '../../src/nn/layers.js';
import { relErr } from '../helpers/ref-ops.js';
import { testBackends, useBackend } from '../helpers/backends.js';

const BEST = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|';
const DARTS_V2 =
  "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])";

const backends = await testBackends();

test("NB201 evaluation network: params and FLOPs equal NAS-Bench-201's counts", async () => {
  await useBackend('cpu');
  // NAS-Bench-201 reports 1.073466 M params and 153.27297 M FLOPs for this CIFAR-10 network (its best cell).
  const net = buildEvalNetwork('nb201', parseArch('nb201', BEST), new Rng(0));
  assert.equal(net.paramCount(), 1_073_466);
  assert.equal(net.flopsPerImage(), 153_272_970);
  net.dispose();
  // All-none cell: only the skeleton (stem, two residual blocks, last BN, classifier) remains.
  const empty = buildEvalNetwork('nb201', parseArch('nb201', '|none~0|+|none~0|none~1|+|none~0|none~1|none~2|'), new Rng(0));
  assert.equal(empty.paramCount(), 464 + 14_464 + 57_600 + 128 + 650);
  empty.dispose();
});

test('DARTS evaluation network: DARTS-V2 has 3.349342 M params (auxiliary head excluded), as the DARTS code reports', async () => {
  await useBackend('cpu');
  const net = buildEvalNetwork('darts', parseArch('darts', DARTS_V2), new Rng(0));
  assert.equal(net.paramCount(), 3_349_342);
  net.dispose();
});

/** Every op of both spaces, both strides, on a small input. */
const OP_CASES: [string, number][] = [];
for (const op of new Set<string>([...NB201_OPS, ...DARTS_OPS])) for (const s of [1, 2]) OP_CASES.push([op, s]);

function opGrads(name: string, stride: number, x: tf.Tensor4D, r: tf.Tensor | undefined, seed: number) {
  const op = createOp(name, 4, 4, stride, { affine: true }, new Rng(seed));
  const vars = op.parameters();
  const res = tf.tidy(() => {
    const f = (xi: tf.Tensor4D) => {
      const y = op.forward(xi, { training: true });
      return tf.sum(tf.mul(y, r ?? tf.onesLike(y))) as tf.Scalar;
    };
    const value = f(x).dataSync()[0]!;
    const grads = vars.length ? tf.variableGrads(() => f(x), vars).grads : {};
    // `none` does not depend on its input: its input gradient is zero by definition.
    const gx = name === 'none' ? tf.zerosLike(x) : tf.grad((xi: tf.Tensor) => f(xi as tf.Tensor4D))(x);
    return { value, gx: gx.dataSync() as Float32Array, gw: vars.map((v) => grads[v.name]!.dataSync() as Float32Array) };
  });
  op.dispose();
  return res;
}

for (const [name, stride] of OP_CASES) {
  test(`op ${name} stride ${stride}: gradient matches finite differences (cpu) and cpu on every backend`, async () => {
    await useBackend('cpu');
    const rng = new Rng(11);
    const x = tf.tensor4d(
      Float32Array.from({ length: 2 * 6 * 6 * 4 }, () => rng.normal()),
      [2, 6, 6, 4],
    );
    const outShape = tf.tidy(() => createOp(name, 4, 4, stride, { affine: true }, new Rng(1)).forward(x, { training: true }).shape);
    const r = tf.tensor(
      Float32Array.from({ length: outShape.reduce((a, b) => a * b, 1) }, () => rng.normal()),
      outShape,
    );
    const ref = opGrads(name, stride, x, r, 1);
    // Central differences in float32 on a few input coordinates (loss summed in float64 in JS).
    const xs = Float32Array.from(x.dataSync());
    const h = 1e-2;
    const loss = (arr: Float32Array) =>
      tf.tidy(() => {
        const op = createOp(name, 4, 4, stride, { affine: true }, new Rng(1));
        const y = op.forward(tf.tensor4d(arr, x.shape), { training: true });
        const yv = y.dataSync();
        const rv = r.dataSync();
        let s = 0;
        for (let i = 0; i < yv.length; i++) s += yv[i]! * rv[i]!;
        op.dispose();
        return s;
      });
    for (const i of [0, 17, 50, 101, 143, 200, 287]) {
      const p = xs.slice();
      p[i]! += h;
      const m = xs.slice();
      m[i]! -= h;
      const num = (loss(p) - loss(m)) / (2 * h);
      assert.ok(Math.abs(num - ref.gx[i]!) <= 2e-2 * (1 + Math.abs(num)), `${name} s${stride}: d/dx[${i}] analytic ${ref.gx[i]} numeric ${num}`);
    }
    for (const be of backends.filter((b) => b !== 'cpu')) {
      await useBackend(be);
      const xb = tf.tensor4d(xs, x.shape);
      const rb = tf.tensor(r.dataSync(), r.shape);
      const got = opGrads(name, stride, xb, rb, 1);
      assert.ok(Math.abs(got.value - ref.value) <= 1e-3 * (1 + Math.abs(ref.value)), `${be} ${name}: value`);
      assert.ok(relErr(got.gx, ref.gx) < 1e-3, `${be} ${name}: dx`);
      got.gw.forEach((g, k) => assert.ok(relErr(g, ref.gw[k]!) < 1e-3, `${be} ${name}: dW[${k}]`));
      xb.dispose();
      rb.dispose();
      await useBackend('cpu');
    }
    x.dispose();
    r.dispose();
  });
}

test('BatchNorm keeps PyTorch running statistics (unbiased variance, momentum 0.1)', async () => {
  await useBackend('cpu');
  const bn = new BatchNorm(2);
  const x = tf.tensor4d([1, 10, 2, 20, 3, 30, 6, 40], [2, 2, 1, 2]);
  tf.tidy(() => bn.forward(x, { training: true }));
  const [m0, m1] = bn.runningMean!.dataSync();
  const [v0] = bn.runningVar!.dataSync();
  assert.ok(Math.abs(m0! - 0.1 * 3) < 1e-6 && Math.abs(m1! - 0.1 * 25) < 1e-5);
  const unbiased = ((1 - 3) ** 2 + (2 - 3) ** 2 + 0 + (6 - 3) ** 2) / 3;
  assert.ok(Math.abs(v0! - (0.9 + 0.1 * unbiased)) < 1e-5);
  bn.dispose();
  x.dispose();
});

for (const be of backends) {
  test(`${be}: both supernets train (w and α get gradients) with a flat tensor count, and derive`, async () => {
    await useBackend(be);
    const rng = new Rng(2);
    const x = tf.tensor4d(
      Float32Array.from({ length: 4 * 8 * 8 * 3 }, () => rng.normal()),
      [4, 8, 8, 3],
    );
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 1], 'int32'), 3);
    const nets = [new Nb201Supernet(new Rng(1), { C: 4, N: 1, numClasses: 3, inputShape: [8, 8, 3] }), new DartsSupernet(new Rng(1), { C: 4, layers: 3, numClasses: 3, inputShape: [8, 8, 3] })];
    for (const net of nets) {
      const opt = tf.train.sgd(0.01);
      const step = () => {
        const all = [...net.weightParameters(), ...net.archParameters()];
        const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, net.forward(x, { training: true })) as tf.Scalar, all);
        for (const a of net.archParameters()) assert.ok(tf.tidy(() => tf.sum(tf.abs(grads[a.name]!)).dataSync()[0]!) > 0, 'α gradient is nonzero');
        opt.applyGradients(grads);
        value.dispose();
        tf.dispose(grads);
      };
      step();
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) step();
      assert.equal(tf.memory().numTensors, before, 'no tensor leak');
      opt.dispose();
    }
    const nb = (nets[0] as Nb201Supernet).derive();
    assert.equal(nb.ops.length, 6);
    const dg = (nets[1] as DartsSupernet).derive();
    assert.equal(dg.normal.length, 8);
    for (const n of nets) n.dispose();
    x.dispose();
    y.dispose();
  });
}

test('DARTS derivation keeps top-2 edges per node by best non-none weight', () => {
  // 14 edges × 8 ops; make `none` dominant everywhere so it must be ignored.
  const w = Array.from({ length: 14 }, (_, e) => DARTS_OPS.map((op, o) => (op === 'none' ? 0.9 : o === 1 + (e % 7) ? 0.05 + e * 0.001 : 0.001)));
  const cell = deriveCell(w, DARTS_OPS);
  assert.equal(cell.length, 8);
  // node 2 has edges 0,1 (both kept); node 3 has edges 2,3,4: keeps the two largest (3 and 4).
  assert.deepEqual(
    cell.slice(2, 4).map(([, j]) => j),
    [1, 2],
  );
  for (const [op] of cell) assert.notEqual(op, 'none');
  assert.match(formatGenotype({ normal: cell, normalConcat: [2, 3, 4, 5], reduce: cell, reduceConcat: [2, 3, 4, 5] }), /^Genotype\(normal=\[/);
});

test('inference folds conv→BN into one convolution and refolds when weights or statistics change', async () => {
  for (const be of backends) {
    await useBackend(be);
    const rng = new Rng(11);
    const op = createOp('nor_conv_3x3', 4, 6, 1, { affine: true }, rng) as unknown as {
      conv: { weight: tf.Variable };
      bn: BatchNorm;
      forward: (x: tf.Tensor4D, c: { training: boolean }) => tf.Tensor4D;
      dispose(): void;
    };
    const x = tf.randomNormal([3, 5, 5, 4], 0, 1, 'float32', 2) as tf.Tensor4D;
    // the plain composition: relu → conv (padding 1) → inference batch norm
    const plain = () =>
      tf.tidy(() => tf.batchNorm(tf.conv2d(tf.relu(x) as tf.Tensor4D, op.conv.weight as tf.Tensor4D, 1, 'same'), op.bn.runningMean!, op.bn.runningVar!, op.bn.beta, op.bn.gamma, op.bn.eps));
    const check = (label: string) => {
      const [a, b] = [tf.tidy(() => op.forward(x, { training: false })), plain()];
      assert.ok(relErr(a.dataSync(), b.dataSync()) < 1e-5, `${be} ${label}: folded ≠ plain`);
      tf.dispose([a, b]);
    };
    op.forward(x, { training: true }).dispose(); // running statistics move away from 0/1
    check('after a training forward');
    const before = tf.memory().numTensors;
    check('again (cached folding)');
    assert.equal(tf.memory().numTensors, before, `${be}: tensor count grows across inference passes`);
    op.conv.weight.assign(tf.mul(op.conv.weight, 1.5));
    check('after the filter changed');
    op.bn.gamma!.assign(tf.fill([6], 0.5));
    check('after γ changed');
    op.bn.runningMean!.assign(tf.fill([6], 0.25));
    check('after the running mean changed');
    op.dispose();
    x.dispose();
  }
});

test('Conv2d with a bias (fused into the convolution where the backend allows) equals conv + add, value and gradients', async () => {
  for (const be of backends) {
    await useBackend(be);
    const rng = new Rng(5);
    const conv = new Conv2d(4, 6, 3, rng, { padding: 1, stride: 2, bias: true });
    const x = tf.tensor4d(
      Float32Array.from({ length: 2 * 7 * 7 * 4 }, () => rng.normal()),
      [2, 7, 7, 4],
    );
    const r = tf.tensor4d(
      Float32Array.from({ length: 2 * 4 * 4 * 6 }, () => rng.normal()),
      [2, 4, 4, 6],
    );
    const grads = (f: (a: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.Tensor) =>
      tf
        .grads((a: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, w, b), r)))([x, conv.weight, conv.bias!])
        .map((g) => g.dataSync());
    const viaLayer = grads((a) => conv.forward(a as tf.Tensor4D, { training: true }));
    const plain = grads((a, w, b) =>
      tf.add(
        tf.conv2d(a as tf.Tensor4D, w as tf.Tensor4D, 2, [
          [0, 0],
          [1, 1],
          [1, 1],
          [0, 0],
        ]),
        b,
      ),
    );
    viaLayer.forEach((g, k) => assert.ok(relErr(g, plain[k]!) < 1e-5, `${be}: gradient ${k} differs (${relErr(g, plain[k]!)})`));
    conv.dispose();
    tf.dispose([x, r]);
  }
});

test('sharing ReLU and pooling results within a forward pass changes neither values nor gradients, and runs fewer kernels (both supernets)', async () => {
  await useBackend(backends.includes('native') ? 'native' : 'cpu');
  const nets = [new Nb201Supernet(new Rng(4), { C: 4, N: 1, numClasses: 5, inputShape: [8, 8, 3] }), new DartsSupernet(new Rng(4), { C: 4, layers: 3, numClasses: 5, inputShape: [8, 8, 3] })];
  const x = tf.randomNormal([4, 8, 8, 3], 0, 1, 'float32', 9) as tf.Tensor4D;
  for (const net of nets) {
    const params = [...net.parameters(), ...net.archParameters()];
    let relus = 0;
    const run = (ctx: { share?: boolean; hooks?: { relu: () => void } }) =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(net.forward(x, { training: true, ...ctx }))) as tf.Scalar, params);
        return [value.dataSync()[0]!, ...params.map((p) => Array.from(grads[p.name]!.dataSync()))] as [number, ...number[][]];
      });
    const pools = async (share: boolean) => (await tf.profile(() => tf.tidy(() => void net.forward(x, { training: true, share }).dataSync()))).kernels.filter((k) => /Pool/.test(k.name)).length;
    const shared = run({});
    const separate = run({ share: false });
    const hooked = run({ hooks: { relu: () => void relus++ } }); // hooks see every ReLU: no ReLU sharing
    assert.ok(relus > 0);
    for (const other of [separate, hooked]) {
      assert.ok(Math.abs(shared[0] - other[0]) <= 1e-5 * Math.abs(other[0]), 'loss differs');
      for (let k = 1; k < shared.length; k++) {
        const e = relErr(Float32Array.from(shared[k] as number[]), Float32Array.from(other[k] as number[]));
        assert.ok(e < 1e-5, `gradient of ${params[k - 1]!.name} differs by ${e}`);
      }
    }
    const [pShared, pSeparate] = [await pools(true), await pools(false)];
    assert.ok(pShared < pSeparate, `pooling kernels: shared ${pShared}, separate ${pSeparate}`);
    net.dispose();
  }
  x.dispose();
});
