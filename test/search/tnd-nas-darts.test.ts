/**
 * TND-NAS on the DARTS space: the policy (node input pairs and edge ops) samples valid genotypes,
 * its log-probability gradient matches finite differences, shrinking acts on the op rows only, and
 * the supernet mode runs at the tiny preset and continues from any epoch checkpoint as the
 * uninterrupted run.
 */
import { test } from 'node:test';
import { tf } from '../../src/engine/tf.js';
import assert from 'node:assert/strict';
import { buildObjectives, parseObjectives, type ObjectiveContext } from '../../src/objectives/index.js';
import { MooEvaluator } from '../../src/search/moo-common.js';
import {
  DARTS_INPUT_PAIRS,
  DARTS_REAL_OPS,
  DARTS_TND,
  DartsTndPolicy,
  TND_DARTS_PRESETS,
  dartsArchOfChoice,
  dartsChoiceOfGenotype,
  dartsGenotypeOfChoice,
  disposeBatches,
  heldOutSample,
  reinforceGrad,
  rescoreSeed,
  scoringBatches,
  subnetAccuraciesOn,
  subnetAccuracyOnBatches,
  supernetFromCheckpoint,
  tndNasSupernet,
  type TndSupernetState,
} from '../../src/search/tnd-nas/index.js';
import { makeSynthetic } from '../../src/data/index.js';
import { parseArch, validateGenotype, type AnyArch } from '../../src/spaces/index.js';
import { Rng } from '../../src/util/rng.js';
import { useBackend } from '../helpers/backends.js';

const OP_ROWS = 28;

/**
 * A supernet-mode evaluator: `accuracy:supernet` answered by the run's own hook (set through the
 * search's last argument), or from `known` (a resumed run's stored evaluations).
 */
function supernetEvaluator(hook: { f?: (a: AnyArch) => number }, known?: Map<string, number>): MooEvaluator {
  const ctx: ObjectiveContext = { space: 'darts', supernetAccuracy: (a) => known?.get(a.text) ?? hook.f!(a) };
  return new MooEvaluator(buildObjectives(parseObjectives('accuracy:supernet,params'), ctx), 1000);
}

/** Euclidean distance between two checkpoints' weights (base64 float32 tensors, in order). */
function weightDistance(a: string[], b: string[]): number {
  const f32 = (b64: string) => new Float32Array(new Uint8Array(Buffer.from(b64, 'base64')).buffer);
  let sq = 0;
  a.forEach((w, i) => {
    const [x, y] = [f32(w), f32(b[i]!)];
    x.forEach((v, j) => (sq += (v - y[j]!) ** 2));
  });
  return Math.sqrt(sq);
}

/** A policy with α spread out (so sampling and gradients are not those of a uniform policy). */
function spreadPolicy(seed: number): DartsTndPolicy {
  const pol = new DartsTndPolicy(new Rng(seed));
  const r = new Rng(seed + 100);
  pol.alpha.forEach((row) => row.forEach((_, k) => (row[k] = 1.5 * r.normal())));
  return pol;
}

test('tnd-nas darts policy: samples are valid genotypes with two distinct inputs per node; choice ↔ genotype round-trips', () => {
  const ops = new Set<string>();
  const pairs = new Set<string>();
  for (let seed = 0; seed < 200; seed++) {
    const pol = seed % 2 ? spreadPolicy(seed) : new DartsTndPolicy(new Rng(seed));
    const c = pol.sample(new Rng(seed * 7 + 1));
    assert.equal(c.length, DartsTndPolicy.ROWS);
    assert.equal(c.slice(0, OP_ROWS).filter((k) => k >= 0).length, 16, 'two edges per node, 4 nodes, 2 cells');
    const g = dartsGenotypeOfChoice(c);
    validateGenotype(g);
    for (const cell of [g.normal, g.reduce]) {
      for (let n = 0; n < 4; n++) {
        const [a, b] = [cell[2 * n]!, cell[2 * n + 1]!];
        assert.ok(a[1] < b[1] && b[1] < n + 2, `node ${n + 2} inputs ${a[1]}, ${b[1]}`);
        pairs.add(`${n}:${a[1]}+${b[1]}`);
        ops.add(a[0]).add(b[0]);
      }
    }
    assert.deepEqual(dartsChoiceOfGenotype(g), c);
    const a = dartsArchOfChoice(c);
    assert.equal(parseArch('darts', a.text).text, a.text, 'the text form parses back to itself');
  }
  assert.deepEqual([...ops].sort(), [...DARTS_REAL_OPS].sort(), 'every real op and never none');
  assert.equal(pairs.size, 1 + 3 + 6 + 10, 'every input pair of every node');
});

