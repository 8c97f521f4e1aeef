import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TsnasError } from '../../src/util/errors.js';
import { buildObjectives, measureLatency, netSize, parseObjectives, violation } from '../../src/objectives/index.js';
import { loadNb201Table } from '../../src/benchmarks/nb201-table.js';
import { buildEvalNetwork, parseArch } from '../../src/spaces/index.js';
import { initBackend } from '../../src/engine/backend.js';
import { Rng } from '../../src/util/rng.js';
import { MooEvaluator } from '../../src/search/moo-common.js';
import { randomSearch } from '../../src/search/random-search.js';
import { nb201Path, nb201SkipReason } from '../helpers/bench-path.js';

const BEST = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|';

test('objectives: the --objectives syntax', () => {
  const s = parseObjectives('accuracy,latency:pixel3');
  assert.deepEqual(
    s.map((x) => [x.key, x.kind, x.source, x.arg, x.direction]),
    [
      ['accuracy', 'accuracy', 'table', 'cifar10_test_acc', 'max'],
      ['latency:pixel3', 'latency', 'table', 'pixel3', 'min'],
    ],
  );
  assert.deepEqual(
    parseObjectives('params').map((x) => [x.kind, x.direction]),
    [['params', 'min']],
  );
  assert.deepEqual(
    parseObjectives('flops').map((x) => [x.kind, x.direction]),
    [['flops', 'min']],
  );
  const m = parseObjectives('latency:measured:wasm')[0]!;
  assert.equal(m.source, 'measured');
  assert.equal(m.arg, 'wasm');
  assert.equal(parseObjectives('latency:measured')[0]!.arg, 'auto');
  const d = parseObjectives('das,params');
  assert.deepEqual(
    d.map((x) => [x.kind, x.arg ?? null, x.direction]),
    [
      ['das', 'das', 'max'],
      ['params', null, 'min'],
    ],
  );
  // DAS rule options carry commas; they stay with their term
  const r = parseObjectives('das:kernel=layer,lambda=1,latency:pixel3');
  assert.deepEqual(
    r.map((x) => x.key),
    ['das:kernel=layer,lambda=1', 'latency:pixel3'],
  );
  assert.deepEqual(
    parseObjectives('das:lambda=0.5,conn=0.25,params').map((x) => x.key),
    ['das:lambda=0.5,conn=0.25', 'params'],
  );
  // constraints and direction overrides
  const c = parseObjectives('accuracy:cifar100_test>=70, latency:pixel3<=10, params@max');
  assert.deepEqual(c[0]!.constraint, { op: '>=', value: 70 });
  assert.equal(c[0]!.key, 'accuracy:cifar100_test');
  assert.deepEqual(c[1]!.constraint, { op: '<=', value: 10 });
  assert.equal(c[2]!.direction, 'max');
  assert.equal(violation(c[1]!, 9.5), 0);
  assert.equal(violation(c[1]!, 12), 2);
  assert.equal(violation(c[0]!, 65), 5);
  assert.equal(parseObjectives('accuracy:supernet')[0]!.source, 'supernet');
  assert.equal(parseObjectives('accuracy:trained')[0]!.source, 'trained');
});

test('objectives: parse errors are clear TsnasErrors', () => {
  const bad: [string, RegExp][] = [
    ['', /empty/],
    ['accuracy,,params', /empty term/],
    ['acuracy', /unknown objective 'acuracy'.*known: accuracy/],
    ['latency', /latency needs a device/],
    ['latency:measured:tpu', /unknown backend 'tpu'/],
    ['params:big', /params takes no argument/],
    ['latency:pixel3<=fast', /constraint bound 'fast' is not a number/],
    ['latency:pixel3<=', /constraint bound '' is not a number/],
    ['params@up', /@min or @max/],
    ['accuracy,accuracy', /names 'accuracy' twice/],
    ['latency:measured:wasm,latency:measured:cpu@max', /one backend per session/],
    ['das:kernel=square', /DAS kernel/],
  ];
  for (const [text, re] of bad) {
    assert.throws(
      () => {
        const specs = parseObjectives(text);
        buildObjectives(specs, {
          space: 'nb201',
          scoreContext: () => {
            throw new Error('unused');
          },
        });
      },
      (e: unknown) => e instanceof TsnasError && re.test(e.message),
      `'${text}' should fail with ${re}`,
    );
  }
});

