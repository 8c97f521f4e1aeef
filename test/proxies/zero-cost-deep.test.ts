/**
 * The zero-cost proxies on deep networks (issue "DAS beyond NAS-Bench-201", part 3): synflow against
 * a float64 computation on a small network whose R overflows float32, and every proxy finite on
 * random NB101 and DARTS networks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, type Tensor4D } from '../../src/engine/tf.js';
import { initBackend } from '../../src/engine/backend.js';
import { BatchNorm, Conv2d, Linear, convThenBn, globalAvgPool } from '../../src/nn/layers.js';
import { atCut, relu, type ForwardCtx } from '../../src/nn/module.js';
import { Network, type NetworkOutput } from '../../src/nn/network.js';
import { loadDataset } from '../../src/data/index.js';
import { getSpace, sampleArch } from '../../src/spaces/index.js';
import { Rng } from '../../src/util/rng.js';
import { scoreArch, synflow } from '../../src/proxies/index.js';

const H = 4;
const CIN = 2;
const C = 3;
const CLASSES = 4;
const BLOCKS = 80;
const POOL_AFTER = 40;

/**
 * stem conv3×3-BN, then BLOCKS residual blocks h + BN(conv3×3(ReLU h)) with an average pool 2/2
 * after block POOL_AFTER, GAP, linear with a bias. Paths of every depth from 2 to BLOCKS + 2 layers,
 * so Σ W·∂R/∂W is not (layers)·R (it is 0.92·82·R). Block weights are 8× PyTorch's init: each block
 * multiplies R by about 14, and R(1) = 2.7e89, past float32 (3.4e38) and past a single global scale (1e68).
 */
class DeepResNet extends Network {
  readonly inputShape = [H, H, CIN] as const;
  readonly stem: Conv2d;
  readonly stemBn: BatchNorm;
  readonly convs: Conv2d[] = [];
  readonly bns: BatchNorm[] = [];
  readonly fc: Linear;
  constructor(
    rng: Rng,
    readonly cuts: boolean,
  ) {
    super();
    this.stem = this.child('stem', new Conv2d(CIN, C, 3, rng, { padding: 1 }));
    this.stemBn = this.child('stem_bn', new BatchNorm(C));
    for (let i = 0; i < BLOCKS; i++) {
      const conv = this.child(`b${i}.conv`, new Conv2d(C, C, 3, rng, { padding: 1 }));
      conv.weight.assign(tf.mul(conv.weight, 8));
      this.convs.push(conv);
      this.bns.push(this.child(`b${i}.bn`, new BatchNorm(C)));
    }
    this.fc = this.child('fc', new Linear(C, CLASSES, rng));
  }
  forwardFull(x: Tensor4D, ctx: ForwardCtx): NetworkOutput {
    const cut = (t: Tensor4D) => (this.cuts ? (atCut(ctx, [t])[0] as Tensor4D) : t);
    let h = cut(convThenBn(this.stem, this.stemBn, x, ctx));
    this.convs.forEach((conv, i) => {
      h = cut(tf.add(h, convThenBn(conv, this.bns[i]!, relu(h, ctx) as Tensor4D, ctx)));
      if (i === POOL_AFTER - 1) h = tf.avgPool(h, 2, 2, 'valid');
    });
    return { logits: this.fc.forward(globalAvgPool(h), ctx) };
  }
}

/** An HWC map of float64s. */
interface Map64 {
  h: number;
  c: number;
  v: Float64Array;
}

/** 3×3 convolution, padding 1, weights |w| in [ky][kx][cin][cout] order, in float64. */
function conv64(x: Map64, w: Float64Array, cout: number): Map64 {
  const { h, c } = x;
  const y = new Float64Array(h * h * cout);
  for (let i = 0; i < h; i++)
    for (let j = 0; j < h; j++)
      for (let ky = 0; ky < 3; ky++)
        for (let kx = 0; kx < 3; kx++) {
          const si = i + ky - 1;
          const sj = j + kx - 1;
          if (si < 0 || sj < 0 || si >= h || sj >= h) continue;
          for (let a = 0; a < c; a++) {
            const xv = x.v[(si * h + sj) * c + a]!;
            for (let o = 0; o < cout; o++) y[(i * h + j) * cout + o]! += xv * w[((ky * 3 + kx) * c + a) * cout + o]!;
          }
        }
  return { h, c: cout, v: y };
}

/**
 * R = Σ f(1) of the |W| network with BN and biases removed, in float64, with the weights of layer
 * `zero` (0: stem, 1..BLOCKS: blocks, BLOCKS + 1: linear) set to 0. ReLU is the identity on it.
 */
