import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildObjectives, parseObjectives } from '../../src/objectives/index.js';
import { loadNb201Table } from '../../src/benchmarks/nb201-table.js';
import { MooEvaluator } from '../../src/search/moo-common.js';
import { ArrayAdam, TND_IDLE_STEPS, TndPolicy, expectedReward, nb201ArchOfChoice, reinforceGrad, tndNasTable, tndReward, type TndTableState } from '../../src/search/tnd-nas/index.js';
import { Rng } from '../../src/util/rng.js';
import { search } from '../../src/search/search.js';
import { nb201Path, nb201SkipReason } from '../helpers/bench-path.js';

test('tnd-nas: ∇ log p matches finite differences; REINFORCE gradient is −mean (R−b)·∇log p', () => {
  const rng = new Rng(3);
  const pol = new TndPolicy(2, 3);
  pol.alpha[0] = [0.3, -0.2, 0.5];
  pol.alpha[1] = [1.0, 0.1, -0.7];
  pol.masks[1]![2] = false; // a shrunk op: probability 0, gradient 0
  for (let t = 0; t < 5; t++) {
    const c = pol.sample(rng);
    assert.notEqual(c[1], 2, 'a masked op is never sampled');
    const g = pol.gradLogProb(c);
    const h = 1e-6;
    for (let e = 0; e < 2; e++) {
      for (let o = 0; o < 3; o++) {
        const a0 = pol.alpha[e]![o]!;
        pol.alpha[e]![o] = a0 + h;
        const up = pol.logProb(c);
        pol.alpha[e]![o] = a0 - h;
        const dn = pol.logProb(c);
        pol.alpha[e]![o] = a0;
        assert.ok(Math.abs((up - dn) / (2 * h) - g[e]![o]!) < 1e-6, `edge ${e} op ${o}`);
      }
    }
  }
  // analytic: softmax p, ∂ log p(c)/∂α_e = onehot(c_e) − p_e
  const p0 = [0.3, -0.2, 0.5].map(Math.exp);
  const s0 = p0.reduce((a, b) => a + b);
  const choices = [
    [0, 1],
    [2, 0],
  ];
  const adv = [0.5, -0.25];
  const G = reinforceGrad(pol, choices, adv);
  for (let o = 0; o < 3; o++) {
    const expect = -(adv[0]! * ((o === 0 ? 1 : 0) - p0[o]! / s0) + adv[1]! * ((o === 2 ? 1 : 0) - p0[o]! / s0)) / 2;
    assert.ok(Math.abs(G[0]![o]! - expect) < 1e-12);
  }
  assert.equal(G[1]![2], 0);
});

test('tnd-nas: shrinking masks drop the lowest-α ops per edge', () => {
  const pol = new TndPolicy(2, 5);
  pol.alpha[0] = [0.1, 0.9, -0.3, 0.4, 0.2];
  pol.alpha[1] = [2, 1, 0, -1, -2];
  const d1 = pol.shrink(3);
  assert.deepEqual(pol.masks[0], [false, true, false, true, true]);
  assert.deepEqual(pol.masks[1], [true, true, true, false, false]);
  assert.deepEqual(
    d1.sort(),
    [
      [0, 0],
      [0, 2],
      [1, 3],
      [1, 4],
    ].sort(),
  );
  pol.alpha[0]![4] = 5; // α moves after a stage: the next shrink ranks the remaining ops again
  pol.shrink(1);
  assert.deepEqual(pol.masks[0], [false, false, false, false, true]);
  assert.deepEqual(pol.argmax(), [4, 0]);
  assert.ok(Math.abs(pol.probs(0)[4]! - 1) < 1e-12);
});

test('tnd-nas: Adam with clip and weight decay moves α against the gradient', () => {
  const a = [[0, 0]];
  const opt = new ArrayAdam({ lr: 1e-2, beta1: 0.5, beta2: 0.999, weightDecay: 1e-3, clip: 5 });
  opt.step(a, [[100, -1]]);
  // first Adam step is lr·sign(g) for each coordinate (bias-corrected), whatever the scale
  assert.ok(Math.abs(a[0]![0]! + 1e-2) < 1e-6 && Math.abs(a[0]![1]! - 1e-2) < 1e-6);
});

