import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, type Tensor, type Variable } from '../../src/engine/tf.js';
import { Adam, ArrayAdam, Sgd, clipScale, cosineLr } from '../../src/optim/index.js';
import { useBackend } from '../helpers/backends.js';

const close = (got: ArrayLike<number>, want: readonly number[], tol = 1e-6, what = ''): void => {
  assert.equal(got.length, want.length);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) < tol, `${what}[${i}]: ${got[i]} vs ${want[i]}`);
};

const P0 = [1, -2, 0.5];
const G = [
  [0.3, -0.1, 0.2],
  [-0.4, 0.5, 0.1],
  [0.2, 0.2, -0.3],
];

/** torch.optim.SGD by hand in float64. */
function sgdByHand(o: { lr: number; mu: number; wd: number; nesterov: boolean }, steps: number): number[] {
  const p = [...P0];
  let v: number[] | undefined;
  for (let s = 0; s < steps; s++) {
    const d = p.map((x, i) => G[s]![i]! + o.wd * x);
    v = v ? v.map((x, i) => o.mu * x + d[i]!) : d;
    const u = o.nesterov ? d.map((x, i) => x + o.mu * v![i]!) : v;
    u.forEach((x, i) => (p[i] = p[i]! - o.lr * x));
  }
  return p;
}

function sgdRun(o: { lr: number; mu: number; wd: number; nesterov: boolean }, steps: number): number[] {
  const w = tf.variable(tf.tensor1d(P0), true, `w_${Math.random()}`);
  const opt = new Sgd([w], { lr: o.lr, momentum: o.mu, weightDecay: o.wd, nesterov: o.nesterov });
  for (let s = 0; s < steps; s++) {
    const g = tf.tensor1d(G[s]!);
    opt.step([g]);
    g.dispose();
  }
  const out = Array.from(w.dataSync());
  opt.dispose();
  w.dispose();
  return out;
}

test('optim: SGD with momentum and weight decay equals the hand-computed 3-step update', async () => {
  await useBackend('cpu');
  const o = { lr: 0.1, mu: 0.9, wd: 0.01, nesterov: false };
  close(sgdRun(o, 3), sgdByHand(o, 3), 1e-6, 'sgd');
  // the hand computation itself, step 1: d = g + wd·p, v = d, p −= lr·v
  assert.ok(Math.abs(sgdByHand(o, 1)[0]! - (1 - 0.1 * (0.3 + 0.01))) < 1e-12);
});

test('optim: Nesterov SGD equals the hand-computed 3-step update', async () => {
  await useBackend('cpu');
  const o = { lr: 0.05, mu: 0.9, wd: 5e-4, nesterov: true };
  close(sgdRun(o, 3), sgdByHand(o, 3), 1e-6, 'nesterov');
  assert.notDeepEqual(sgdByHand(o, 3), sgdByHand({ ...o, nesterov: false }, 3));
});

test('optim: Adam equals the hand-computed 2-step update (L2 weight decay, bias correction)', async () => {
  await useBackend('cpu');
  const lr = 0.01,
    b1 = 0.5,
    b2 = 0.999,
    wd = 1e-3,
    eps = 1e-8;
  const p = [...P0];
  const m = [0, 0, 0];
  const v = [0, 0, 0];
  for (let t = 1; t <= 2; t++) {
    p.forEach((x, i) => {
      const g = G[t - 1]![i]! + wd * x;
      m[i] = b1 * m[i]! + (1 - b1) * g;
      v[i] = b2 * v[i]! + (1 - b2) * g * g;
      p[i] = x - (lr * (m[i]! / (1 - b1 ** t))) / (Math.sqrt(v[i]! / (1 - b2 ** t)) + eps);
    });
  }
  const w = tf.variable(tf.tensor1d(P0));
  const opt = new Adam([w], { lr, beta1: b1, beta2: b2, weightDecay: wd, eps });
  for (let t = 0; t < 2; t++) tf.tidy(() => opt.step([tf.tensor1d(G[t]!)]));
  close(w.dataSync(), p, 1e-6, 'adam');
  assert.equal(opt.steps, 2);
  // the float64 ArrayAdam of TND-NAS, without clipping, gives the same numbers
  const a = [[...P0]];
  const aa = new ArrayAdam({ lr, beta1: b1, beta2: b2, weightDecay: wd, eps });
  aa.step(a, [G[0]!]);
  aa.step(a, [G[1]!]);
  close(a[0]!, p, 1e-12, 'array adam');
  opt.dispose();
  w.dispose();
});

test('optim: cosineLr at the first, middle and last epoch', () => {
  const f = (base: number, min: number, e: number, E: number) => min + 0.5 * (base - min) * (1 + Math.cos((Math.PI * e) / E));
  assert.equal(cosineLr({ base: 0.025, min: 0.001, epoch: 0, epochs: 50 }), 0.025);
  assert.ok(Math.abs(cosineLr({ base: 0.025, min: 0.001, epoch: 25, epochs: 50 }) - 0.013) < 1e-15);
  assert.equal(cosineLr({ base: 0.025, min: 0.001, epoch: 49, epochs: 50 }), f(0.025, 0.001, 49, 50));
  assert.ok(Math.abs(cosineLr({ base: 0.025, min: 0.001, epoch: 50, epochs: 50 }) - 0.001) < 1e-15);
  assert.equal(cosineLr({ base: 0.1, epoch: 7, epochs: 10 }), f(0.1, 0, 7, 10));
  // the three former copies wrote it as 0.5·lr·(1 + cos) (TND-NAS) and lrMin + ((lr − lrMin)(1 + cos))/2 (DARTS): same bits
  for (let e = 0; e < 50; e++) {
    const c = 1 + Math.cos((Math.PI * e) / 50);
    assert.equal(cosineLr({ base: 0.04, epoch: e, epochs: 50 }), 0.5 * 0.04 * c);
    assert.equal(cosineLr({ base: 0.025, min: 0.001, epoch: e, epochs: 50 }), 0.001 + ((0.025 - 0.001) * c) / 2);
  }
});