test('tnd-nas darts policy: sampling frequencies follow softmax(α) of the pair and op rows', () => {
  const pol = spreadPolicy(3);
  const rng = new Rng(4);
  const pairRow = DartsTndPolicy.pairRow(1, 5);
  const opRow = DartsTndPolicy.opRow(0, 0); // edge 2<-0: used whenever node 2 is sampled (always)
  const nPair = new Array<number>(10).fill(0);
  const nOp = new Array<number>(7).fill(0);
  const N = 6000;
  for (let t = 0; t < N; t++) {
    const c = pol.sample(rng);
    nPair[c[pairRow]!]!++;
    nOp[c[opRow]!]!++;
  }
  // 4.5 binomial standard deviations: a wrong row (e.g. uniform, or another row's α) is far outside
  const close = (counts: number[], p: number[], what: string) =>
    counts.forEach((k, i) => assert.ok(Math.abs(k / N - p[i]!) < 4.5 * Math.sqrt((p[i]! * (1 - p[i]!)) / N) + 1e-9, `${what} ${i}: ${k / N} vs ${p[i]}`));
  close(nPair, pol.probs(pairRow), 'pair');
  close(nOp, pol.probs(opRow), 'op');
});

test('tnd-nas darts policy: ∇ log p matches finite differences; unused edges get no gradient', () => {
  const pol = spreadPolicy(8);
  pol.masks[5]![2] = false; // a shrunk op: never sampled, no gradient
  const rng = new Rng(2);
  const h = 1e-6;
  for (let t = 0; t < 4; t++) {
    const c = pol.sample(rng);
    assert.notEqual(c[5], 2, 'a masked op is never sampled');
    const g = pol.gradLogProb(c);
    pol.alpha.forEach((row, r) =>
      row.forEach((a0, k) => {
        row[k] = a0 + h;
        const up = pol.logProb(c);
        row[k] = a0 - h;
        const dn = pol.logProb(c);
        row[k] = a0;
        assert.ok(Math.abs((up - dn) / (2 * h) - g[r]![k]!) < 1e-6, `row ${r} entry ${k}: ${(up - dn) / (2 * h)} vs ${g[r]![k]}`);
        if (c[r]! < 0 || !pol.masks[r]![k]) assert.equal(g[r]![k], 0, `row ${r} (unused or masked) has no gradient`);
      }),
    );
    // log p is the sum over the rows the sample used
    const direct = c.reduce((s, k, r) => (k < 0 ? s : s + Math.log(pol.probs(r)[k]!)), 0);
    assert.ok(Math.abs(pol.logProb(c) - direct) < 1e-12);
  }
  // REINFORCE: −mean_j A_j ∇ log p(c_j)
  const cs = [pol.sample(rng), pol.sample(rng)];
  const G = reinforceGrad(pol, cs, [0.7, -0.2]);
  const g0 = pol.gradLogProb(cs[0]!);
  const g1 = pol.gradLogProb(cs[1]!);
  G.forEach((row, r) => row.forEach((v, k) => assert.ok(Math.abs(v + (0.7 * g0[r]![k]! - 0.2 * g1[r]![k]!) / 2) < 1e-12)));
});

test('tnd-nas darts policy: shrinking keeps the largest-α ops per edge, leaves the pairs, and samples respect it', () => {
  const pol = spreadPolicy(12);
  const before = pol.alpha.map((r) => [...r]);
  const dropped = pol.shrink(5);
  assert.equal(dropped.length, OP_ROWS * 2);
  for (let r = 0; r < OP_ROWS; r++) {
    const kept = pol.masks[r]!.flatMap((m, k) => (m ? [k] : []));
    assert.equal(kept.length, 5);
    const worstKept = Math.min(...kept.map((k) => before[r]![k]!));
    pol.masks[r]!.forEach((m, k) => !m && assert.ok(before[r]![k]! <= worstKept, `row ${r}: dropped op ${k} had a larger α than a kept one`));
  }
  for (let r = OP_ROWS; r < DartsTndPolicy.ROWS; r++) assert.ok(pol.masks[r]!.every(Boolean), 'pair rows are not shrunk');
  assert.match(pol.label(dropped[0]![0], dropped[0]![1]), /^(normal|reduce) edge \d<-\d: [a-z_0-9]+$/);
  pol.shrink(1);
  const rng = new Rng(1);
  for (let t = 0; t < 50; t++) {
    const c = pol.sample(rng);
    c.forEach((k, r) => k >= 0 && assert.ok(pol.masks[r]![k], `row ${r} sampled a dropped op`));
  }
  // with one op left per edge, argmax is the best pair per node with those ops
  const best = pol.argmax();
  const g = dartsGenotypeOfChoice(best);
  validateGenotype(g);
  for (let node = 2; node < 6; node++) {
    const pr = DartsTndPolicy.pairRow(0, node);
    const row = pol.alpha[pr]!;
    assert.equal(best[pr], row.indexOf(Math.max(...row)));
    assert.deepEqual(
      g.normal.slice(2 * (node - 2), 2 * (node - 2) + 2).map((e) => e[1]),
      [...DARTS_INPUT_PAIRS[node - 2]![best[pr]!]!],
    );
  }
});