test('tnd-nas (table mode): policy gradient increases the expected reward', { skip: nb201SkipReason }, async () => {
  const table = await loadNb201Table(nb201Path);
  const objs = buildObjectives(parseObjectives('accuracy,latency:pixel3'), { space: 'nb201', table });
  const targets = [[5, 5, 5]];
  const cfg = { scalarisation: 'product' as const, exponents: [-0.95, -1, -1] };
  const R = (c: number[]) => {
    const a = nb201ArchOfChoice(c);
    return tndReward([table.value(a.text, 'cifar10_test_acc'), table.value(a.text, 'pixel3')], objs, targets, 0, cfg);
  };
  for (const seed of [0, 1]) {
    const ev = new MooEvaluator(objs, 100000);
    const out = tndNasTable(ev, { seed, keep: [5], stepsPerStage: 60, targets });
    const start = expectedReward(new TndPolicy(6, 5, new Rng(seed).fork(1)), R);
    const end = expectedReward(out.policy, R);
    assert.ok(end > start + 0.02, `seed ${seed}: E[R] ${start.toFixed(4)} → ${end.toFixed(4)}`);
    assert.equal(out.log.length, 60);
  }
  // with shrinking: 3 stages, the masks follow keep = [5, 3, 2]
  const ev = new MooEvaluator(objs, 100000);
  const out = tndNasTable(ev, { seed: 0, stepsPerStage: 10 });
  assert.deepEqual(
    out.stages.map((s) => s.keep),
    [5, 3, 2],
  );
  for (const m of out.policy.masks) assert.equal(m.filter(Boolean).length, 2);
  assert.ok(ev.front().length > 0);
});

test("tnd-nas (table mode): stageBy 'budget' shrinks at equal shares of the budget and resumes exactly", { skip: nb201SkipReason }, async () => {
  const table = await loadNb201Table(nb201Path);
  const objs = () => buildObjectives(parseObjectives('accuracy,latency:pixel3<=8'), { space: 'nb201', table });
  // the author's schedule (40 α steps × 10 samples a stage) never leaves stage 0 within 90 cells
  const bySteps = tndNasTable(new MooEvaluator(objs(), 90), { seed: 4 });
  assert.deepEqual(
    bySteps.stages.map((s) => s.keep),
    [5],
  );
  const ev = new MooEvaluator(objs(), 90);
  const states: TndTableState[] = [];
  const out = tndNasTable(ev, { seed: 4, stageBy: 'budget', onCheckpoint: (s) => states.push(structuredClone(s)) });
  assert.deepEqual(
    out.stages.map((s) => s.keep),
    [5, 3, 2],
  );
  // stage s ends at the first α step that reaches (s + 1)/3 of the budget: 30 and 60 cells
  for (const [stage, end] of [
    [0, 30],
    [1, 60],
  ] as const) {
    const last = out.log.filter((l) => l.stage === stage).at(-1)!;
    const before = out.log[out.log.indexOf(last) - 1]!;
    assert.ok(last.evaluations >= end && before.evaluations < end, `stage ${stage} ended at ${last.evaluations} cells`);
  }
  for (const m of out.policy.masks) assert.equal(m.filter(Boolean).length, 2);
  assert.ok(ev.evaluations === 90 || out.log.slice(-TND_IDLE_STEPS).every((l) => l.evaluations === ev.evaluations), 'spends the budget or stops when idle');
  // resumed from a checkpoint inside stage 1, the run takes the same steps
  const k = states.findIndex((s) => s.stage === 1) + 1;
  const ev2 = new MooEvaluator(objs(), 90);
  for (const r of ev.history.slice(0, states[k]!.evaluations)) ev2.evaluate(r.arch);
  const resumed = tndNasTable(ev2, { seed: 4, stageBy: 'budget', resume: states[k]! });
  assert.deepEqual(
    ev2.history.map((r) => r.arch.text),
    ev.history.map((r) => r.arch.text),
  );
  assert.deepEqual(resumed.policy.alpha, out.policy.alpha);
});

test("tnd-nas (table mode): stageBy 'budget' ends a stage after TND_IDLE_STEPS α steps with nothing new", { skip: nb201SkipReason }, async () => {
  const table = await loadNb201Table(nb201Path);
  const ev = new MooEvaluator(buildObjectives(parseObjectives('accuracy,latency:pixel3'), { space: 'nb201', table }), 1000);
  // one op per edge from the start: the policy can sample only one cell
  const out = tndNasTable(ev, { seed: 0, keep: [1], stageBy: 'budget' });
  assert.equal(ev.evaluations, 1);
  assert.equal(out.log.length, 1 + TND_IDLE_STEPS);
});

