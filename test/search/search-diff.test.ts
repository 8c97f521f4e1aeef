/**
 * Differentiable search (issue 4): second-order hypergradient vs finite differences, single-level
 * step on one batch, PC-DARTS partial channels and shuffle, derivation, resume = uninterrupted run,
 * flat memory, CLI end to end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf, type Tensor, type Tensor1D, type Tensor4D } from '../../src/engine/tf.js';
import { initBackend } from '../../src/engine/backend.js';
import { Rng } from '../../src/util/rng.js';
import { loadDataset } from '../../src/data/index.js';
import { MixedOp, channelShuffle } from '../../src/nn/mixed-op.js';
import { NB201_OPS } from '../../src/spaces/nb201.js';
import { DARTS_OPS } from '../../src/spaces/darts.js';
import { SearchModel, deriveDarts, deriveNb201, edgeSoftmax } from '../../src/search/diff/model.js';
import { Adam, Sgd, cosineLr } from '../../src/optim/index.js';
import { gradsOf, secondOrderArchGrad, singleDartsStep, type StepEnv } from '../../src/search/diff/strategies.js';
import { buildConfig } from '../../src/search/diff/presets.js';
import { runSearch, type EpochRecord } from '../../src/search/diff/trainer.js';
import { REPO_ROOT } from '../helpers/data-paths.js';

await initBackend('wasm');

function tinyModel(seed = 1): SearchModel {
  return new SearchModel({ space: 'nb201', C: 4, depth: 1, numClasses: 3, inputShape: [6, 6, 3], partialK: 1, edgeNorm: false }, new Rng(seed));
}

function batch(seed: number, n = 6): { x: Tensor4D; y: Tensor1D } {
  const r = new Rng(seed);
  return {
    x: tf.tensor4d(
      Float32Array.from({ length: n * 6 * 6 * 3 }, () => r.normal()),
      [n, 6, 6, 3],
    ),
    y: tf.tensor1d(
      Array.from({ length: n }, (_, i) => i % 3),
      'int32',
    ),
  };
}

function envFor(model: SearchModel, over: Partial<StepEnv> = {}): StepEnv {
  return {
    model,
    wOpt: new Sgd(model.weights(), { momentum: 0.9, missingGrad: 'zero' }),
    aOpt: new Adam(model.archParams(), { beta1: 0.5, beta2: 0.999, weightDecay: 1e-3 }),
    lr: 0.1,
    archLr: 3e-4,
    gradClip: 5,
    archActive: true,
    nextTrain: () => {
      throw new Error('unexpected');
    },
    nextVal: () => {
      throw new Error('unexpected');
    },
    rng: new Rng(0),
    counters: { backward: 0, forward: 0 },
    ...over,
  };
}

/**
 * A tiny smooth bi-level problem shaped like a SearchModel: logits = Σ_o softmax(α)_o·op_o(xW) with
 * ops identity, tanh and 0.1·square, W a [4 × 3] weight. Smooth everywhere, so central
 * differences of the unrolled validation loss are a reliable reference.
 */
function smoothProblem(): { model: SearchModel; dispose(): void } {
  const r = new Rng(8);
  const init = (shape: number[], s: number) => {
    const t = tf.tensor(
      Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => s * r.normal()),
      shape,
    );
    const v = tf.variable(t, true);
    t.dispose();
    return v;
  };
  const W = init([4, 3], 0.7);
  const alpha = init([1, 3], 0.5);
  const model = {
    weights: () => [W],
    alphas: () => [alpha],
    archParams: () => [alpha],
    buffers: () => [],
    loss: (x: Tensor, y: Tensor1D) => {
      const p = tf.softmax(alpha).reshape([3]);
      const h = tf.matMul(x as tf.Tensor2D, W);
      const ops = [h, tf.tanh(h), tf.mul(tf.square(h), 0.1)];
      const logits = tf.addN(ops.map((o, i) => tf.mul(o, tf.slice(p, [i], [1]))));
      return { loss: tf.losses.softmaxCrossEntropy(tf.oneHot(y, 3), logits) as tf.Scalar, logits };
    },
  } as unknown as SearchModel;
  return { model, dispose: () => tf.dispose([W, alpha]) };
}

