import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { tf, type Tensor4D } from '../../src/engine/tf.js';
import { initBackend } from '../../src/engine/backend.js';
import { BatchNorm, Conv2d, Linear, globalAvgPool } from '../../src/nn/layers.js';
import { relu, type ForwardCtx } from '../../src/nn/module.js';
import { Network, type NetworkOutput } from '../../src/nn/network.js';
import { loadDataset } from '../../src/data/index.js';
import { parseArch } from '../../src/spaces/index.js';
import { Rng } from '../../src/util/rng.js';
import {
  addHamming,
  collectActivationStats,
  DAS_TWO_TERM,
  DEFAULT_DAS,
  dasScore,
  dasTerms,
  kernelFromHamming,
  logAbsDet,
  naswotScore,
  packCodes,
  parseDasRule,
  parseProxyList,
  popcount32,
  scoreArch,
  slogdet,
  symEigenvalues,
  synflow,
  symmetrize,
} from '../../src/proxies/index.js';
import { addHammingJs, packCodesJs } from '../../src/proxies/bits.js';
import { nativeAvailable } from '../../src/engine/native/index.js';
import { REPO_ROOT } from '../helpers/data-paths.js';
import { nb201Path, nb201SkipReason } from '../helpers/bench-path.js';

const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) <= eps * Math.max(1, Math.abs(b)), `expected ${b}, got ${a}`);

test('slogdet: hand-computed determinants, sign, singular', () => {
  close(logAbsDet(Float64Array.from([4, 2, 1, 2, 4, 1, 1, 1, 4]), 3), Math.log(44));
  const perm = slogdet(Float64Array.from([0, 1, 1, 0]), 2);
  assert.equal(perm.sign, -1);
  close(perm.logabsdet, 0);
  assert.equal(slogdet(Float64Array.from([1, 2, 2, 4]), 2).logabsdet, -Infinity);
  // A random SPD matrix: ln det = Σ ln eigenvalues.
  const rng = new Rng(3);
  const n = 12;
  const g = Array.from({ length: n * n }, () => rng.normal());
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = i === j ? 0.5 : 0;
      for (let k = 0; k < n; k++) s += g[i * n + k]! * g[j * n + k]!;
      a[i * n + j] = s;
    }
  const ev = symEigenvalues(a, n);
  close(
    logAbsDet(a, n),
    ev.reduce((s, v) => s + Math.log(v), 0),
    1e-8,
  );
});

test('NASWOT codes: the native pack and popcount Hamming equal the JS reference bit for bit (parallel sizes, ragged last word)', { skip: nativeAvailable() ? false : 'native addon not built' }, () => {
  const rng = new Rng(11);
  for (const [b, units] of [
    [5, 33],
    [64, 3001],
    [128, 3000],
  ] as const) {
    const x = Float32Array.from({ length: b * units }, () => (rng.next() < 0.05 ? 0 : rng.normal()));
    const words = (units + 31) >>> 5;
    const pn = packCodes(x, b, units);
    const pj = packCodesJs(x, b, units);
    assert.deepEqual(pn, pj, `packed codes, ${b}×${units}`);
    const [hn, hj] = [new Float64Array(b * b).fill(1), new Float64Array(b * b).fill(1)];
    addHamming(pn, b, words, hn, 3);
    addHammingJs(pj, b, words, hj, 3);
    assert.deepEqual(hn, hj, `distances, ${b}×${units}`);
  }
});

test('NASWOT kernel: popcount Gram equals the naive float64 c·cᵀ + (1−c)(1−c)ᵀ', () => {
  // Hand case: 3 inputs, 4 units. d12 = 2, d13 = 3, d23 = 3 -> K = [[4,2,1],[2,4,1],[1,1,4]], det 44.
  const codes = [1, 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1].map((c) => (c ? 0.5 : -0.5));
  const packed = packCodes(codes, 3, 4);
  const d = new Float64Array(9);
  addHamming(packed, 3, 1, d);
  symmetrize(d, 3);
  assert.deepEqual([...d], [0, 2, 3, 2, 0, 3, 3, 3, 0]);
  close(logAbsDet(kernelFromHamming(d, 3, 4), 3), Math.log(44));
  // Random case over many words (crosses the 31-word folding boundary), zeros count as inactive.
  const rng = new Rng(7);
  const b = 9;
  const units = 2000;
  const x = Float32Array.from({ length: b * units }, () => (rng.next() < 0.1 ? 0 : rng.normal()));
  const p = packCodes(x, b, units);
  const h = new Float64Array(b * b);
  addHamming(p, b, (units + 31) >>> 5, h, 2);
  symmetrize(h, b);
  for (let i = 0; i < b; i++)
    for (let j = 0; j < b; j++) {
      let k = 0;
      for (let u = 0; u < units; u++) {
        const ci = x[i * units + u]! > 0 ? 1 : 0;
        const cj = x[j * units + u]! > 0 ? 1 : 0;
        k += ci * cj + (1 - ci) * (1 - cj);
      }
      assert.equal(units - h[i * b + j]! / 2, k, `K[${i},${j}]`);
    }
  assert.equal(popcount32(0xffffffff), 32);
  assert.equal(popcount32(0x80000001), 2);
});

