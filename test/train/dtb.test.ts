import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { buildDtb, collectDtb, dtbTargets, readDtb, sampleDtbArchs, DTB_CSV_COLUMNS } from '../../src/train/dtb.js';
import { DEFAULT_RECIPE } from '../../src/train/trainer.js';
import { readCheckpoint } from '../../src/train/checkpoint.js';
import { useBackend } from '../helpers/backends.js';
import { tf } from '../../src/engine/tf.js';
import { REPO_ROOT } from '../helpers/data-paths.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'tsnas-dtb-'));
const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 600_000 });
const lastJson = (s: string) => JSON.parse(s.trim().split('\n').pop()!);

const ARCHS = 4;
const EPOCHS = 3;
const buildArgs = (out: string) => [
  'dtb',
  'build',
  '--space',
  'nb201',
  '--archs',
  String(ARCHS),
  '--epochs',
  String(EPOCHS),
  '--dataset',
  'synthetic',
  '--image-size',
  '8',
  '--train-limit',
  '256',
  '--test-limit',
  '64',
  '--batch',
  '32',
  '--C',
  '4',
  '--N',
  '1',
  '--seed',
  '7',
  '--out',
  out,
  '--backend',
  'wasm',
  '--json',
  '--no-progress',
];

test('DTB archs are seeded and distinct', () => {
  const a = sampleDtbArchs('darts', 20, 3);
  assert.deepEqual(a, sampleDtbArchs('darts', 20, 3));
  assert.equal(new Set(a).size, 20);
  assert.notDeepEqual(a, sampleDtbArchs('darts', 20, 4));
});

test('DTB end to end: build, SIGKILL mid-architecture, resume, export json/csv, correlate', async () => {
  // Reference: an uninterrupted build.
  const ref = tmp();
  const r0 = cli(buildArgs(ref));
  assert.equal(r0.status, 0, r0.stderr);
  assert.deepEqual({ ...lastJson(r0.stdout), wall_s: 0, out: '' }, { out: '', done: ARCHS, total: ARCHS, trained_now: ARCHS, complete: true, wall_s: 0 });

  // Killed build: SIGKILL once architecture 1 has a checkpoint after its first epoch and is unfinished.
  const dir = tmp();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...buildArgs(dir)], { cwd: REPO_ROOT, stdio: 'ignore' });
  const run1 = join(dir, 'runs', '0001');
  let killedMidArch = false;
  await new Promise<void>((res, rej) => {
    const timer = setInterval(() => {
      if (existsSync(join(run1, 'curves.json')) && !existsSync(join(run1, 'result.json'))) {
        child.kill('SIGKILL');
        killedMidArch = true;
      }
    }, 5);
    child.on('exit', () => {
      clearInterval(timer);
      res();
    });
    child.on('error', rej);
  });
  assert.ok(killedMidArch, 'the build was killed while architecture 1 was half-trained');
  assert.ok(existsSync(join(dir, 'runs', '0000', 'result.json')), 'architecture 0 finished before the kill');
  assert.ok(!existsSync(join(run1, 'result.json')));
  const half = readCheckpoint<{ epoch: number }>(join(run1, 'checkpoint.ckpt')).meta.epoch;
  assert.ok(half >= 1 && half < EPOCHS, `checkpoint at epoch ${half}`);
  assert.throws(() => collectDtb(dir), /unfinished/);
  assert.equal(collectDtb(dir, { partial: true }).num_archs, 1);

  // Resume in-process with the same settings: architecture 0 is not retrained, 1 continues from its checkpoint.
  await useBackend('wasm');
  const m = JSON.parse(readFileSync(join(dir, 'dtb.json'), 'utf8'));
  const logs: string[] = [];
  const tensorsBefore = tf.memory().numTensors;
  const r = buildDtb(dir, { space: m.space, seed: m.seed, numArchs: ARCHS, net: m.net, data: m.data, recipe: m.recipe }, { log: (s) => logs.push(s) });
  assert.equal(r.done, ARCHS);
  assert.equal(r.trainedNow, ARCHS - 1);
  assert.equal(tf.memory().numTensors, tensorsBefore, 'memory flat over a DTB build');
  assert.match(logs[0]!, new RegExp(`^\\[2/${ARCHS}\\].*resumed at epoch ${half}`));

  // The resumed benchmark equals the uninterrupted one (timings aside).
  const strip = (d: ReturnType<typeof collectDtb>) => d.archs.map((a) => ({ ...a, epochs: a.epochs.map(({ epoch_s, wall_s, ...e }) => e) }));
  assert.deepEqual(strip(collectDtb(dir)), strip(collectDtb(ref)));

  // Export JSON and CSV.
  const jf = join(dir, 'dtb-export.json');
  const ej = cli(['dtb', 'export', '--out', dir, '--format', 'json', '--file', jf, '--json']);
  assert.equal(ej.status, 0, ej.stderr);
  const d = readDtb(jf);
  assert.equal(d.format, 'tsnas-dtb');
  assert.equal(d.version, 1);
  assert.equal(d.num_archs, ARCHS);
  assert.ok(d.archs.every((a) => a.epochs.length === EPOCHS && a.params > 0 && a.flops > 0));
  for (const k of ['epoch', 'lr', 'train_loss', 'train_acc', 'val_loss', 'val_acc', 'epoch_s', 'wall_s']) assert.ok(k in d.archs[0]!.epochs[0]!, k);
  assert.equal(dtbTargets(d, 2).length, ARCHS);
  const cf = join(dir, 'dtb.csv');
  const ec = cli(['dtb', 'export', '--out', dir, '--format', 'csv', '--file', cf, '--json']);
  assert.equal(ec.status, 0, ec.stderr);
  const lines = readFileSync(cf, 'utf8').trim().split('\n');
  assert.ok(lines[0]!.startsWith('# tsnas-dtb v1'));
  assert.equal(lines[1], DTB_CSV_COLUMNS.join(','));
  assert.equal(lines.length, 2 + ARCHS * EPOCHS);

  // Correlate proxies with the accuracy at epoch 2 (and a fast-trained proxy).
  const c = cli(['correlate', '--bench-dtb', jf, '--epoch', '2', '--proxies', 'params,flops,naswot', '--batch', '16', '--backend', 'wasm', '--json']);
  assert.equal(c.status, 0, c.stderr);
  const cj = lastJson(c.stdout);
  assert.equal(cj.n, ARCHS);
  assert.equal(cj.epoch, 2);
  assert.equal(cj.target, 'val_acc');
  for (const p of ['params', 'flops', 'naswot']) assert.ok(Number.isFinite(cj.kendall[p]) && Math.abs(cj.kendall[p]) <= 1, p);
  const bad = cli(['correlate', '--bench-dtb', jf, '--epoch', '9', '--proxies', 'params', '--json']);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /no epoch 9/);
});