test('darts2: the finite-difference hypergradient matches d/dα L_val(w − ξ∇w L_train(w, α), α) by central differences', () => {
  const { model, dispose } = smoothProblem();
  const env = envFor(model);
  const r = new Rng(4);
  const mk = () => ({
    x: tf.tensor2d(
      Float32Array.from({ length: 10 * 4 }, () => r.normal()),
      [10, 4],
    ) as unknown as Tensor4D,
    y: tf.tensor1d(
      Array.from({ length: 10 }, (_, i) => i % 3),
      'int32',
    ),
  });
  const tr = mk();
  const va = mk();
  const xi = 0.5;
  const W = model.weights();
  const [alpha] = model.alphas();
  try {
    const unrolledVal = (): number => {
      const w0 = W.map((p) => tf.clone(p));
      const g = gradsOf(env, () => model.loss(tr.x, tr.y, true), undefined, W);
      tf.tidy(() => W.forEach((p, i) => p.assign(tf.sub(w0[i]!, tf.mul(g.grads[i]!, xi)))));
      const v = tf.tidy(() => model.loss(va.x, va.y, true).loss.dataSync()[0]!);
      W.forEach((p, i) => p.assign(w0[i]!));
      tf.dispose([...w0, ...(g.grads as Tensor[])]);
      return v;
    };
    const hyper = secondOrderArchGrad(env, tr, va, xi);
    const hg = Array.from(hyper[0]!.dataSync());
    const firstOrder = gradsOf(env, () => model.loss(va.x, va.y, true), undefined, [alpha!]);
    const fo = Array.from(firstOrder.grads[0]!.dataSync());
    const a0 = Array.from(alpha!.dataSync());
    const h = 1e-2;
    const fd = a0.map((_, k) => {
      const set = (d: number) =>
        tf.tidy(() =>
          alpha!.assign(
            tf.tensor(
              a0.map((v, i) => (i === k ? v + d : v)),
              alpha!.shape,
            ),
          ),
        );
      set(h);
      const up = unrolledVal();
      set(-h);
      const dn = unrolledVal();
      set(0);
      return (up - dn) / (2 * h);
    });
    const dist = (a: number[]) => Math.sqrt(a.reduce((s, v, i) => s + (v - fd[i]!) ** 2, 0));
    const nrm = Math.sqrt(fd.reduce((s, v) => s + v * v, 0));
    assert.ok(dist(hg) / nrm < 0.02, `relative error ${dist(hg) / nrm} (hyper ${hg} fd ${fd})`);
    assert.ok(dist(fo) > 5 * dist(hg), `the second-order term matters here (first-order error ${dist(fo)}, second-order ${dist(hg)})`);
    tf.dispose([...hyper, ...(firstOrder.grads as Tensor[])]);
  } finally {
    tf.dispose([tr.x, tr.y, va.x, va.y]);
    env.wOpt.dispose();
    env.aOpt.dispose();
    dispose();
  }
});

test('single-darts: w and α both step from one train batch with one backward pass', () => {
  const model = tinyModel(4);
  const b = batch(21);
  try {
    let trainCalls = 0;
    const env = envFor(model, {
      nextTrain: () => {
        trainCalls++;
        return b;
      },
    });
    const w0 = Array.from(model.weights()[0]!.dataSync());
    const a0 = Array.from(model.alphas()[0]!.dataSync());
    singleDartsStep(env);
    assert.equal(trainCalls, 1, 'one train batch');
    assert.equal(env.counters.backward, 1, 'one backward for both w and α');
    assert.notDeepEqual(Array.from(model.weights()[0]!.dataSync()), w0, 'w moved');
    assert.notDeepEqual(Array.from(model.alphas()[0]!.dataSync()), a0, 'α moved');
    assert.equal(env.wOpt.steps, 1);
    assert.equal(env.aOpt.steps, 1);
    env.wOpt.dispose();
    env.aOpt.dispose();
  } finally {
    tf.dispose([b.x, b.y]);
    model.dispose();
  }
});

