/**
 * Regularized evolution: it beats random search on the NB201 table at equal evaluations, resumes
 * from any checkpoint to the uninterrupted run, ranks by the weighted fitness it is given, and
 * runs from the CLI with its trials stored.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNb201Table } from '../../src/benchmarks/nb201-table.js';
import { buildObjectives, parseObjectives, type ArchObjective, type ObjectiveSpec } from '../../src/objectives/index.js';
import { evolution, evolutionFitness, evolutionSteps, type EvolutionState } from '../../src/search/evolution.js';
import { MooEvaluator } from '../../src/search/moo-common.js';
import { randomSearch } from '../../src/search/random-search.js';
import { searchResultSchema } from '../../src/search/result.js';
import type { AnyArch } from '../../src/spaces/index.js';
import { registerObjective, unregisterObjective } from '../../src/objectives/registry.js';
import { search } from '../../src/search/search.js';
import { Run } from '../../src/store/run.js';
import { Store } from '../../src/store/store.js';
import { nb201Path, nb201SkipReason } from '../helpers/bench-path.js';
import { lastJson, runCli } from '../helpers/cli.js';

function custom(key: string, direction: 'min' | 'max', f: (a: AnyArch) => number): ArchObjective {
  const spec: ObjectiveSpec = { raw: key, key, kind: 'accuracy', direction };
  return { spec, key, direction, evaluate: f, violation: () => 0 };
}
const count = (a: AnyArch, op: string) => (a.space === 'nb201' ? a.arch.ops.filter((o) => o === op).length : 0);
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

test('evolution: beats random search on NB201 cifar10 test accuracy at equal evaluations', { skip: nb201SkipReason }, async () => {
  const table = await loadNb201Table(nb201Path);
  const budget = 100;
  const best = (strategy: 'evolution' | 'random', seed: number) => {
    const ev = new MooEvaluator(buildObjectives(parseObjectives('accuracy'), { space: 'nb201', table }), budget);
    if (strategy === 'evolution') evolution(ev, { space: 'nb201', seed, popSize: 20, sampleSize: 5 });
    else randomSearch(ev, { space: 'nb201', seed });
    assert.equal(ev.evaluations, budget);
    return Math.max(...ev.history.map((r) => r.values[0]!));
  };
  const seeds = Array.from({ length: 10 }, (_, i) => i);
  const e = mean(seeds.map((s) => best('evolution', s)));
  const r = mean(seeds.map((s) => best('random', s)));
  assert.ok(e > r, `evolution's mean best ${e.toFixed(3)} should beat random's ${r.toFixed(3)}`);
});

test('evolution: greedy tournaments climb a toy objective; distinct evaluations fill the budget', () => {
  const objs = [custom('conv3', 'max', (a) => count(a, 'nor_conv_3x3'))];
  for (const seed of [0, 1, 2]) {
    const ev = new MooEvaluator(objs, 300);
    const out = evolution(ev, { space: 'nb201', seed, popSize: 10, sampleSize: 10 });
    assert.equal(ev.evaluations, 300);
    assert.equal(new Set(ev.history.map((r) => r.arch.text)).size, 300);
    assert.ok(out.cycles >= 290, `${out.cycles} cycles`);
    assert.equal(Math.max(...ev.history.map((r) => r.values[0]!)), 6, `seed ${seed} reaches the all-conv3x3 cell`);
  }
});

test('evolution: continuing from any checkpoint gives the uninterrupted run', () => {
  const objs = [custom('conv3', 'max', (a) => count(a, 'nor_conv_3x3') + 0.1 * count(a, 'skip_connect')), custom('active', 'min', (a) => 6 - count(a, 'none'))];
  const states: EvolutionState[] = [];
  const straight = new MooEvaluator(objs, 250);
  const g = evolution(straight, { space: 'nb201', seed: 4, popSize: 12, sampleSize: 4, weights: [1, 0.3], onCheckpoint: (s) => states.push(structuredClone(s)) });
  assert.ok(states.length >= 5, `${states.length} checkpoints`);
  for (const k of [0, 2, states.length - 1]) {
    const st = states[k]!;
    const ev = new MooEvaluator(objs, 250);
    for (const r of straight.history.slice(0, st.evaluations)) ev.evaluate(r.arch);
    const g2 = evolution(ev, { space: 'nb201', seed: 4, popSize: 12, sampleSize: 4, weights: [1, 0.3], resume: st });
    assert.equal(g2.cycles, g.cycles);
    assert.deepEqual(
      ev.history.map((r) => r.arch.text),
      straight.history.map((r) => r.arch.text),
      `resumed at cycle ${st.cycle}`,
    );
  }
  assert.throws(() => evolution(new MooEvaluator(objs, 250), { space: 'nb201', seed: 4, resume: states[1]! }), /holds 0 evaluations/);
});

test('evolution: fitness is the first objective in its direction, or the oriented weighted sum', () => {
  const ev = new MooEvaluator([custom('a', 'min', () => 0), custom('b', 'max', () => 0)], 10);
  const rec = { arch: {} as AnyArch, values: [2, 5], extra: [], violation: 0, at: 1 };
  assert.equal(evolutionFitness(ev)(rec), -2);
  assert.equal(evolutionFitness(ev, [1, 2])(rec), -2 + 10);
  assert.throws(() => evolutionFitness(ev, [1]), /1 fitness weights for 2 objectives/);
  assert.throws(() => evolution(ev, { space: 'nb201', seed: 0, popSize: 4, sampleSize: 5 }), /sample size must be an integer in \[1, population size 4\]/);
});

test('tsnas search evolution: JSON result of the search schema, every evaluation a trial; bad weights are one line', { skip: nb201SkipReason }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsnas-evo-'));
  const store = join(dir, 's.db');
  const argv = [
    'search',
    'evolution',
    '--bench',
    nb201Path,
    '--objectives',
    'accuracy,latency:pixel3',
    '--weights',
    '1,-0.0',
    '--budget',
    '30',
    '--pop-size',
    '8',
    '--sample-size',
    '3',
    '--seed',
    '2',
  ];
  const r = await runCli([...argv, '--store', store, '--run-id', 'evo', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = lastJson(r.stdout);
  assert.equal(searchResultSchema.safeParse(j).success, true);
  assert.equal(j['strategy'], 'evolution');
  assert.equal(j['evaluations'], 30);
  assert.ok(Array.isArray(j['pareto']) && (j['pareto'] as unknown[]).length >= 1);
  const s = Store.open(store);
  assert.equal(s.trials('evo').length, 30);
  s.close();
  const bad = await runCli([...argv.slice(0, 6), '--weights', '1,x', '--budget', '5', '--store', join(dir, 'b.db')]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr.trim(), /^.*--weights '1,x': expected comma-separated numbers$/);
  assert.equal(bad.stderr.trim().split('\n').length, 1);
});

test('evolution on a space file: an aborted signal stops it; a Run resumes it to the uninterrupted result', async () => {
  const space = join(import.meta.dirname, '..', 'spaces', 'fixtures', 'tiny-space.yaml');
  const o = { space, objectives: 'params,counter', budget: 25, popSize: 6, sampleSize: 3, seed: 1 };
  let evals = 0;
  let abortAt = 0;
  const ac = new AbortController();
  // a user objective that also pulls the plug at the 14th evaluation (constant value: it moves nothing)
  registerObjective({ name: 'counter', direction: 'min', evaluate: () => (++evals === abortAt && ac.abort(), 0) });
  try {
    const straight = await search('evolution', o);
    assert.equal(straight.evaluations, 25);
    const store = join(mkdtempSync(join(tmpdir(), 'tsnas-evo-')), 'api.db');
    evals = 0;
    abortAt = 14;
    const run1 = Run.open({ store, id: 'r', command: 'search', config: { strategy: 'evolution' } });
    const stopped = await search('evolution', o, { run: run1, signal: ac.signal });
    run1.finish({ stopped: true });
    assert.equal(stopped.stopped, true);
    assert.equal(stopped.evaluations, 14);
    const run2 = Run.open({ store, id: 'r', command: 'search', resume: true });
    const resumed = await search('evolution', { ...o, resume: true }, { run: run2 });
    run2.finish();
    assert.equal(resumed.stopped, false);
    assert.deepEqual(resumed.pareto, straight.pareto);
    const st = Store.open(store);
    assert.equal(st.trials('r').length, 25, 'each architecture one trial');
    st.close();
  } finally {
    unregisterObjective('counter');
  }
});

test('evolution in rounds: every evaluation is announced in a batch first; a stop anywhere, mid-round included, resumes to the uninterrupted run', () => {
  const objs = [custom('conv3', 'max', (a) => count(a, 'nor_conv_3x3') + 0.1 * count(a, 'skip_connect'))];
  const o = { space: 'nb201' as const, seed: 3, popSize: 8, sampleSize: 3, roundSize: 4 };
  const straight = new MooEvaluator(objs, 60);
  const announced = new Set<string>();
  const batches: number[] = [];
  const g = evolutionSteps(straight, o);
  let r = g.next();
  for (; !r.done; r = g.next()) {
    if (r.value) {
      batches.push(r.value.prefetch.length);
      for (const a of r.value.prefetch) announced.add(a.text);
    }
    const last = straight.history[straight.history.length - 1];
    if (last) assert.ok(announced.has(last.arch.text), `${last.arch.text} evaluated before it was announced`);
  }
  assert.equal(straight.evaluations, 60);
  assert.equal(batches[0], 8, 'the initial population is one batch');
  assert.ok(batches.slice(1).every((n) => n <= 4) && batches.includes(4), `rounds of at most 4 children: ${batches.join(',')}`);
  for (const k of [3, 9, 14, 31]) {
    let last: EvolutionState | undefined;
    const ev = new MooEvaluator(objs, 60);
    const s = evolution(ev, { ...o, shouldStop: () => ev.evaluations >= k, onCheckpoint: (st) => (last = structuredClone(st)) });
    assert.equal(s.stopped, true);
    const resumed = new MooEvaluator(objs, 60);
    for (const rec of ev.history.slice(0, last?.evaluations ?? 0)) resumed.evaluate(rec.arch);
    const g2 = evolution(resumed, { ...o, resume: last });
    assert.equal(g2.cycles, r.value.cycles);
    assert.deepEqual(
      resumed.history.map((x) => x.arch.text),
      straight.history.map((x) => x.arch.text),
      `stopped after evaluation ${k}`,
    );
  }
  assert.throws(() => evolution(new MooEvaluator(objs, 10), { ...o, roundSize: 0 }), /round size must be an integer >= 1/);
});
