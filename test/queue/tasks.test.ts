/** The fixed task list: known kinds with valid payloads pass, anything else is a one-line reason. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkJob, TASKS } from '../../src/queue/tasks.js';
import { runOfJobId, trialJobId } from '../../src/queue/coordinator.js';
import { parseDataDirs } from '../../src/queue/task-runners.js';
import { DEFAULT_RECIPE } from '../../src/train/trainer.js';

const settings = { seed: 0, dataset: 'synthetic', batch: 32, trainSteps: 0, trainLr: 0.1, trainBatch: 32 };

test('checkJob accepts each known kind with its payload, and refuses unknown kinds and bad payloads', () => {
  assert.deepEqual(checkJob({ run: 'r', kind: 'noop', payload: { n: 3 } }), { kind: 'noop', payload: { n: 3 } });
  assert.equal(checkJob({ run: 'r', kind: 'score', payload: { space: 'nb201', arch: '|none~0|+|none~0|none~1|+|none~0|none~1|none~2|', proxies: ['naswot'], settings } }).kind, 'score');
  assert.throws(() => checkJob({ run: 'r', kind: 'exec', payload: {} }), /unknown task kind "exec" \(known: score, evaluate, train, noop\)/);
  assert.throws(() => checkJob({ run: 'r', kind: 'toString', payload: {} }), /unknown task kind "toString"/);
  assert.throws(() => checkJob(null), /unknown task kind undefined/);
  assert.throws(() => checkJob({ run: 'r', kind: 'score', payload: { space: 'nb201', arch: 'x', proxies: [], settings } }), /bad score payload: proxies: /);
  assert.throws(
    () => checkJob({ run: 'r', kind: 'evaluate', payload: { space: 'nb201', arch: 'x', objectives: ['accuracy:trained'], settings: { ...settings, dataset: '/etc' } } }),
    /bad evaluate payload: settings\.dataset/,
  );
  const train = { net: { space: 'nb201', arch: 'x', C: 4, initSeed: 3 }, data: { dataset: 'synthetic', trainLimit: 32 }, recipe: { ...DEFAULT_RECIPE, epochs: 1 } };
  assert.equal(checkJob({ run: 'r', kind: 'train', payload: train }).kind, 'train');
  // a job names datasets, never paths: a test folder (a path) is refused
  assert.throws(() => checkJob({ run: 'r', kind: 'train', payload: { ...train, data: { dataset: 'folder', folder: { testDir: '/etc' } } } }), /bad train payload: data\.folder: /);
  assert.throws(() => checkJob({ run: 'r', kind: 'train', payload: { ...train, recipe: { ...DEFAULT_RECIPE, epochs: 0 } } }), /bad train payload: recipe\.epochs: /);
  assert.deepEqual(Object.keys(TASKS), ['score', 'evaluate', 'train', 'noop']);
});

test('results keep non-finite scores (a disconnected cell scores -Infinity)', () => {
  assert.ok(TASKS.score.result.safeParse({ arch: 'a', scores: { naswot: -Infinity, das: NaN }, seconds: 1 }).success);
  assert.ok(!TASKS.score.result.safeParse({ arch: 'a', scores: { naswot: '1' }, seconds: 1 }).success);
});

test('job ids hold no ":" (BullMQ refuses it) and give their run back', () => {
  const id = trialJobId('my:run|1', 'score-3-abc');
  assert.ok(!id.includes(':'), id);
  assert.equal(runOfJobId(id), 'my:run|1');
  assert.equal(runOfJobId('plain'), undefined);
});

test("a worker's --data-dir: one directory, or one per dataset name", () => {
  assert.deepEqual(parseDataDirs('/d'), { byName: {}, fallback: '/d' });
  assert.deepEqual(parseDataDirs('cifar10=/a,fashion-mnist=/b'), { byName: { cifar10: '/a', 'fashion-mnist': '/b' }, fallback: undefined });
  assert.throws(() => parseDataDirs('cifar10=/a,=/b'), /'=\/b' is not name=DIR/);
});