test("single-darts with --arch-optimizer sgd: α takes w's SGD step, α₁ = α₀ − ξ(∇α L + wd·α₀), from the same batch", () => {
  const model = tinyModel(5);
  const b = batch(22);
  const lr = 0.05;
  const wd = 5e-4;
  assert.throws(() => buildConfig('nb201', 'single-darts', 'tiny', 0, { archOptimizer: 'sgd', archLr: 0.01 }), /--arch-lr sets the Adam learning rate/);
  const env = envFor(model, { aOpt: new Sgd(model.archParams(), { momentum: 0.9, weightDecay: wd, missingGrad: 'zero' }), lr, archLr: lr, nextTrain: () => b });
  try {
    const A = model.archParams();
    const a0 = A.map((a) => Array.from(a.dataSync()));
    const g = gradsOf(env, () => model.loss(b.x, b.y, true), b.y, A);
    const expected = a0.map((a, i) => {
      const gi = Array.from(g.grads[i]!.dataSync());
      return a.map((v, k) => v - lr * (gi[k]! + wd * v));
    });
    tf.dispose(g.grads as Tensor[]);
    singleDartsStep(env);
    A.forEach((a, i) => {
      const got = Array.from(a.dataSync());
      const moved = Math.max(...got.map((v, k) => Math.abs(v - a0[i]![k]!)));
      assert.ok(moved > 1e-6, 'α moved');
      got.forEach((v, k) => assert.ok(Math.abs(v - expected[i]![k]!) < 1e-6, `α[${i}][${k}] ${v} vs ${expected[i]![k]}`));
    });
  } finally {
    env.wOpt.dispose();
    env.aOpt.dispose();
    tf.dispose([b.x, b.y]);
    model.dispose();
  }
});

test('PC-DARTS: channel shuffle is PyTorch channel_shuffle; partial mixed op keeps shapes and bypasses C−C/K channels; K=1 is the plain mixed op', () => {
  // channel_shuffle(groups 2) of channels [0..5]: view(2,3) → transpose → [0,3,1,4,2,5].
  const x = tf.tensor4d([0, 1, 2, 3, 4, 5], [1, 1, 1, 6]);
  assert.deepEqual(Array.from(channelShuffle(x, 2).dataSync()), [0, 3, 1, 4, 2, 5]);
  assert.deepEqual(Array.from(channelShuffle(x, 3).dataSync()), [0, 2, 4, 1, 3, 5]);
  const r = new Rng(3);
  const inp = tf.tensor4d(
    Float32Array.from({ length: 2 * 6 * 6 * 8 }, () => r.normal()),
    [2, 6, 6, 8],
  );
  const w = tf.softmax(tf.tensor1d([0.1, 0.2, 0.3, 0.4, 0.5]));
  const ctx = { training: true };
  const pc = new MixedOp(NB201_OPS, 8, 8, 1, { affine: false }, new Rng(1), 4);
  const y = pc.forward(inp, w, ctx);
  assert.deepEqual(y.shape, [2, 6, 6, 8]);
  // Undo the shuffle (K=4, 2 channels per group): output o = j·4 + g holds input group g, channel j.
  const yv = y.arraySync() as number[][][][];
  const xv = inp.arraySync() as number[][][][];
  for (let g = 1; g < 4; g++) for (let j = 0; j < 2; j++) assert.ok(Math.abs(yv[1]![2]![3]![j * 4 + g]! - xv[1]![2]![3]![g * 2 + j]!) < 1e-6, 'bypassed channels pass unchanged');
  assert.equal(pc.ops[2]!.numParams(), 2 * 2 + 2, 'ops built on C/K = 2 channels (1×1 conv + bias)');
  // Reduction edge: stride 2 halves the bypass by max-pool.
  const red = new MixedOp(DARTS_OPS, 8, 8, 2, { affine: false, poolBn: true }, new Rng(1), 2);
  assert.deepEqual(red.forward(inp, tf.softmax(tf.zeros([8])), ctx).shape, [2, 3, 3, 8]);
  // K = 1: exactly Σ_o w_o·op_o(x).
  const plain = new MixedOp(NB201_OPS, 8, 8, 1, { affine: false }, new Rng(9), 1);
  const manual = tf.addN(plain.ops.map((op, o) => tf.mul(op.forward(inp, ctx), tf.slice(w, [o], [1]))));
  assert.ok(tf.max(tf.abs(tf.sub(plain.forward(inp, w, ctx), manual))).dataSync()[0]! < 1e-6);
  // Edge normalisation: softmax within each node's incoming edges.
  const e = Array.from(edgeSoftmax(tf.tensor1d([0, 0, 0, 0, 0, 0]), 'nb201').dataSync());
  assert.deepEqual(
    e.map((v) => +v.toFixed(4)),
    [1, 0.5, 0.5, 0.3333, 0.3333, 0.3333],
  );
  pc.dispose();
  red.dispose();
  plain.dispose();
});

