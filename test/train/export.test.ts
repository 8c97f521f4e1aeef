import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';
import { tf, type Tensor4D } from '../../src/engine/tf.js';
import { DEFAULT_RECIPE } from '../../src/train/trainer.js';
import { loadRun, loadRunData, runTraining, type RunConfig } from '../../src/train/run.js';
import { makeBatch } from '../../src/data/index.js';
import { useBackend } from '../helpers/backends.js';
import { REPO_ROOT } from '../helpers/data-paths.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'tsnas-export-'));

/** Plain TF.js loading over its HTTP loader, with a fetch that reads file:// URLs from disk. */
async function loadPlain(dir: string): Promise<tf.LayersModel> {
  const fetchFunc = async (url: string | URL | Request) => new Response(readFileSync(fileURLToPath(String(url))));
  return tf.loadLayersModel(tf.io.http(pathToFileURL(join(dir, 'model.json')).href, { fetchFunc }));
}

const NB201 = '|nor_conv_3x3~0|+|avg_pool_3x3~0|none~1|+|skip_connect~0|nor_conv_1x1~1|avg_pool_3x3~2|';
const DARTS =
  "Genotype(normal=[('sep_conv_3x3', 0), ('skip_connect', 1), ('dil_conv_3x3', 0), ('max_pool_3x3', 2), ('skip_connect', 0), ('avg_pool_3x3', 1), ('sep_conv_5x5', 2), ('dil_conv_5x5', 3)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('dil_conv_3x3', 1), ('skip_connect', 0), ('sep_conv_3x3', 2), ('avg_pool_3x3', 1), ('skip_connect', 2), ('dil_conv_5x5', 3), ('sep_conv_5x5', 0)], reduce_concat=[2, 3, 4, 5])";

for (const [space, arch, extra] of [
  ['nb201', NB201, { C: 4, N: 1 }],
  ['darts', DARTS, { C: 4, layers: 3, auxiliary: true }],
] as const) {
  test(`export ${space}: plain TF.js loadLayersModel reproduces tsnas predictions to 1e-5`, async () => {
    await useBackend('wasm');
    const cfg: RunConfig = {
      net: { space, arch, initSeed: 4, ...extra },
      // nb201 at 12 px: 12 → 6 → 3, an odd size in the last stage.
      data: { dataset: 'synthetic', imageSize: space === 'darts' ? 32 : 12, trainLimit: 32, testLimit: 16 },
      recipe: { ...DEFAULT_RECIPE, epochs: 1, batch: 16, lr: 0.05, seed: 1 },
    };
    const run = tmp();
    runTraining(cfg, { runDir: run });
    const before = tf.memory().numTensors;
    const { exportRun } = await import('../../src/train/export-run.js');
    for (const normalize of [false, true]) {
      const out = join(run, normalize ? 'tfjs' : 'tfjs-raw');
      const card = await exportRun(run, out, { normalize, latencyReps: 2 });
      for (const f of card.files) assert.ok(existsSync(join(out, f)), f);
      assert.ok(card.latency.median_ms > 0 && card.params > 0 && card.flops_per_image > 0);
      assert.equal(card.size_bytes, statSync(join(out, 'model.json')).size + statSync(join(out, 'weights.bin')).size);
      assert.equal(card.classes, null, 'synthetic classes have no names');
      const model = await loadPlain(out);
      const data = loadRunData(cfg.data);
      const { net } = loadRun(run);
      const idx = Int32Array.from({ length: 8 }, (_, i) => i);
      const norm = makeBatch(data.test, idx);
      const raw = makeBatch(data.test, idx, { normalize: false });
      const ref = tf.tidy(() => net.forward(norm.x as Tensor4D, { training: false }));
      const got = model.predict(normalize ? raw.x : norm.x) as tf.Tensor;
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(ref, got))).dataSync()[0]!);
      assert.deepEqual(got.shape, [8, 10]);
      assert.ok(diff <= 1e-5, `max |tsnas − tfjs| = ${diff} (normalisation in model: ${normalize})`);
      tf.dispose([ref, got, norm.x, norm.y, raw.x, raw.y]);
      net.dispose();
      model.dispose();
    }
    assert.equal(tf.memory().numTensors, before, 'export and reload leak no tensors');
  });
}

test('tsnas export --json', () => {
  const run = tmp();
  const tr = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cli/main.ts',
      'train',
      '--space',
      'nb201',
      '--arch',
      NB201,
      '--dataset',
      'synthetic',
      '--C',
      '4',
      '--N',
      '1',
      '--image-size',
      '8',
      '--train-limit',
      '32',
      '--test-limit',
      '16',
      '--epochs',
      '1',
      '--batch',
      '16',
      '--out',
      run,
      '--json',
      '--backend',
      'wasm',
    ],
    { cwd: REPO_ROOT, encoding: 'utf8', timeout: 300_000 },
  );
  assert.equal(tr.status, 0, tr.stderr);
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'export', '--run', run, '--format', 'tfjs', '--json', '--backend', 'wasm', '--latency-reps', '2'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 300_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  const j = JSON.parse(lines[lines.length - 1]!);
  assert.equal(j.out, join(run, 'tfjs'));
  assert.ok('test_acc' in j.accuracy);
  const card = JSON.parse(readFileSync(join(run, 'tfjs', 'model_card.json'), 'utf8'));
  assert.equal(card.genotype, NB201);
});