test('optim: SGD state()/load() and slotValues()/loadSlotValues() round trips give the same next step', async () => {
  await useBackend('cpu');
  const mk = () => [
    tf.variable(tf.tensor1d(P0), true, `a_${Math.random()}`),
    tf.variable(
      tf.tensor2d([
        [0.1, 0.2],
        [0.3, 0.4],
      ]),
      true,
      `b_${Math.random()}`,
    ),
  ];
  const o = { lr: 0.1, momentum: 0.9, weightDecay: 1e-3, nesterov: true };
  const grads = (k: number) => [
    tf.tensor1d(G[k % 3]!),
    tf.tensor2d([
      [k, -k],
      [0.5, 0.25 * k],
    ]),
  ];
  const stepWith = (opt: Sgd, k: number) => tf.tidy(() => opt.step(grads(k)));
  const A = mk();
  const optA = new Sgd(
    A.map((v, i) => [`p${i}`, v] as [string, Variable]),
    o,
  );
  stepWith(optA, 0);
  stepWith(optA, 1);
  const st = optA.state();
  assert.deepEqual(
    st.map((e) => e.name),
    ['p0', 'p1'],
  );
  const slots = optA.slotValues();
  for (const flat of [false, true]) {
    const B = mk();
    B.forEach((v, i) => (v as Variable).assign(A[i]! as Variable));
    const optB = new Sgd(
      B.map((v, i) => [`p${i}`, v] as [string, Variable]),
      o,
    );
    if (flat) optB.loadSlotValues(slots);
    else optB.load(st);
    const before = A.map((v) => v.clone());
    stepWith(optB, 2);
    stepWith(optA, 2);
    B.forEach((v, i) => assert.deepEqual(Array.from(v.dataSync()), Array.from(A[i]!.dataSync()), `param ${i} (${flat ? 'slots' : 'state'})`));
    // undo A's step for the next round
    A.forEach((v, i) => (v as Variable).assign(before[i]! as Variable));
    optA.load(st);
    tf.dispose(before);
    optB.dispose();
    tf.dispose(B);
  }
  assert.throws(() => optA.load([{ name: 'nope', shape: [1], data: new Float32Array(1) }]), /unknown parameter nope/);
  assert.throws(() => optA.load([{ name: 'p0', shape: [2], data: new Float32Array(2) }]), /has 2 values/);
  optA.dispose();
  tf.dispose(A);
});

test('optim: a parameter without a gradient is skipped (default) or takes a zero gradient (missingGrad: zero)', async () => {
  await useBackend('cpu');
  for (const missingGrad of ['skip', 'zero'] as const) {
    const a = tf.variable(tf.tensor1d([1, 2]));
    const b = tf.variable(tf.tensor1d([3]));
    const opt = new Sgd([a, b], { lr: 0.1, momentum: 0.9, weightDecay: 0.1, missingGrad });
    tf.tidy(() => opt.step([tf.tensor1d([1, 1]), null]));
    tf.tidy(() => opt.step({ [a.name]: tf.tensor1d([1, 1]) }));
    if (missingGrad === 'skip') {
      assert.equal(b.dataSync()[0], 3);
      assert.equal(opt.velocity(1), undefined);
      assert.deepEqual(opt.state().length, 1);
    } else {
      // d = 0.1·3 = 0.3, b = 3 − 0.03; then v = 0.9·0.3 + 0.1·2.97
      close(b.dataSync(), [2.97 - 0.1 * (0.27 + 0.297)], 1e-6);
      assert.equal(opt.state().length, 2);
    }
    opt.dispose();
    tf.dispose([a, b]);
  }
});

test('optim: gradient clipping is clip_grad_norm_ (min(1, max/(norm + 1e-6)))', async () => {
  await useBackend('cpu');
  assert.equal(clipScale(3, 5), 1);
  assert.equal(clipScale(10, 5), 5 / (10 + 1e-6));
  assert.equal(clipScale(10, 0), 1);
  const w = tf.variable(tf.tensor1d([0, 0]));
  const opt = new Sgd([w], { lr: 1, gradClip: 1 });
  const norm = tf.tidy(() => opt.step([tf.tensor1d([3, 4])]));
  assert.ok(Math.abs(norm - 5) < 1e-9);
  close(w.dataSync(), [-3 / (5 + 1e-6), -4 / (5 + 1e-6)]);
  opt.dispose();
  w.dispose();
});

test('optim: the tensor count stays flat over 20 steps (SGD with momentum, Adam)', async () => {
  await useBackend('cpu');
  const ps = [tf.variable(tf.randomNormal([4, 3])), tf.variable(tf.randomNormal([5]))];
  const sgd = new Sgd(ps, { lr: 0.01, momentum: 0.9, weightDecay: 1e-4, nesterov: true, gradClip: 1 });
  const adam = new Adam(ps, { lr: 1e-3, weightDecay: 1e-3 });
  const grads = (): Tensor[] => ps.map((p) => tf.onesLike(p));
  const counts: number[] = [];
  for (let s = 0; s < 20; s++) {
    const g = grads();
    sgd.step(g);
    adam.step(g);
    tf.dispose(g);
    counts.push(tf.memory().numTensors);
  }
  assert.ok(
    counts.every((c) => c === counts[0]),
    `tensor counts ${counts.join(' ')}`,
  );
  sgd.dispose();
  adam.dispose();
  tf.dispose(ps);
});