test('tnd-nas darts (supernet, tiny): stages shrink 7 → 5 → 3; resuming from any epoch checkpoint ends as the uninterrupted run', { timeout: 600_000 }, async () => {
  await useBackend('cpu');
  const data = makeSynthetic({ n: 64, height: 8, seed: 1 });
  const preset = { ...TND_DARTS_PRESETS['tiny']!, dataLimit: 64, epochsPerStage: 2, warmupEpochs: 1 };
  const hook: { f?: (a: AnyArch) => number } = {};
  const states: TndSupernetState[] = [];
  const ev = supernetEvaluator(hook);
  const opts = { seed: 5, samples: 3, space: DARTS_TND, preset, data, partialChannels: 2 };
  const a = tndNasSupernet(ev, { ...opts, onCheckpoint: (s) => states.push(structuredClone(s)) }, (f) => (hook.f = f));
  assert.deepEqual(
    a.stages.map((s) => s.keep),
    [7, 5, 3],
  );
  a.policy.masks.slice(0, OP_ROWS).forEach((m) => assert.equal(m.filter(Boolean).length, 3));
  assert.ok(a.log.length > 0 && a.frontRecords.length > 0);
  for (const r of ev.history) validateGenotype(parseArch('darts', r.arch.text).arch as never);
  assert.equal(states.length, 6, 'one checkpoint per epoch');
  for (const st of [states[1]!, states[2]!]) {
    // a resumed run's evaluator answers the evaluations before its checkpoint from the store (here: `known`)
    const ev2 = supernetEvaluator(hook, new Map(ev.history.map((r) => [r.arch.text, r.values[0]!])));
    for (const r of ev.history.slice(0, st.evaluations)) ev2.evaluate(r.arch);
    const b = tndNasSupernet(ev2, { ...opts, resume: structuredClone(st) }, (f) => (hook.f = f));
    assert.deepEqual(b.policy.alpha, a.policy.alpha, `from stage ${st.stage} epoch ${st.epoch}: same α`);
    assert.deepEqual(b.log, a.log);
    assert.deepEqual(
      b.frontRecords.map((r) => [r.arch.text, r.values]),
      a.frontRecords.map((r) => [r.arch.text, r.values]),
    );
    assert.deepEqual(
      ev2.history.map((r) => [r.arch.text, r.values]),
      ev.history.map((r) => [r.arch.text, r.values]),
    );
  }
});

test('tnd-nas darts (supernet, tiny): --rescore-images scores the front on that many held-out images; the last checkpoint rebuilds the final supernet', { timeout: 600_000 }, async () => {
  await useBackend('cpu');
  const data = makeSynthetic({ n: 96, height: 8, seed: 2 });
  const preset = { ...TND_DARTS_PRESETS['tiny']!, dataLimit: 96, epochsPerStage: 1, warmupEpochs: 0 };
  const hook: { f?: (a: AnyArch) => number } = {};
  const ev = supernetEvaluator(hook);
  let last: TndSupernetState | undefined;
  const rescoreImages = 40;
  const out = tndNasSupernet(ev, { seed: 3, samples: 3, space: DARTS_TND, preset, data, rescoreImages, onCheckpoint: (s) => (last = structuredClone(s)) }, (f) => (hook.f = f));
  assert.equal(last!.stage, 2);
  const idx = heldOutSample(48, 96, rescoreImages, rescoreSeed(3));
  assert.equal(new Set(idx).size, rescoreImages, 'distinct images');
  assert.ok(
    idx.every((i) => i >= 48 && i < 96),
    'from the held-out half only',
  );
  const net = supernetFromCheckpoint(DARTS_TND, preset, last!, { numClasses: data.numClasses, channels: data.channels });
  try {
    assert.ok(out.rescored.size > 0);
    for (const [text, acc] of out.rescored) {
      // accuracies on 40 images are multiples of 2.5 %, not of 1/64 as one batch of the preset's would be
      assert.ok(Math.abs((acc * rescoreImages) / 100 - Math.round((acc * rescoreImages) / 100)) < 1e-9);
      // the same images in the same batches (BN uses batch statistics) through the rebuilt supernet: the same accuracy
      assert.ok(Math.abs(subnetAccuraciesOn(DARTS_TND, net, [parseArch('darts', text)], data, idx, preset.batch)[0]! - acc) < 1e-9, text);
    }
    // uploaded once, the batches give every architecture the image-weighted mean of its per-batch
    // accuracies (40 images in batches of 16: 16, 16, 8), and are all freed afterwards
    const before = tf.memory().numTensors;
    const batches = scoringBatches(data, idx, 16);
    assert.deepEqual(
      batches.map((b) => b.x.shape[0]),
      [16, 16, 8],
    );
    for (const text of [...out.rescored.keys()].slice(0, 3)) {
      const arch = parseArch('darts', text);
      const perBatch = [0, 16, 32].map((lo) => subnetAccuraciesOn(DARTS_TND, net, [arch], data, idx.slice(lo, lo + 16), 16)[0]!);
      const weighted = (perBatch[0]! * 16 + perBatch[1]! * 16 + perBatch[2]! * 8) / 40;
      assert.ok(Math.abs(subnetAccuracyOnBatches(DARTS_TND, net, arch, batches) - weighted) < 1e-9, text);
    }
    disposeBatches(batches);
    assert.equal(tf.memory().numTensors, before);
  } finally {
    net.dispose();
  }
  // the policy's normalised entropy is logged per α step and never exceeds 1
  assert.ok(out.log.length > 0 && out.log.every((e) => e.entropy !== undefined && e.entropy > 0 && e.entropy <= 1 + 1e-12));
});

