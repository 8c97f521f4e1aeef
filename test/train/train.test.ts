import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { tf } from '../../src/engine/tf.js';
import { Sgd, cosineLr } from '../../src/optim/index.js';
import { readCheckpoint, writeCheckpoint } from '../../src/train/checkpoint.js';
import { crossEntropy, DEFAULT_RECIPE, type TrainRecipe } from '../../src/train/trainer.js';
import { loadRun, runTraining, type RunConfig } from '../../src/train/run.js';
import { useBackend } from '../helpers/backends.js';
import { REPO_ROOT } from '../helpers/data-paths.js';

const ARCH = '|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|skip_connect~0|nor_conv_1x1~1|avg_pool_3x3~2|';
const tmp = () => mkdtempSync(join(tmpdir(), 'tsnas-train-'));

function tinyConfig(epochs: number, extra: Partial<TrainRecipe> = {}): RunConfig {
  return {
    net: { space: 'nb201', arch: ARCH, C: 4, N: 1, initSeed: 3 },
    data: { dataset: 'synthetic', imageSize: 8, trainLimit: 200, testLimit: 100 },
    recipe: { ...DEFAULT_RECIPE, epochs, batch: 50, lr: 0.05, cutout: 4, gradClip: 5, labelSmoothing: 0.1, seed: 5, ...extra },
  };
}

test('SGD matches the PyTorch update rule (momentum, Nesterov, weight decay, clipping)', async () => {
  await useBackend('wasm');
  const w = tf.variable(tf.tensor1d([1, -2]), true, 'sgd_w');
  const opt = new Sgd([['w', w]], { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01, gradClip: 1 });
  // step 1: g = [3, 4] (norm 5) clipped to [0.6, 0.8]·(5/(5+1e-6)); + wd·w
  const g1 = tf.tensor1d([3, 4]);
  opt.step({ [w.name]: g1 });
  const s = 1 / (5 + 1e-6);
  const gc = [3 * s + 0.01 * 1, 4 * s + 0.01 * -2];
  const v1 = gc;
  const w1 = [1 - 0.1 * (gc[0]! + 0.9 * v1[0]!), -2 - 0.1 * (gc[1]! + 0.9 * v1[1]!)];
  const got = w.dataSync();
  assert.ok(Math.abs(got[0]! - w1[0]!) < 1e-6 && Math.abs(got[1]! - w1[1]!) < 1e-6, `${got} vs ${w1}`);
  assert.equal(opt.state().length, 1);
  opt.dispose();
  g1.dispose();
  w.dispose();
  assert.equal(cosineLr({ base: 0.1, epoch: 0, epochs: 10 }), 0.1);
  assert.ok(Math.abs(cosineLr({ base: 0.1, epoch: 5, epochs: 10 }) - 0.05) < 1e-12);
  // label smoothing: uniform logits give log K either way
  const l = crossEntropy(tf.zeros([2, 4]), tf.tensor1d([0, 3], 'int32'), 4, 0.1);
  assert.ok(Math.abs(l.dataSync()[0]! - Math.log(4)) < 1e-6);
});

test('checkpoint file round-trips and is written atomically (no temp file left)', () => {
  const dir = tmp();
  const f = join(dir, 'c.ckpt');
  const a = Float32Array.from([1, 2, 3, 4, 5, 6]);
  writeCheckpoint(f, { meta: { x: 'é' }, groups: { p: [{ name: 'a', shape: [2, 3], data: a }], q: [{ name: 'b', shape: [1], data: Float32Array.of(7) }] } });
  const r = readCheckpoint<{ x: string }>(f);
  assert.equal(r.meta.x, 'é');
  assert.deepEqual([...r.groups.p![0]!.data], [...a]);
  assert.deepEqual(r.groups.q![0]!.shape, [1]);
  assert.ok(!existsSync(`${f}.tmp-${process.pid}`));
});

test('trainer learns the synthetic set, memory stays flat', async () => {
  await useBackend('wasm');
  // Oriented gratings: flips and big crops on 8-px images destroy the class cue, so both are off.
  const cfg = tinyConfig(4, { lr: 0.1, cutout: 0, labelSmoothing: 0, flip: false, cropPadding: 0 });
  cfg.data.trainLimit = 400;
  const res = runTraining(cfg, {});
  const h = res.history;
  assert.equal(h.length, 4);
  assert.ok(h[3]!.test_acc! >= 35, `test accuracy ${h[3]!.test_acc} after 4 epochs (chance 10%)`);
  assert.ok(h[3]!.train_loss < h[0]!.train_loss);
  assert.ok(
    h.every((r) => r.num_tensors === h[0]!.num_tensors),
    `tensors per epoch: ${h.map((r) => r.num_tensors)}`,
  );
});