test('DAS: units + dis = NASWOT, λ=1 rule equals NASWOT, rule parsing', async () => {
  await initBackend('auto');
  const data = loadDataset('synthetic', { split: 'train', limit: 64 });
  const net = new TinyNet(new Rng(1), [data.height, data.width, data.channels], 4, 3);
  const x = tf.tensor4d(data.images.subarray(0, 16 * data.height * data.width * data.channels), [16, data.height, data.width, data.channels]);
  const s = collectActivationStats(net, x);
  x.dispose();
  net.dispose();
  const wot = naswotScore(s);
  const { units, dis } = dasTerms(s);
  close(units + dis, wot, 1e-12);
  close(dasScore(s, parseDasRule('das:kernel=whole,lambda=1')), wot, 1e-12);
  close(dasScore(s, parseDasRule('das:lambda=0')), dis, 0);
  assert.equal(parseDasRule('das').name, parseDasRule(DEFAULT_DAS).name);
  assert.throws(() => parseDasRule('das:kernel=foo'));
  // The connection term adds γ·B·ln(MACs) to the rule without it, and needs the MACs.
  const conn = parseDasRule('das:kernel=whole,lambda=0.5,conn=0.3');
  assert.equal(conn.name, 'das:kernel=whole,lambda=0.5,conn=0.3');
  close(dasScore(s, conn, {}, 1234), dasScore(s, parseDasRule('das:kernel=whole,lambda=0.5')) + 0.3 * 16 * Math.log(1234), 1e-12);
  assert.throws(() => dasScore(s, conn), /multiply-accumulates/);
  assert.throws(() => parseDasRule('das:conn=x'), /conn must be a number/);
  assert.deepEqual(parseProxyList('das:lambda=1,conn=0.2,naswot'), ['das:lambda=1,conn=0.2', 'naswot']);
  assert.deepEqual(parseProxyList('naswot,das:kernel=layer,lambda=0.5,params'), ['naswot', 'das:kernel=layer,lambda=0.5', 'params']);
  assert.throws(() => parseProxyList('nope'));
});

/** conv1x1 chain → BN → ReLU → GAP → linear: small enough to compute synflow by hand. */
class TinyNet extends Network {
  readonly inputShape: readonly [number, number, number];
  readonly convs: Conv2d[] = [];
  readonly bn: BatchNorm;
  readonly fc: Linear;
  constructor(rng: Rng, shape: readonly [number, number, number], width: number, depth: number, outClasses = 1) {
    super();
    this.inputShape = shape;
    let c = shape[2];
    for (let i = 0; i < depth; i++) {
      this.convs.push(this.child(`c${i}`, new Conv2d(c, width, 1, rng)));
      c = width;
    }
    this.bn = this.child('bn', new BatchNorm(width));
    this.fc = this.child('fc', new Linear(width, outClasses, rng));
  }
  forwardFull(x: Tensor4D, ctx: ForwardCtx): NetworkOutput {
    let h = x;
    for (const c of this.convs) h = relu(c.forward(h, ctx), ctx) as Tensor4D;
    h = relu(this.bn.forward(h, ctx), ctx) as Tensor4D;
    return { logits: this.fc.forward(globalAvgPool(h), ctx) };
  }
}

test('synflow: hand computation, BN removed, biases excluded, weights restored, overflow-safe', async () => {
  await initBackend('auto');
  const net = new TinyNet(new Rng(0), [1, 1, 1], 2, 1);
  net.convs[0]!.weight.assign(tf.tensor4d([-0.5, 2], [1, 1, 1, 2]));
  net.bn.gamma!.assign(tf.tensor1d([3, -1]));
  net.bn.beta!.assign(tf.tensor1d([0.7, 0.2]));
  net.fc.weight.assign(tf.tensor2d([-1.5, 0.25], [2, 1]));
  net.fc.bias.assign(tf.tensor1d([5]));
  // R = |a||c| + |b||d| = 0.75 + 0.5; Σ|θ ∂R/∂θ| over conv + linear weights = 2R = 2.5.
  close(synflow(net), Math.log1p(2.5), 1e-6);
  assert.deepEqual([...net.convs[0]!.weight.dataSync()], [-0.5, 2]);
  assert.deepEqual([...net.bn.gamma!.dataSync()], [3, -1]);
  net.dispose();
  // 10 layers of gain 1e4: R = 1e40 overflows float32; every weight's term is R, so Σ = 11·1e40.
  const deep = new TinyNet(new Rng(0), [1, 1, 1], 1, 10);
  for (const c of deep.convs) c.weight.assign(tf.tensor4d([-1e4], [1, 1, 1, 1]));
  deep.fc.weight.assign(tf.tensor2d([1], [1, 1]));
  close(synflow(deep), Math.log(11) + 40 * Math.log(10), 1e-5);
  deep.dispose();
});