test('objectives: sources that are missing fail when built, naming what to give', () => {
  assert.throws(() => buildObjectives(parseObjectives('accuracy'), { space: 'nb201' }), /needs the NAS-Bench-201 table \(--bench FILE\)/);
  assert.throws(() => buildObjectives(parseObjectives('latency:pixel3'), { space: 'darts' }), /covers only --space nb201/);
  assert.throws(() => buildObjectives(parseObjectives('accuracy:supernet'), { space: 'nb201' }), /tnd-nas/);
  assert.throws(() => buildObjectives(parseObjectives('accuracy:trained'), { space: 'nb201' }), /training hook/);
  assert.throws(() => buildObjectives(parseObjectives('das'), { space: 'nb201' }), /needs a dataset/);
  // the hook, when given, is used and cached
  let calls = 0;
  const [o] = buildObjectives(parseObjectives('accuracy:trained'), { space: 'nb201', trainedAccuracy: () => (calls++, 42) });
  const a = parseArch('nb201', BEST);
  assert.equal(o!.evaluate(a), 42);
  assert.equal(o!.evaluate(a), 42);
  assert.equal(calls, 1);
});

test('objectives: table accuracy and any of the 27 latency columns', { skip: nb201SkipReason }, async () => {
  const table = await loadNb201Table(nb201Path);
  const a = parseArch('nb201', BEST);
  const objs = buildObjectives(parseObjectives('accuracy,latency:pixel3,latency:raspi4,latency:lat_gold_6226_ms,accuracy:cifar100_test'), { space: 'nb201', table });
  assert.deepEqual(
    objs.map((o) => o.evaluate(a)),
    [table.value(BEST, 'cifar10_test_acc'), table.value(BEST, 'lat_pixel3_ms'), table.value(BEST, 'lat_raspi4_ms'), table.value(BEST, 'lat_gold_6226_ms'), table.value(BEST, 'cifar100_test_acc')],
  );
  for (const col of table.latencyColumns) {
    const [o] = buildObjectives(parseObjectives(`latency:${col.slice(4, -3)}`), { space: 'nb201', table });
    assert.equal(o!.evaluate(a), table.value(BEST, col));
  }
  assert.throws(() => buildObjectives(parseObjectives('latency:pixl3'), { space: 'nb201', table }), /no column 'pixl3'/);
  assert.throws(() => buildObjectives(parseObjectives('latency:cifar10_test'), { space: 'nb201', table }), /not a latency column/);
  assert.throws(() => buildObjectives(parseObjectives('accuracy:pixel3'), { space: 'nb201', table }), /not an accuracy column/);
});

test('objectives: constrained random search returns only feasible architectures', { skip: nb201SkipReason }, async () => {
  const table = await loadNb201Table(nb201Path);
  const ev = new MooEvaluator(buildObjectives(parseObjectives('accuracy,latency:pixel3<=5'), { space: 'nb201', table }), 150);
  randomSearch(ev, { space: 'nb201', seed: 3 });
  const front = ev.front();
  assert.ok(front.length > 0);
  for (const r of front) assert.ok(r.values[1]! <= 5 && r.violation === 0);
  assert.ok(
    ev.history.some((r) => r.violation > 0),
    'some sampled archs violate the constraint',
  );
});

test('objectives: params, FLOPs (cached) and measured latency on a TF.js backend', async () => {
  await initBackend('cpu');
  const a = parseArch('nb201', BEST);
  const s = netSize('nb201', a);
  // NAS-Bench-201 reports 1.073 M params and 153 MFLOPs for the best CIFAR-10 cell (10 classes)
  assert.ok(Math.abs(s.params - 1.073) < 0.01, `params ${s.params}`);
  assert.ok(Math.abs(s.flops - 153.27) < 1, `flops ${s.flops}`);
  assert.equal(netSize('nb201', a), s);
  const [p, f] = buildObjectives(parseObjectives('params,flops'), { space: 'nb201' });
  assert.equal(p!.evaluate(a), s.params);
  assert.equal(f!.evaluate(a), s.flops);
  const net = buildEvalNetwork('nb201', a, new Rng(0), { C: 4, N: 1, inputShape: [8, 8, 3] });
  try {
    const ms = measureLatency(net, { batch: 2, warmup: 1, reps: 3 });
    assert.ok(Number.isFinite(ms) && ms > 0, `latency ${ms}`);
  } finally {
    net.dispose();
  }
  const [lat] = buildObjectives(parseObjectives('latency:measured'), { space: 'nb201', latency: { reps: 2, warmup: 1 }, netOverrides: { C: 4, N: 1, inputShape: [8, 8, 3] } });
  assert.ok(lat!.evaluate(a) > 0);
});
