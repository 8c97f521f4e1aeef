import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildObjectives, parseObjectives, hypervolume, type ArchObjective, type ObjectiveSpec } from '../../src/objectives/index.js';
import { loadNb201Table } from '../../src/benchmarks/nb201-table.js';
import { MooEvaluator } from '../../src/search/moo-common.js';
import { nsga2 } from '../../src/search/nsga2.js';
import { randomSearch } from '../../src/search/random-search.js';
import { crossoverArch } from '../../src/search/moo-common.js';
import { parseArch, sampleArch, validateGenotype, type AnyArch } from '../../src/spaces/index.js';
import { Rng } from '../../src/util/rng.js';
import { nb201Path, nb201SkipReason } from '../helpers/bench-path.js';

function custom(key: string, direction: 'min' | 'max', f: (a: AnyArch) => number): ArchObjective {
  const spec: ObjectiveSpec = { raw: key, key, kind: 'accuracy', direction };
  return { spec, key, direction, evaluate: f, violation: () => 0 };
}

const count = (a: AnyArch, pred: (op: string) => boolean) => (a.space === 'nb201' ? a.arch.ops.filter(pred).length : 0);

test('nsga2: finds the known front of a toy 2-objective problem', () => {
  // maximise #conv3x3 edges, minimise #non-none edges: the front is {(k, k) : k = 0..6},
  // reached only by cells whose every non-none edge is a 3x3 conv.
  const objs = [custom('conv3', 'max', (a) => count(a, (o) => o === 'nor_conv_3x3')), custom('active', 'min', (a) => count(a, (o) => o !== 'none'))];
  for (const seed of [0, 1, 2]) {
    const ev = new MooEvaluator(objs, 1500); // < 10 % of the space; both extremes are single cells
    nsga2(ev, { space: 'nb201', seed, popSize: 20 });
    assert.equal(ev.evaluations, 1500);
    const pts = new Set(ev.front().map((r) => r.values.join(',')));
    assert.deepEqual([...pts].sort(), ['0,0', '1,1', '2,2', '3,3', '4,4', '5,5', '6,6'], `seed ${seed}`);
  }
});

test('nsga2: budget is distinct architectures; crossover keeps archs valid in both spaces', () => {
  const rng = new Rng(5);
  for (let i = 0; i < 50; i++) {
    const [a, b] = [sampleArch('darts', rng), sampleArch('darts', rng)];
    const c = crossoverArch(a, b, rng);
    if (c.space === 'darts') validateGenotype(c.arch);
    assert.equal(parseArch('darts', c.text).text, c.text);
    const [x, y] = [sampleArch('nb201', rng), sampleArch('nb201', rng)];
    const z = crossoverArch(x, y, rng);
    if (z.space === 'nb201' && x.space === 'nb201' && y.space === 'nb201') z.arch.ops.forEach((op, e) => assert.ok(op === x.arch.ops[e] || op === y.arch.ops[e]));
  }
  // DARTS genotypes: NSGA-II runs on the space with a cheap objective pair
  const objs = [
    custom('sep', 'max', (a) => (a.space === 'darts' ? a.arch.normal.filter(([o]) => o.startsWith('sep')).length : 0)),
    custom('skip', 'min', (a) => (a.space === 'darts' ? a.arch.normal.filter(([o]) => o !== 'skip_connect').length : 0)),
  ];
  const ev = new MooEvaluator(objs, 120);
  nsga2(ev, { space: 'darts', seed: 0, popSize: 12 });
  assert.equal(ev.evaluations, 120);
  assert.equal(new Set(ev.history.map((r) => r.arch.text)).size, 120);
});

test('nsga2: beats random search in hypervolume on NB201 (cifar10 acc, pixel3) at equal budget', { skip: nb201SkipReason }, async () => {
  const table = await loadNb201Table(nb201Path);
  const ref = [85, 36.7665];
  const seeds = [0, 1, 2, 3, 4, 5];
  const hv = (strategy: 'nsga2' | 'random', seed: number) => {
    const ev = new MooEvaluator(buildObjectives(parseObjectives('accuracy,latency:pixel3'), { space: 'nb201', table }), 300);
    if (strategy === 'nsga2') nsga2(ev, { space: 'nb201', seed, popSize: 20 });
    else randomSearch(ev, { space: 'nb201', seed });
    assert.equal(ev.evaluations, 300);
    return hypervolume(
      ev.front().map((r) => r.values),
      ref,
      ['max', 'min'],
    );
  };
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const n = mean(seeds.map((s) => hv('nsga2', s)));
  const r = mean(seeds.map((s) => hv('random', s)));
  assert.ok(n > r, `NSGA-II mean HV ${n.toFixed(1)} should beat random ${r.toFixed(1)}`);
});