function r64(ws: Float64Array[], zero: number): number {
  const w = (l: number) => (l === zero ? new Float64Array(ws[l]!.length) : ws[l]!);
  let h: Map64 = conv64({ h: H, c: CIN, v: new Float64Array(H * H * CIN).fill(1) }, w(0), C);
  for (let b = 0; b < BLOCKS; b++) {
    const y = conv64(h, w(b + 1), C);
    h = { h: h.h, c: C, v: h.v.map((v, i) => v + y.v[i]!) };
    if (b === POOL_AFTER - 1) {
      const n = h.h / 2;
      const p = new Float64Array(n * n * C);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++)
          for (let a = 0; a < C; a++) {
            let s = 0;
            for (const [di, dj] of [
              [0, 0],
              [0, 1],
              [1, 0],
              [1, 1],
            ] as const)
              s += h.v[((2 * i + di) * h.h + 2 * j + dj) * C + a]!;
            p[(i * n + j) * C + a] = s / 4;
          }
      h = { h: n, c: C, v: p };
    }
  }
  const gap = new Float64Array(C);
  for (let i = 0; i < h.h * h.h; i++) for (let a = 0; a < C; a++) gap[a]! += h.v[i * C + a]! / (h.h * h.h);
  const fc = w(BLOCKS + 1);
  let r = 0;
  for (let a = 0; a < C; a++) for (let o = 0; o < CLASSES; o++) r += gap[a]! * fc[a * CLASSES + o]!;
  return r;
}

test('synflow equals a float64 computation on an 82-layer residual network whose R (2.7e89) overflows float32', async () => {
  await initBackend('auto');
  const net = new DeepResNet(new Rng(3), true);
  const abs = (t: tf.Tensor) => Float64Array.from(t.dataSync(), Math.abs);
  const ws = [abs(net.stem.weight), ...net.convs.map((c) => abs(c.weight)), abs(net.fc.weight)];
  // R is affine in each layer's weights (each is used once on a path, and there is no max), so
  // Σ_{W in layer l} W·∂R/∂W = R − R(layer l zeroed): the paths through layer l.
  const r = r64(ws, -1);
  let sum = 0;
  for (let l = 0; l < ws.length; l++) sum += r - r64(ws, l);
  assert.ok(r > 1e70 && Number.isFinite(sum), `R = ${r}`);
  // The shortcut synflow = (layers)·R does not hold where paths have different depths.
  assert.ok(Math.abs(sum / (ws.length * r) - 1) > 1e-3, `Σ/(L·R) = ${sum / (ws.length * r)}`);

  const got = synflow(net);
  const want = Math.log(sum); // ln(1 + Σ) = ln Σ here
  // float32 arithmetic in the pass (its rescaling by powers of two is exact): 2.4e-10 here (native), 2.0e-10 on cpu
  assert.ok(Math.abs(got - want) / want < 1e-9, `synflow ${got} vs float64 ${want} (relative ${Math.abs(got - want) / want})`);
  // the weights are restored
  assert.deepEqual(abs(net.fc.weight).length, ws.at(-1)!.length);
  assert.ok(net.stem.weight.dataSync().some((v) => v < 0));
  net.dispose();

  // The same network without cuts: one global scale for the whole pass runs out of float32.
  const noCuts = new DeepResNet(new Rng(3), false);
  assert.ok(Number.isNaN(synflow(noCuts)));
  noCuts.dispose();
});

// 20 random networks of each space at their evaluation size (32×32 input; NB101: stem 128, 3 stacks
// of 3 cells; DARTS: C 36, 20 cells), batch 8. About 90 s on 2 cores.
const PROXIES = ['synflow', 'snip', 'grad_norm', 'jacob_cov', 'zen'];
for (const space of ['nb101', 'darts'] as const) {
  test(`${PROXIES.join(', ')} are finite on 20 random ${space} networks`, async () => {
    await initBackend('auto');
    const data = loadDataset('synthetic', { split: 'train', limit: 16, synthetic: { height: 32 } });
    const rng = new Rng(2026);
    const bad: string[] = [];
    for (let i = 0; i < 20; i++) {
      const a = sampleArch(space, rng);
      const r = scoreArch(a, PROXIES, { data, batch: 8, seed: i });
      for (const p of PROXIES) if (!Number.isFinite(r.scores[p])) bad.push(`${p} = ${r.scores[p]} on ${a.text}`);
    }
    assert.deepEqual(bad, []);
  });
}

test('synflow, snip and grad_norm run on every backend and agree with cpu (wasm has no Conv2DBackpropFilter)', async () => {
  const { testBackends, useBackend } = await import('../helpers/backends.js');
  const { snip, gradNorm } = await import('../../src/proxies/zero-cost.js');
  const values: Record<string, number[]> = {};
  for (const be of await testBackends()) {
    await useBackend(be);
    const net = getSpace('nb201').buildNetwork(getSpace('nb201').sample(new Rng(2)), new Rng(4), { C: 4, N: 1, numClasses: 10, inputShape: [8, 8, 3] });
    const x = tf.randomNormal([4, 8, 8, 3], 0, 1, 'float32', 1) as Tensor4D;
    const y = tf.tensor1d([0, 1, 2, 3], 'int32');
    try {
      values[be] = [synflow(net), snip(net, x, y, 10), gradNorm(net, x, y, 10)];
    } finally {
      x.dispose();
      y.dispose();
      net.dispose();
    }
  }
  for (const [be, v] of Object.entries(values))
    v.forEach((s, i) => assert.ok(Number.isFinite(s) && Math.abs(s - values['cpu']![i]!) <= 1e-4 * Math.abs(values['cpu']![i]!), `${be} proxy ${i}: ${s} vs cpu ${values['cpu']![i]}`));
});