test('tnd-nas over any space: a policy per decision (narrow decisions masked), learning from the evaluator; invalid choices get reward 0', async () => {
  const { decodeArch, getSpace } = await import('../../src/spaces/index.js');
  const { join } = await import('node:path');
  const pol = TndPolicy.forDecisions([2, 4, 1], new Rng(0));
  const rng = new Rng(1);
  for (let t = 0; t < 200; t++) {
    const c = pol.sample(rng);
    assert.ok(c[0]! < 2 && c[1]! < 4 && c[2] === 0, `choice ${c.join(',')} within each decision's choices`);
  }
  assert.equal(pol.probs(0)[3], 0);

  // the fixture space (its input choice may join maps of different sizes: some codes decode to nothing)
  const fixture = join(import.meta.dirname, '..', 'spaces', 'fixtures', 'tiny-space.yaml');
  const space = getSpace(fixture);
  const labels = space.decisions().map((d) => d.label);
  const want = (a: { arch: unknown }) => ((a.arch as Record<string, unknown>)['op1'] === 'conv' ? 90 : 30) + ((a.arch as Record<string, unknown>)['depth'] === 2 ? 10 : 0);
  const objs = [{ spec: { raw: 'f', key: 'f', kind: 'accuracy' as const, direction: 'max' as const }, key: 'f', direction: 'max' as const, evaluate: want, violation: () => 0 }];
  let invalid = 0;
  const ev = new MooEvaluator(objs, 150);
  const out = tndNasTable(ev, {
    seed: 3,
    samples: 8,
    stepsPerStage: 30,
    decisionSizes: space.decisions().map((d) => d.choices.length),
    archOfChoice: (c) => {
      try {
        return decodeArch(fixture, c);
      } catch (e) {
        invalid++;
        throw e;
      }
    },
    describeChoice: (e, k) => `${labels[e]}: ${space.decisions()[e]!.choices[k]}`,
  });
  assert.ok(invalid > 0, 'some sampled codes are no architecture of the space');
  assert.ok(ev.evaluations > 20);
  const argmax = JSON.parse(out.argmax) as Record<string, unknown>;
  assert.equal(argmax['op1'], 'conv', out.argmax);
  assert.ok(out.stages.every((s) => s.dropped.every((d) => labels.some((l) => d.startsWith(`${l}: `)))));
});

test('tnd-nas flags: --keep, --policy-lr, --reward and --reward-targets reach the policy; bad values are one-line errors', { skip: nb201SkipReason }, async () => {
  const base = { space: 'nb201', tableAccuracy: true, objectives: 'accuracy,params<=0.2', budget: 1300, seed: 1, bench: nb201Path };
  const author = await search('tnd-nas', base);
  const tuned = await search('tnd-nas', { ...base, keep: '5,5,5', policyLr: 0.3, reward: 'mnas-hard', rewardTargets: 'constraint' });
  const extra = (r: typeof author) => r.extra as { targets: number[][]; stages: { dropped: string[] }[]; entropy: number };
  assert.deepEqual(extra(tuned).targets, [[0.2, 0.2, 0.2]], 'the constraint bound at every stage');
  assert.deepEqual(
    extra(tuned).stages.map((s) => s.dropped.length),
    [0, 0, 0],
    'keep 5,5,5 drops nothing',
  );
  assert.ok(extra(author).stages[1]!.dropped.length > 0, "the author's keep 5,3,2 drops ops");
  // at lr 0.3 α leaves the uniform policy; at the author's 0.01 it barely moves in 120 α steps
  assert.ok(extra(author).entropy > 0.9, `author entropy ${extra(author).entropy}`);
  assert.ok(extra(tuned).entropy < extra(author).entropy - 0.1, `tuned entropy ${extra(tuned).entropy}`);
  const explicit = await search('tnd-nas', { ...base, rewardTargets: '0.3,0.25,0.2' });
  assert.deepEqual(extra(explicit).targets, [[0.3, 0.25, 0.2]]);
  await assert.rejects(search('tnd-nas', { ...base, keep: '3,4' }), /--keep '3,4': the ops kept per stage must not increase/);
  await assert.rejects(search('tnd-nas', { ...base, rewardTargets: '1;2' }), /--reward-targets '1;2' has 2 group\(s\) for 1 objective\(s\) after the first/);
  await assert.rejects(search('tnd-nas', { ...base, objectives: 'accuracy,params', rewardTargets: 'constraint' }), /objective 'params' has no bound/);
});
