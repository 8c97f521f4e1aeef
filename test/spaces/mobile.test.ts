/**
 * The `mobile` space: every decision active, samples round-trip, the stride schedule follows the
 * input size, the network trains, the proxies score it, and its TF.js export (plain
 * tf.loadLayersModel, no tsnas code) predicts what the tsnas network predicts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tf, type Tensor4D } from '../../src/engine/tf.js';
import { loadDataset, makeBatch } from '../../src/data/index.js';
import { planShapes } from '../../src/nn/plan-net.js';
import { scoreArch } from '../../src/proxies/index.js';
import { getSpace, mobileSpace, parseArch, sampleArch, type DeclarativeSample } from '../../src/spaces/index.js';
import { DEFAULT_RECIPE } from '../../src/train/trainer.js';
import { loadRun, loadRunData, runTraining, type RunConfig } from '../../src/train/run.js';
import { Rng } from '../../src/util/rng.js';
import { useBackend } from '../helpers/backends.js';

const SMALL: DeclarativeSample = Object.fromEntries(
  [1, 2, 3, 4, 5].flatMap((s) => [
    [`s${s}.depth`, 1],
    [`s${s}.kernel`, s === 2 ? 5 : 3],
    [`s${s}.expansion`, 3],
    [`s${s}.width`, mobileSpace.decisions().find((d) => d.label === `s${s}.width`)!.values[0]!],
  ]),
);

test('mobile: 20 decisions (depth, kernel, expansion, width per stage), all active; samples round-trip', () => {
  assert.equal(getSpace('mobile'), mobileSpace);
  const labels = mobileSpace.decisions().map((d) => d.label);
  assert.equal(labels.length, 20);
  for (let s = 1; s <= 5; s++) for (const k of ['depth', 'kernel', 'expansion', 'width']) assert.ok(labels.includes(`s${s}.${k}`), `s${s}.${k}`);
  assert.deepEqual(mobileSpace.decisions().find((d) => d.label === 's3.kernel')!.values, [3, 5, 7]);
  const rng = new Rng(3);
  for (let i = 0; i < 50; i++) {
    const a = sampleArch('mobile', rng);
    assert.equal(Object.keys(a.arch as object).length, 20);
    assert.equal(parseArch('mobile', a.text).text, a.text);
    assert.equal(mobileSpace.format(mobileSpace.decode(mobileSpace.encode(a.arch as unknown as DeclarativeSample))), a.text);
  }
  assert.throws(() => parseArch('mobile', JSON.stringify({ ...SMALL, 's2.kernel': 4 })), /label 's2.kernel': 4 is not one of 3, 5, 7/);
});

test('mobile: stride schedule fixed by the input size (final map 4–7 px; stem stride 2 from 64 px)', () => {
  const final = (side: number) => {
    const plan = mobileSpace.plan(SMALL, { inputShape: [side, side, 3] });
    const shapes = planShapes(plan);
    return { stem: plan.stem!.kind === 'conv' ? plan.stem!.stride : 0, side: shapes[shapes.length - 1]![0] };
  };
  assert.deepEqual(final(32), { stem: 1, side: 4 });
  assert.deepEqual(final(28), { stem: 1, side: 7 });
  assert.deepEqual(final(16), { stem: 1, side: 4 });
  assert.deepEqual(final(224), { stem: 2, side: 7 });
  // the decisions do not depend on the input size
  const big = mobileSpace.buildNetwork(SMALL, new Rng(0), { inputShape: [64, 64, 3], numClasses: 5 });
  const small = mobileSpace.buildNetwork(SMALL, new Rng(0), { inputShape: [16, 16, 3], numClasses: 5 });
  assert.equal(big.paramCount(), small.paramCount());
  assert.ok(big.flopsPerImage() > small.flopsPerImage());
  big.dispose();
  small.dispose();
});

test('mobile: NASWOT and DAS score the network (ReLU hooks) without leaking tensors', async () => {
  await useBackend('cpu');
  const data = loadDataset('synthetic', { split: 'train', limit: 32, synthetic: { height: 16 } });
  const arch = parseArch('mobile', JSON.stringify(SMALL));
  const before = tf.memory().numTensors;
  const r = scoreArch(arch, ['naswot', 'das', 'params'], { data, batch: 8, seed: 1 });
  assert.equal(tf.memory().numTensors, before);
  assert.ok(Number.isFinite(r.scores['naswot']) && r.scores['naswot']! > 0, JSON.stringify(r.scores));
  assert.ok(Number.isFinite(r.scores['das']), JSON.stringify(r.scores));
});

/** Plain TF.js loading over its HTTP loader, with a fetch that reads file:// URLs from disk. */
async function loadPlain(dir: string): Promise<tf.LayersModel> {
  const fetchFunc = async (url: string | URL | Request) => new Response(readFileSync(fileURLToPath(String(url))));
  return tf.loadLayersModel(tf.io.http(pathToFileURL(join(dir, 'model.json')).href, { fetchFunc }));
}

test('mobile: trains, and its export (plain tf.loadLayersModel) reproduces tsnas predictions to 1e-5', async () => {
  await useBackend('wasm');
  // a larger kernel, expansion and depth in stage 2: residual adds, expansion and 5×5 depthwise convs
  const arch = JSON.stringify({ ...SMALL, 's2.depth': 2, 's2.expansion': 6, 's3.kernel': 7 });
  const cfg: RunConfig = {
    net: { space: 'mobile', arch, initSeed: 2 },
    data: { dataset: 'synthetic', imageSize: 12, trainLimit: 32, testLimit: 16 },
    recipe: { ...DEFAULT_RECIPE, epochs: 1, batch: 16, lr: 0.05, seed: 1 },
  };
  const run = mkdtempSync(join(tmpdir(), 'tsnas-mobile-'));
  const res = runTraining(cfg, { runDir: run });
  assert.equal(res.epochs, 1);
  assert.ok(Number.isFinite(res.last!.train_loss));
  const { exportRun } = await import('../../src/train/export-run.js');
  const out = join(run, 'tfjs');
  const card = await exportRun(run, out, { normalize: false, latencyReps: 2 });
  assert.ok(card.params > 0 && card.flops_per_image > 0);
  const model = await loadPlain(out);
  const data = loadRunData(cfg.data);
  const { net } = loadRun(run);
  const b = makeBatch(
    data.test,
    Int32Array.from({ length: 8 }, (_, i) => i),
  );
  const ref = tf.tidy(() => net.forward(b.x as Tensor4D, { training: false }));
  const got = model.predict(b.x) as tf.Tensor;
  const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(ref, got))).dataSync()[0]!);
  assert.deepEqual(got.shape, [8, 10]);
  assert.ok(diff <= 1e-5, `max |tsnas − tfjs| = ${diff}`);
  tf.dispose([ref, got, b.x, b.y]);
  net.dispose();
  model.dispose();
});
