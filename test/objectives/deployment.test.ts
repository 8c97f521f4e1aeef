/**
 * Deployment objectives and constraints: the syntax (latency:native|wasm|browser, size, bounds
 * with units, --constraints), `size` against the files TF.js itself saves, latency measured on a
 * backend switched to and back, and a constrained random search whose constraint-only quantity
 * decides feasibility. latency:browser end to end is in test/deploy/browser-latency.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyConstraints, buildObjectives, parseConstraints, parseObjectives, type ObjectiveContext } from '../../src/objectives/index.js';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { buildEvalNetwork, parseArch, sampleArch, type EvalNetOverrides } from '../../src/spaces/index.js';
import { saveLayersModel, toLayersModel } from '../../src/train/export-tfjs.js';
import { MooEvaluator } from '../../src/search/moo-common.js';
import { randomSearch } from '../../src/search/random-search.js';
import { TsnasError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';

const BEST = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|';
const SMALL: EvalNetOverrides = { C: 4, N: 1, inputShape: [8, 8, 3], numClasses: 10 };

test('deployment objectives: syntax, units and --constraints', () => {
  const s = parseObjectives('latency:wasm,latency:native,latency:browser,size');
  assert.deepEqual(
    s.map((x) => [x.key, x.kind, x.source, x.arg ?? null, x.direction]),
    [
      ['latency:wasm', 'latency', 'backend', 'wasm', 'min'],
      ['latency:native', 'latency', 'backend', 'native', 'min'],
      ['latency:browser', 'latency', 'browser', 'browser', 'min'],
      ['size', 'size', undefined, null, 'min'],
    ],
  );
  // bounds in the objective's unit: bytes, ms, millions
  const c = parseConstraints('size<=2MB, latency:wasm<=0.02s, params<=800K, flops<1.5G, latency:browser<=20');
  assert.equal(c.length, 5);
  assert.deepEqual(c[0]!.constraint, { op: '<=', value: 2e6 });
  assert.deepEqual(c[1]!.constraint, { op: '<=', value: 20 });
  assert.ok(Math.abs(c[2]!.constraint!.value - 0.8) < 1e-12);
  assert.deepEqual(c[3]!.constraint, { op: '<', value: 1500 });
  assert.deepEqual(c[4]!.constraint, { op: '<=', value: 20 });
  assert.deepEqual(parseConstraints('size>=1KiB')[0]!.constraint, { op: '>=', value: 1024 });
  assert.deepEqual(parseObjectives('accuracy>=90%')[0]!.constraint, { op: '>=', value: 90 });
  // one-line errors
  const bad: [string, RegExp][] = [
    ['size<=2XB', /unknown unit 'XB' \(size takes B, KB, MB/],
    ['latency:wasm<=20MB', /unknown unit 'MB' \(latency takes us, ms, s\)/],
    ['size', /constraint 'size' has no bound/],
    ['size<=', /not a number/],
    ['size<=two', /not a number/],
    ['size<=1MB,size<=2MB', /names 'size' twice/],
    ['latency:browser:x<=3', /takes no further argument/],
    ['', /--constraints is empty/],
    ['naswot<=5ms', /unknown unit 'ms' \(naswot bounds take no unit\)/],
  ];
  for (const [text, re] of bad) {
    assert.throws(
      () => parseConstraints(text),
      (e: unknown) => e instanceof TsnasError && re.test(e.message) && !e.message.includes('\n'),
      text,
    );
  }
  // constraints go onto objectives of the same key; the others are constraint-only
  const m = applyConstraints(parseObjectives('accuracy,latency:wasm'), parseConstraints('latency:wasm<=20ms,size<=2MB'));
  assert.deepEqual(m.objectives[1]!.constraint, { op: '<=', value: 20 });
  assert.deepEqual(
    m.extra.map((x) => x.key),
    ['size'],
  );
  assert.throws(() => applyConstraints(parseObjectives('latency:wasm<=10'), parseConstraints('latency:wasm<=20ms')), /constrained twice/);
});

test('size: the bytes of model.json + weights.bin that TF.js itself saves', async () => {
  await initBackend('cpu');
  const a = parseArch('nb201', BEST);
  const [size] = buildObjectives(parseObjectives('size'), { space: 'nb201', netOverrides: SMALL });
  const before = tf.memory().numTensors;
  const bytes = size!.evaluate(a);
  assert.equal(tf.memory().numTensors, before, 'the export leaks no tensor');
  const net = buildEvalNetwork('nb201', a, new Rng(0), SMALL);
  const model = toLayersModel(net, { name: 'tsnas_nb201' });
  const dir = mkdtempSync(join(tmpdir(), 'tsnas-size-'));
  try {
    const saved = await saveLayersModel(model, dir);
    assert.equal(bytes, readFileSync(saved.modelJson).length + saved.bytes);
    // float32 weights: 4 bytes per parameter, BN running statistics included
    assert.equal(saved.bytes, 4 * model.countParams());
  } finally {
    model.dispose();
    net.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
  // a bigger cell is a bigger download
  const small = size!.evaluate(parseArch('nb201', '|skip_connect~0|+|none~0|skip_connect~1|+|none~0|none~1|skip_connect~2|'));
  assert.ok(small < bytes, `${small} < ${bytes}`);
});

test('latency:wasm is measured on wasm and the session backend stays current', async () => {
  await initBackend('wasm');
  await initBackend('cpu');
  assert.equal(tf.getBackend(), 'cpu');
  const ctx: ObjectiveContext = { space: 'nb201', netOverrides: SMALL, latency: { reps: 3, warmup: 1 } };
  const [lat] = buildObjectives(parseObjectives('latency:wasm'), ctx);
  const seen: string[] = [];
  const orig = tf.engine().startScope.bind(tf.engine());
  // record the backend in use while the objective runs
  tf.engine().startScope = (name?: string) => {
    seen.push(tf.getBackend());
    return orig(name);
  };
  let v: number;
  try {
    v = lat!.evaluate(parseArch('nb201', BEST));
  } finally {
    tf.engine().startScope = orig;
  }
  assert.ok(Number.isFinite(v) && v > 0, `latency ${v}`);
  assert.ok(seen.length > 0 && seen.every((b) => b === 'wasm'), `backends during the measurement: ${[...new Set(seen)].join(',')}`);
  assert.equal(tf.getBackend(), 'cpu');
  // a backend that was never started is a one-line error, not a silent measurement elsewhere
  assert.throws(() => buildObjectives(parseObjectives('latency:native'), ctx)[0]!.evaluate(parseArch('nb201', BEST)), /backend 'native' is not started/);
});

test('constraints: a constraint-only quantity decides feasibility, the front is feasible', async () => {
  await initBackend('cpu');
  const parsed = applyConstraints(parseObjectives('params,flops@max'), parseConstraints('size<=60KB'));
  const ctx: ObjectiveContext = { space: 'nb201', netOverrides: SMALL };
  const ev = new MooEvaluator(buildObjectives(parsed.objectives, ctx), 12, buildObjectives(parsed.extra, ctx));
  randomSearch(ev, { space: 'nb201', seed: 3, sample: (r) => sampleArch('nb201', r) });
  const sizes = ev.history.map((r) => r.extra[0]!);
  assert.ok(sizes.some((s) => s > 60e3) && sizes.some((s) => s <= 60e3), `the sample straddles the bound: ${sizes.join(', ')}`);
  for (const r of ev.history) assert.equal(r.violation === 0, r.extra[0]! <= 60e3);
  const front = ev.front();
  assert.ok(front.length > 0 && front.every((r) => r.violation === 0));
  // relative violation: 10 % over the bound is 0.1
  const over = ev.history.find((r) => r.extra[0]! > 60e3)!;
  assert.ok(Math.abs(over.violation - (over.extra[0]! - 60e3) / 60e3) < 1e-12);
  assert.deepEqual(Object.keys(ev.record(over)), ['params', 'flops', 'size']);
});
