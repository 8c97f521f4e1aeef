/**
 * Times forward and a full SGD train step (forward, backward, update) of tsnas networks on each
 * available backend and prints a table (or one JSON object with --json).
 *   npm run bench:nets -- [--batch 64] [--reps 5] [--backends native,wasm,cpu] [--json]
 */
import { parseArgs } from 'node:util';
import os from 'node:os';
import { tf } from '../../src/engine/tf.js';
import { initBackend } from '../../src/engine/backend.js';
import { Rng } from '../../src/util/rng.js';
import { medianTimeMs } from '../../src/util/timing.js';
import { parseArch, buildEvalNetwork } from '../../src/spaces/index.js';
import { Nb201Supernet } from '../../src/nn/nb201-supernet.js';
import { DartsSupernet } from '../../src/nn/darts-supernet.js';
import type { Network } from '../../src/nn/network.js';

const { values: a } = parseArgs({
  options: {
    batch: { type: 'string', default: '64' },
    reps: { type: 'string', default: '5' },
    backends: { type: 'string', default: 'native,wasm,cpu' },
    json: { type: 'boolean', default: false },
  },
});
const batch = Number(a.batch);
const reps = Number(a.reps);

interface Case {
  name: string;
  make: () => Network;
  input: [number, number, number];
  /** Skip the train step on the pure-JS backend (minutes per step). */
  heavy: boolean;
}

const BEST = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|';
const CASES: Case[] = [
  { name: 'nb201_eval (C16 N5, 32px, best cell)', make: () => buildEvalNetwork('nb201', parseArch('nb201', BEST), new Rng(0)), input: [32, 32, 3], heavy: true },
  { name: 'nb201_supernet (C8 N1, 16px)', make: () => new Nb201Supernet(new Rng(0), { C: 8, N: 1, numClasses: 10, inputShape: [16, 16, 3] }), input: [16, 16, 3], heavy: true },
  { name: 'darts_supernet (C8, 3 cells, 16px)', make: () => new DartsSupernet(new Rng(0), { C: 8, layers: 3, numClasses: 10, inputShape: [16, 16, 3] }), input: [16, 16, 3], heavy: true },
];

const rows: Record<string, Record<string, { forward_ms: number; train_ms: number | null }>> = {};
for (const be of a.backends!.split(',')) {
  try {
    await initBackend(be);
  } catch (e) {
    if (!a.json) console.error(`skip ${be}: ${(e as Error).message}`);
    continue;
  }
  rows[be] = {};
  for (const c of CASES) {
    const net = c.make();
    const rng = new Rng(1);
    const x = tf.tensor4d(
      Float32Array.from({ length: batch * c.input[0] * c.input[1] * c.input[2] }, () => rng.normal()),
      [batch, ...c.input],
    );
    const y = tf.oneHot(
      tf.tensor1d(
        Array.from({ length: batch }, (_, i) => i % 10),
        'int32',
      ),
      10,
    );
    const opt = tf.train.momentum(0.01, 0.9);
    const n = be === 'cpu' ? 1 : reps;
    const fwd = medianTimeMs(() => tf.tidy(() => net.forward(x, { training: true }).dataSync()), n);
    let train: number | null = null;
    if (!(be === 'cpu' && c.heavy)) {
      train = medianTimeMs(() => {
        const cost = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, net.forward(x, { training: true })) as tf.Scalar, true, net.parameters());
        cost?.dataSync();
        cost?.dispose();
      }, n);
    }
    rows[be]![c.name] = { forward_ms: Math.round(fwd * 10) / 10, train_ms: train === null ? null : Math.round(train * 10) / 10 };
    if (!a.json) console.error(`${be.padEnd(7)} ${c.name.padEnd(40)} forward ${fwd.toFixed(1)} ms  train ${train === null ? '—' : train.toFixed(1) + ' ms'}`);
    net.dispose();
    x.dispose();
    y.dispose();
    opt.dispose();
  }
}

const result = { batch, reps, cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model, results: rows };
if (a.json) console.log(JSON.stringify(result));
else {
  console.log(`\n| backend | network | forward B=${batch} (ms) | train step B=${batch} (ms) |\n|---|---|---|---|`);
  for (const [be, r] of Object.entries(rows)) for (const [n, v] of Object.entries(r)) console.log(`| ${be} | ${n} | ${v.forward_ms} | ${v.train_ms ?? '—'} |`);
}