test('DTB refuses to resume with other settings', async () => {
  await useBackend('wasm');
  const dir = tmp();
  const base = {
    space: 'nb201' as const,
    seed: 1,
    numArchs: 2,
    net: { C: 4, N: 1 },
    data: { dataset: 'synthetic', imageSize: 8, trainLimit: 32, testLimit: 16 },
    recipe: { ...DEFAULT_RECIPE, epochs: 1, batch: 16 },
  };
  assert.equal(buildDtb(dir, base, { stopAfter: 0 }).done, 0);
  assert.throws(() => buildDtb(dir, { ...base, recipe: { ...base.recipe, epochs: 2 } }), /other settings/);
});

test('the shipped DTB (results/dtb-nb201-c10-100-v1.json) is a valid v1 file: its seeded sample, its network sizes, every epoch', async () => {
  await useBackend('cpu');
  const { buildEvalNetwork, parseArch } = await import('../../src/spaces/index.js');
  const { Rng } = await import('../../src/util/rng.js');
  const d = readDtb(join(REPO_ROOT, 'results', 'dtb-nb201-c10-100-v1.json'));
  assert.equal(d.archs.length, 100);
  // the architectures are the build seed's sample, in order
  assert.deepEqual(
    d.archs.map((a) => a.arch),
    sampleDtbArchs(d.space, 100, d.seed),
  );
  const net = d.net as { C: number; N: number };
  for (const a of d.archs.slice(0, 10)) {
    const n = buildEvalNetwork('nb201', parseArch('nb201', a.arch), new Rng(0), { C: net.C, N: net.N, inputShape: [16, 16, 3], numClasses: 10 });
    assert.equal(a.params, n.paramCount(), a.arch);
    n.dispose();
  }
  for (const a of d.archs) {
    assert.deepEqual(
      a.epochs.map((e) => e.epoch),
      Array.from({ length: 12 }, (_, i) => i + 1),
    );
    for (const e of a.epochs) assert.ok(e.val_acc >= 0 && e.val_acc <= 100 && Number.isFinite(e.train_loss), `${a.index}@${e.epoch}`);
  }
});