test('resume after an interruption reproduces the uninterrupted run exactly', async () => {
  await useBackend('wasm');
  const full = tmp();
  const a = runTraining(tinyConfig(3), { runDir: full });
  const cut = tmp();
  const stopped = runTraining(tinyConfig(3), { runDir: cut, onEpoch: (r) => r.epoch < 1 });
  assert.equal(stopped.epochs, 1);
  const b = runTraining(tinyConfig(3), { runDir: cut, resume: true });
  assert.equal(b.resumedFrom, 1);
  const strip = (h: typeof a.history) => h.map(({ epoch_s, wall_s, num_tensors, ...r }) => r);
  assert.deepEqual(strip(b.history), strip(a.history));
  const shape = { shape: [8, 8, 3] as const, numClasses: 10 };
  const ra = loadRun(full, shape);
  const rb = loadRun(cut, shape);
  const pb = new Map(rb.net.namedParameters());
  for (const [n, v] of ra.net.namedParameters()) assert.deepEqual(v.dataSync(), pb.get(n)!.dataSync(), n);
  const bb = new Map(rb.net.namedBuffers());
  for (const [n, v] of ra.net.namedBuffers()) assert.deepEqual(v.dataSync(), bb.get(n)!.dataSync(), n);
  ra.net.dispose();
  rb.net.dispose();
  // a finished run resumes to itself without training
  const c = runTraining(tinyConfig(3), { runDir: cut, resume: true });
  assert.equal(c.resumedFrom, 3);
  assert.deepEqual(strip(c.history), strip(a.history));
  // a different configuration is refused
  assert.throws(() => runTraining(tinyConfig(4), { runDir: cut, resume: true }), /different configuration/);
  assert.ok(readFileSync(join(cut, 'curves.csv'), 'utf8').startsWith('epoch,lr,train_loss'));
});

test('darts: drop-path and auxiliary head train, and resume is exact', async () => {
  await useBackend('wasm');
  const g =
    "Genotype(normal=[('sep_conv_3x3', 0), ('skip_connect', 1), ('dil_conv_3x3', 0), ('max_pool_3x3', 2), ('skip_connect', 0), ('avg_pool_3x3', 1), ('sep_conv_5x5', 2), ('dil_conv_5x5', 3)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('dil_conv_3x3', 1), ('skip_connect', 0), ('sep_conv_3x3', 2), ('avg_pool_3x3', 1), ('skip_connect', 2), ('dil_conv_5x5', 3), ('sep_conv_3x3', 0)], reduce_concat=[2, 3, 4, 5])";
  const cfg = (): RunConfig => ({
    net: { space: 'darts', arch: g, C: 2, layers: 3, auxiliary: true, initSeed: 1 },
    data: { dataset: 'synthetic', imageSize: 32, trainLimit: 16, testLimit: 16 },
    recipe: { ...DEFAULT_RECIPE, epochs: 2, batch: 16, lr: 0.025, cutout: 4, dropPath: 0.3, auxWeight: 0.4, gradClip: 5, seed: 2 },
  });
  const a = runTraining(cfg(), { runDir: tmp() });
  const dir = tmp();
  runTraining(cfg(), { runDir: dir, onEpoch: () => false });
  const b = runTraining(cfg(), { runDir: dir, resume: true });
  assert.equal(b.history[1]!.train_loss, a.history[1]!.train_loss);
  assert.equal(b.history[1]!.test_acc, a.history[1]!.test_acc);
});

test('tsnas train --json prints the contract object', () => {
  const out = tmp();
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cli/main.ts',
      'train',
      '--space',
      'nb201',
      '--arch',
      ARCH,
      '--dataset',
      'synthetic',
      '--C',
      '4',
      '--N',
      '1',
      '--image-size',
      '8',
      '--train-limit',
      '100',
      '--test-limit',
      '50',
      '--epochs',
      '1',
      '--batch',
      '50',
      '--out',
      out,
      '--json',
      '--backend',
      'wasm',
    ],
    { cwd: REPO_ROOT, encoding: 'utf8', timeout: 300_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  const j = JSON.parse(lines[lines.length - 1]!);
  for (const k of ['arch', 'epochs', 'train_acc', 'test_acc', 'wall_s']) assert.ok(k in j, k);
  assert.equal(j.epochs, 1);
  assert.ok(existsSync(join(out, 'checkpoint.ckpt')) && existsSync(join(out, 'curves.json')));
});