test('derivation on hand-made α: NB201 argmax per edge; DARTS top-2 edges per node, `none` excluded, β rescales edges', () => {
  const w = Array.from({ length: 6 }, (_, e) => NB201_OPS.map((__, o) => (o === (e + 1) % 5 ? 0.6 : 0.1)));
  assert.deepEqual(deriveNb201(w).ops, ['skip_connect', 'nor_conv_1x1', 'nor_conv_3x3', 'avg_pool_3x3', 'none', 'skip_connect']);
  const rows = Array.from({ length: 14 }, (_, e) => DARTS_OPS.map((op, o) => (op === 'none' ? 0.5 : o === 4 ? 0.1 + 0.01 * e : 0.05)));
  const g = deriveDarts(rows, rows);
  // node 3 (edges 2,3,4 from inputs 0,1,2): the largest two are edges 3, 4 → inputs 1, 2.
  assert.deepEqual(g.normal.slice(2, 4), [
    ['sep_conv_3x3', 1],
    ['sep_conv_3x3', 2],
  ]);
  // With β favouring input 0 of node 3, edge 2 wins.
  const eN = Array.from({ length: 14 }, (_, k) => (k === 2 ? 0.9 : 0.05));
  assert.deepEqual(
    deriveDarts(rows, rows, eN, eN)
      .normal.slice(2, 4)
      .map(([, j]) => j),
    [0, 2],
  );
});

test('optimizers follow PyTorch (SGD momentum + wd, Adam bias correction) and cosine lr', () => {
  const p = tf.variable(tf.tensor1d([1, -2]));
  const sgd = new Sgd([p], { momentum: 0.9, weightDecay: 0.1 });
  sgd.step([tf.tensor1d([0.5, 0.5])], { lr: 0.1 }); // d = g + 0.1p = [0.6, 0.3]; p = [0.94, -2.03]
  sgd.step([tf.tensor1d([0.5, 0.5])], { lr: 0.1 }); // d = [0.594, 0.297]; buf = 0.9·[0.6,0.3]+d = [1.134, 0.567]
  const v = Array.from(p.dataSync());
  assert.ok(Math.abs(v[0]! - (0.94 - 0.1134)) < 1e-6 && Math.abs(v[1]! - (-2.03 - 0.0567)) < 1e-6, `${v}`);
  const q = tf.variable(tf.tensor1d([1]));
  const adam = new Adam([q], { beta1: 0.5, beta2: 0.999 });
  adam.step([tf.tensor1d([2])], { lr: 0.01 }); // first step moves by lr·sign(g)
  assert.ok(Math.abs(q.dataSync()[0]! - 0.99) < 1e-6);
  assert.equal(cosineLr({ base: 0.025, min: 0.001, epoch: 0, epochs: 50 }), 0.025);
  assert.ok(Math.abs(cosineLr({ base: 0.025, min: 0.001, epoch: 25, epochs: 50 }) - 0.013) < 1e-12);
  sgd.dispose();
  adam.dispose();
  p.dispose();
  q.dispose();
});

const strip = (h: EpochRecord[]) => h.map(({ seconds: _s, numTensors: _n, ...r }) => r);