test('scores are deterministic for a seed; no tensors leak across repeated scoring', async () => {
  await initBackend('auto');
  const data = loadDataset('synthetic', { split: 'train', limit: 64, synthetic: { height: 8 } });
  const arch = parseArch('nb201', '|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|');
  const proxies = ['naswot', 'das', 'params', 'synflow', 'snip', 'grad_norm', 'jacob_cov'];
  const ctx = { data, batch: 16, seed: 5 };
  const first = scoreArch(arch, proxies, ctx);
  const before = tf.memory().numTensors;
  const second = scoreArch(arch, proxies, ctx);
  const third = scoreArch(arch, proxies, { ...ctx, train: { steps: 2, lr: 0.05, batch: 8, momentum: 0.9 } });
  assert.equal(tf.memory().numTensors, before);
  // Bit-identical at a fixed thread count; the native backend's load governor may score the two on
  // different thread counts (a busy machine), which reorders float sums (~1e-9 relative, seen for snip).
  for (const p of proxies) {
    const [a, b] = [first.scores[p]!, second.scores[p]!];
    assert.ok(Number.isFinite(a), `${p} = ${a}`);
    assert.ok(Math.abs(a - b) <= 1e-7 * Math.max(1, Math.abs(a)), `${p}: ${a} vs ${b}`);
  }
  assert.notEqual(third.scores.naswot, first.scores.naswot);
  const other = scoreArch(arch, ['naswot'], { ...ctx, seed: 6 });
  assert.notEqual(other.scores.naswot, first.scores.naswot);
  // The default DAS is the two-term rule plus γ·B·ln(MACs per image), MACs as the flops proxy counts them.
  const split = scoreArch(arch, [DAS_TWO_TERM, 'flops'], ctx).scores;
  const gamma = parseDasRule(DEFAULT_DAS).conn;
  assert.ok(gamma > 0);
  close(first.scores.das!, split[DAS_TWO_TERM]! + gamma * 16 * Math.log(split.flops! * 1e6), 1e-9);
});

test('scoring across worker processes gives the in-process scores; stops early; names a failing arch', async () => {
  await initBackend('auto');
  const { scorePoolWorkers } = await import('../../src/proxies/workers.js');
  const data = loadDataset('synthetic', { split: 'train', limit: 64, synthetic: { height: 8 } });
  const texts = [
    '|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|',
    '|nor_conv_1x1~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|nor_conv_3x3~1|avg_pool_3x3~2|',
    '|none~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_1x1~0|skip_connect~1|nor_conv_3x3~2|',
    '|avg_pool_3x3~0|+|nor_conv_1x1~0|nor_conv_1x1~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_1x1~2|',
    '|skip_connect~0|+|none~0|none~1|+|none~0|none~1|none~2|',
  ];
  const archs = texts.map((t) => parseArch('nb201', t));
  const proxies = ['naswot', 'das', 'params', 'synflow'];
  const ctx = { data, batch: 16, seed: 3 };
  const backend = tf.getBackend();
  const got = new Map<number, Record<string, number>>();
  const r = await scorePoolWorkers(archs, proxies, ctx, { workers: 2, backend, onResult: (s, k) => got.set(k, s.scores) });
  assert.deepEqual(r, { scored: texts.length, stopped: false });
  archs.forEach((a, k) => {
    const want = scoreArch(a, proxies, ctx).scores;
    for (const p of proxies) {
      const [x, y] = [got.get(k)![p]!, want[p]!];
      // (−∞ for the disconnected cell's NASWOT; float sums may differ with the thread count)
      assert.ok(x === y || Math.abs(x - y) <= 1e-7 * Math.max(1, Math.abs(y)), `${texts[k]} ${p}: worker ${x} vs in-process ${y}`);
    }
  });
  // stop after the first result: the architectures in flight finish, no new ones start
  let seen = 0;
  const stopped = await scorePoolWorkers(archs, ['params'], ctx, { workers: 2, backend, onResult: () => seen++, shouldStop: () => seen > 0 });
  assert.equal(stopped.stopped, true);
  assert.ok(stopped.scored >= 1 && stopped.scored <= 2 && stopped.scored === seen, `scored ${stopped.scored}`);
  // a worker's error comes back naming the architecture (workers re-parse the text they are sent)
  const bogus = { ...archs[1]!, text: '|nor_conv_3x3~0|+|bogus~0|' } as (typeof archs)[number];
  await assert.rejects(scorePoolWorkers([archs[0]!, bogus], ['params'], ctx, { workers: 2, backend }), (e: Error) => e.message.startsWith('scoring |nor_conv_3x3~0|+|bogus~0|: '));
});