test('normalised policy entropy: 1 for a uniform policy, the hand-computed value for a skewed row, masked choices left out', () => {
  const pol = new DartsTndPolicy(new Rng(0));
  pol.alpha.forEach((row) => row.fill(0));
  assert.ok(Math.abs(pol.normalizedEntropy() - 1) < 1e-12);
  // one op row with probabilities (e^2, 1, …)/Z over 7 ops: H / log 7, the other rows stay at 1
  pol.alpha[0]![0] = 2;
  const z = Math.exp(2) + 6;
  const p = [Math.exp(2) / z, ...Array<number>(6).fill(1 / z)];
  const h = -p.reduce((s, q) => s + q * Math.log(q), 0) / Math.log(7);
  const rows = pol.alpha.filter((r) => r.length > 1).length;
  assert.ok(Math.abs(pol.normalizedEntropy() - (h + rows - 1) / rows) < 1e-12);
  // masking all but one choice of that row removes it from the average
  pol.masks[0]!.fill(false);
  pol.masks[0]![0] = true;
  assert.ok(Math.abs(pol.normalizedEntropy() - 1) < 1e-12);
});

test('tnd-nas darts (supernet, tiny): --fixed-depth carries the supernet and its weights from stage to stage, and resumes exactly', { timeout: 600_000 }, async () => {
  await useBackend('cpu');
  const data = makeSynthetic({ n: 64, height: 8, seed: 4 });
  const preset = { ...TND_DARTS_PRESETS['tiny']!, dataLimit: 64, epochsPerStage: 1, warmupEpochs: 0 };
  const hook: { f?: (a: AnyArch) => number } = {};
  const runWith = (fixedDepth: boolean) => {
    const states: TndSupernetState[] = [];
    const ev = supernetEvaluator(hook);
    const out = tndNasSupernet(ev, { seed: 2, samples: 3, space: DARTS_TND, preset, data, fixedDepth, onCheckpoint: (s) => states.push(structuredClone(s)) }, (f) => (hook.f = f));
    return { states, ev, out };
  };
  const fixed = runWith(true);
  const fresh = runWith(false);
  // stage 1's weights after one epoch: near stage 0's final ones when carried over, far when built afresh
  const carried = weightDistance(fixed.states[1]!.weights, fixed.states[0]!.weights);
  const rebuilt = weightDistance(fresh.states[1]!.weights, fresh.states[0]!.weights);
  assert.ok(carried < 0.5 * rebuilt, `distance to stage 0's weights: carried ${carried.toFixed(3)}, rebuilt ${rebuilt.toFixed(3)}`);
  // resumed after stage 0 (the supernet rebuilt from the checkpoint), the run ends as the uninterrupted one
  const st = fixed.states[0]!;
  const ev2 = supernetEvaluator(hook, new Map(fixed.ev.history.map((r) => [r.arch.text, r.values[0]!])));
  for (const r of fixed.ev.history.slice(0, st.evaluations)) ev2.evaluate(r.arch);
  const b = tndNasSupernet(ev2, { seed: 2, samples: 3, space: DARTS_TND, preset, data, fixedDepth: true, resume: structuredClone(st) }, (f) => (hook.f = f));
  assert.deepEqual(b.policy.alpha, fixed.out.policy.alpha);
  assert.deepEqual(
    b.frontRecords.map((r) => [r.arch.text, r.values]),
    fixed.out.frontRecords.map((r) => [r.arch.text, r.values]),
  );
});
