import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { TRAINED_PRESETS, trainedAccuracyHook, validationCount } from '../../src/objectives/index.js';
import { parseArch } from '../../src/spaces/index.js';
import { lastJson, runCli } from '../helpers/cli.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CONV = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|';
const NONE = '|none~0|+|none~0|none~1|+|none~0|none~1|none~2|';

test('accuracy:trained: the validation count of a preset, or its share of a smaller training split', () => {
  const tiny = TRAINED_PRESETS.tiny!; // 128 of 640
  const small = TRAINED_PRESETS['cpu-small']!; // 1,000 of 5,000
  assert.equal(validationCount(tiny, 640), 128);
  assert.equal(validationCount(small, 5000), 1000);
  assert.equal(validationCount(tiny, 24), 5);
  assert.equal(validationCount(small, 200), 40);
  assert.equal(validationCount(tiny, 2), 1, 'at least one');
});

test('accuracy:trained: a conv cell learns the synthetic set, an all-none cell stays at chance; values are deterministic and leak no tensors', async () => {
  await initBackend('auto');
  const o = { space: 'nb201' as const, preset: TRAINED_PRESETS.tiny!, dataset: 'synthetic', seed: 0 };
  const h = trainedAccuracyHook(o);
  const before = tf.memory().numTensors;
  const conv = h(parseArch('nb201', CONV));
  const none = h(parseArch('nb201', NONE));
  assert.equal(tf.memory().numTensors, before);
  assert.ok(conv > 60, `conv cell reaches ${conv} %`);
  assert.ok(none < 25, `all-none cell reaches ${none} % (chance is 10 %)`);
  // a fresh hook (new data load, same seed) gives the identical value
  assert.equal(trainedAccuracyHook(o)(parseArch('nb201', CONV)), conv);
});

test('search --objectives accuracy:trained runs NSGA-II (NB201) and random search (DARTS) end to end', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsnas-trained-'));
  const r = await runCli([
    'search',
    '--space',
    'nb201',
    '--strategy',
    'nsga2',
    '--objectives',
    'accuracy:trained,params',
    '--dataset',
    'synthetic',
    '--preset',
    'tiny',
    '--budget',
    '4',
    '--pop-size',
    '2',
    '--store',
    join(dir, 's.db'),
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const j = lastJson(r.stdout) as { evaluations: number; pareto: { objectives: Record<string, number> }[] };
  assert.equal(j.evaluations, 4);
  for (const p of j.pareto) {
    const acc = p.objectives['accuracy:trained']!;
    assert.ok(acc >= 0 && acc <= 100, `accuracy ${acc}`);
  }
  const d = await runCli([
    'search',
    '--space',
    'darts',
    '--strategy',
    'random',
    '--objectives',
    'accuracy:trained,params',
    '--dataset',
    'synthetic',
    '--preset',
    'tiny',
    '--budget',
    '2',
    '--store',
    join(dir, 's.db'),
    '--json',
  ]);
  assert.equal(d.code, 0, d.stderr);
  assert.equal((lastJson(d.stdout) as { evaluations: number }).evaluations, 2);
});