for (const strategy of ['darts', 'ms-darts', 'pc-darts', 'single-darts/sgd'] as const) {
  test(`${strategy}: 1 epoch + resume gives the same α, genotype and history as 2 epochs straight; memory flat`, async () => {
    const ds = loadDataset('synthetic', { split: 'train', limit: 64, seed: 2, synthetic: { height: 8 } });
    const cfg = strategy === 'single-darts/sgd' ? buildConfig('nb201', 'single-darts', 'tiny', 5, { epochs: 2, archOptimizer: 'sgd' }) : buildConfig('nb201', strategy, 'tiny', 5, { epochs: 2 });
    if (strategy === 'pc-darts') cfg.warmupEpochs = 0;
    const before = tf.memory().numTensors;
    const straight = await runSearch(cfg, ds, { outDir: mkdtempSync(join(tmpdir(), 'tsnas-straight-')) });
    assert.equal(tf.memory().numTensors, before, 'no tensors left after a run');
    assert.equal(straight.history[0]!.numTensors, straight.history[1]!.numTensors, 'flat tensor count across epochs');
    const dir = mkdtempSync(join(tmpdir(), 'tsnas-resume-'));
    const part = await runSearch(cfg, ds, { outDir: dir, stopAfterEpochs: 1 });
    assert.equal(part.stopped, true);
    assert.equal(part.epochs, 1);
    const resumed = await runSearch(cfg, ds, { outDir: dir, resume: true });
    assert.equal(resumed.resumedFrom, 1);
    assert.equal(resumed.genotype, straight.genotype);
    assert.deepEqual(strip(resumed.history), strip(straight.history));
    assert.ok(existsSync(join(dir, 'checkpoint.json')));
    // Another config must not resume from this checkpoint.
    await assert.rejects(() => runSearch({ ...cfg, seed: 6 }, ds, { outDir: dir, resume: true }), /another configuration/);
  });
}