function cli(args: string[]): { status: number | null; last: Record<string, unknown>; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 300_000 });
  const lines = r.stdout.trim().split('\n');
  let last: Record<string, unknown> = {};
  try {
    last = JSON.parse(lines[lines.length - 1] ?? '{}');
  } catch {
    /* leave empty: the assertion below reports stdout */
  }
  assert.equal(r.status, 0, `stderr: ${r.stderr}\nstdout: ${r.stdout}`);
  return { status: r.status, last, stderr: r.stderr };
}

test('CLI: tsnas score --json on the synthetic dataset', () => {
  const { last } = cli([
    'score',
    '--space',
    'nb201',
    '--arch',
    '|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|',
    '--proxies',
    'naswot,das,dis,units,params,flops,synflow',
    '--dataset',
    'synthetic',
    '--batch',
    '8',
    '--data-limit',
    '64',
    '--seed',
    '1',
    '--json',
  ]);
  const results = last.results as { arch: string; scores: Record<string, number> }[];
  assert.equal(results.length, 1);
  assert.equal(results[0]!.arch, '|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|');
  for (const k of ['naswot', 'das', 'dis', 'units', 'params', 'flops', 'synflow']) assert.equal(typeof results[0]!.scores[k], 'number', k);
  close(results[0]!.scores.units! + results[0]!.scores.dis!, results[0]!.scores.naswot!, 1e-12);
});

test('CLI: tsnas search --no-progress drops the scoring bar (shown by default, also off a terminal)', () => {
  const args = ['search', '--space', 'nb201', '--strategy', 'naswot', '--n', '2', '--dataset', 'synthetic', '--batch', '8', '--data-limit', '32', '--backend', 'cpu', '--json'];
  assert.match(cli(args).stderr, /scoring \[/);
  assert.doesNotMatch(cli([...args, '--no-progress']).stderr, /scoring \[/);
});

test('CLI: correlate and search --strategy naswot on the synthetic dataset', { skip: nb201SkipReason }, () => {
  const c = cli([
    'correlate',
    '--space',
    'nb201',
    '--bench',
    nb201Path,
    '--proxies',
    'naswot,params',
    '--n',
    '4',
    '--seed',
    '2',
    '--dataset',
    'synthetic',
    '--batch',
    '8',
    '--data-limit',
    '64',
    '--json',
  ]).last;
  assert.equal(c.n, 4);
  assert.equal(c.seed, 2);
  assert.equal(c.target, 'cifar10_test_acc');
  assert.equal(typeof (c.kendall as Record<string, number>).naswot, 'number');
  assert.equal(typeof (c.spearman as Record<string, number>).params, 'number');
  const s = cli(['search', '--space', 'nb201', '--strategy', 'naswot', '--n', '3', '--bench', nb201Path, '--dataset', 'synthetic', '--batch', '8', '--data-limit', '64', '--json']).last;
  assert.match(s.genotype as string, /^\|.*\|$/);
  assert.equal(typeof (s.bench as Record<string, number>).cifar10_test_acc, 'number');
  // DAS-guided: the pick's score is what `tsnas score` gives that cell with the same data and seed.
  const d = cli([
    'search',
    '--space',
    'nb201',
    '--strategy',
    'naswot',
    '--proxy',
    'das',
    '--n',
    '3',
    '--seed',
    '4',
    '--bench',
    nb201Path,
    '--dataset',
    'synthetic',
    '--batch',
    '8',
    '--data-limit',
    '64',
    '--json',
  ]).last;
  assert.equal(d.proxy, 'das');
  const again = cli(['score', '--space', 'nb201', '--arch', d.genotype as string, '--proxies', 'das', '--seed', '4', '--dataset', 'synthetic', '--batch', '8', '--data-limit', '64', '--json'])
    .last as { results: { scores: Record<string, number> }[] };
  assert.ok(Math.abs(again.results[0]!.scores.das! - (d.score as number)) < 1e-9 * Math.abs(d.score as number));
});