test('CLI: tsnas search --strategy darts on synthetic data prints the JSON contract, checkpoints, plots', () => {
  const out = mkdtempSync(join(tmpdir(), 'tsnas-cli-'));
  const stdout = execFileSync(
    process.execPath,
    [
      '--import',
      'tsx',
      join(REPO_ROOT, 'src/cli/main.ts'),
      'search',
      '--space',
      'nb201',
      '--strategy',
      'darts',
      '--dataset',
      'synthetic',
      '--preset',
      'cpu-small',
      '--epochs',
      '1',
      '--data-limit',
      '128',
      '--backend',
      'wasm',
      '--seed',
      '3',
      '--out',
      out,
      '--plot',
      join(out, 'alpha.svg'),
      '--json',
    ],
    { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines = stdout.trim().split('\n');
  const r = JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>;
  assert.match(r['genotype'] as string, /^\|[a-z_0-9]+~0\|\+/);
  assert.equal(r['epochs'], 1);
  assert.equal(typeof r['wall_s'], 'number');
  assert.ok('bench' in r);
  assert.ok(existsSync(join(out, 'checkpoint.json')));
  assert.match(readFileSync(join(out, 'alpha.svg'), 'utf8'), /^<svg/);
});

test('NB201 derivation: argmax over all ops, or over all but none', () => {
  const w = [
    [0.3, 0.1, 0.2, 0.25, 0.15],
    [0.1, 0.4, 0.2, 0.2, 0.1],
    [0.2, 0.2, 0.2, 0.2, 0.2],
    [0.5, 0.1, 0.1, 0.1, 0.2],
    [0.1, 0.1, 0.1, 0.1, 0.6],
    [0.2, 0.3, 0.2, 0.2, 0.1],
  ];
  assert.deepEqual(deriveNb201(w).ops, ['none', 'skip_connect', 'none', 'none', 'avg_pool_3x3', 'skip_connect']);
  // ties go to the first op; without none, the first remaining one
  assert.deepEqual(deriveNb201(w, true).ops, ['nor_conv_3x3', 'skip_connect', 'skip_connect', 'avg_pool_3x3', 'avg_pool_3x3', 'skip_connect']);
});

test('--warmup-epochs: α stays fixed through the warm-up epochs and moves after; a warm-up as long as the run is refused', async () => {
  const ds = loadDataset('synthetic', { split: 'train', limit: 64, seed: 2, synthetic: { height: 8 } });
  const cfg = buildConfig('nb201', 'single-darts', 'tiny', 5, { epochs: 3, warmupEpochs: 2 });
  assert.equal(cfg.warmupEpochs, 2);
  const r = await runSearch(cfg, ds, {});
  assert.deepEqual(
    r.history.map((h) => h.archActive),
    [false, false, true],
  );
  assert.deepEqual(r.history[1]!.alpha, r.history[0]!.alpha, 'no α step during warm-up');
  assert.notDeepEqual(r.history[2]!.alpha, r.history[1]!.alpha, 'α steps once warm-up is over');
  assert.ok(r.history[1]!.trainLoss !== r.history[0]!.trainLoss, 'weights train during warm-up');
  assert.equal(buildConfig('nb201', 'pc-darts', 'cpu-small', 0).warmupEpochs, 6, 'default: pc-darts warms up 30 % of its 20 epochs');
  assert.equal(buildConfig('nb201', 'pc-darts', 'cpu-small', 0, { warmupEpochs: 0 }).warmupEpochs, 0, 'override to none');
  assert.throws(() => buildConfig('nb201', 'single-darts', 'cpu-small', 0, { epochs: 4, warmupEpochs: 4 }), /--warmup-epochs 4 leaves no epoch for α: it must be below --epochs \(4\)/);
});

test('search batches are augmented as DARTS searches (crop 4 px at 32 px, scaled; flip), and can be turned off', async () => {
  assert.deepEqual(buildConfig('nb201', 'darts', 'paper', 0).augment, { cropPadding: 4, flip: true });
  assert.deepEqual(buildConfig('nb201', 'single-darts', 'cpu-small', 0).augment, { cropPadding: 2, flip: true }, 'cpu-small: 16 px, 2 px padding');
  assert.deepEqual(buildConfig('darts', 'pc-darts', 'cpu-small', 0, { imageSize: 32 }).augment, { cropPadding: 4, flip: true });
  assert.deepEqual(buildConfig('nb201', 'darts', 'cpu-small', 0, { cropPadding: 0 }).augment, { cropPadding: 0, flip: true });
  assert.equal(buildConfig('nb201', 'darts', 'cpu-small', 0, { cropPadding: 0, flip: false }).augment, undefined);
  assert.equal(buildConfig('nb201', 'darts', 'tiny', 0).augment, undefined, 'tiny (tests) stays unaugmented');
  // the trainer feeds augmented batches: same seed, with and without, different first-epoch losses
  const ds = loadDataset('synthetic', { split: 'train', limit: 64, seed: 2, synthetic: { height: 8 } });
  const plain = buildConfig('nb201', 'single-darts', 'tiny', 5, { epochs: 1 });
  const before = tf.memory().numTensors;
  const a = await runSearch(plain, ds, {});
  const b = await runSearch({ ...plain, augment: { cropPadding: 2, flip: true } }, ds, {});
  assert.equal(tf.memory().numTensors, before);
  assert.notEqual(a.history[0]!.trainLoss, b.history[0]!.trainLoss);
  assert.equal(b.history[0]!.valLoss === a.history[0]!.valLoss, false, 'weights differ after augmented steps');
});

test('--op-affine: NB201 candidate ops get BN γ, β (and their convs lose the bias); refused for the DARTS space', () => {
  const spec = { space: 'nb201' as const, C: 4, depth: 1, numClasses: 3, inputShape: [6, 6, 3] as const, partialK: 1, edgeNorm: false };
  const count = (opAffine: boolean) => {
    const m = new SearchModel({ ...spec, opAffine }, new Rng(1));
    const n = m.weights().length;
    m.dispose();
    return n;
  };
  // 3 cells (one per stage) × 6 edges × 2 conv ops × (γ, β − the conv bias NB201 gives non-affine convs)
  assert.equal(count(true) - count(false), 3 * 6 * 2 * (2 - 1));
  assert.equal(buildConfig('nb201', 'single-darts', 'cpu-small', 0, { opAffine: true }).opAffine, true);
  assert.equal(buildConfig('nb201', 'single-darts', 'cpu-small', 0).opAffine, undefined, 'default config unchanged');
  assert.throws(() => buildConfig('darts', 'darts', 'cpu-small', 0, { opAffine: true }), /--op-affine is an NB201-supernet diagnostic/);
});
