/**
 * Browser latency vs Node latency on the same networks: N distinct sampled networks of a space
 * (`--space nb201`: the evaluation network, C 16, N 5; `--space mobile`: the mobile space's network;
 * 32×32×3 input, 10 classes, seeded random weights), each exported to a TF.js LayersModel and
 * timed with one protocol (zero batch of 1, predict + read-back, `warmup` untimed, median of
 * `reps`) in three places:
 *   - browser: headless Chromium, TF.js wasm backend from node_modules (latency:browser);
 *   - node:    the same exported LayersModel on TF.js's wasm backend in this process;
 *   - tsnas:   the tsnas network's own forward on wasm (latency:wasm).
 * The three are measured in `rounds` interleaved rounds of `reps` each (node, tsnas, browser, node,
 * ...) and each value is the median over all rounds, so that load from other processes on a
 * shared machine falls on all three alike.
 * With `--out FILE.jsonl` every network's row (with the 1-minute load average when it was timed) is
 * appended as soon as it is measured; a rerun with the same settings skips the networks already in
 * the file (resume), and the statistics are computed over the file's rows (`--analyse`: no
 * measuring) and written to `<out>-summary.json`. Rows made with other settings are refused.
 * Prints Spearman ρ and Kendall τ of browser vs node (with 95 % bootstrap intervals; and vs tsnas, and vs FLOPs), the median
 * ratio; --json prints one object with the per-network rows. Results: docs/benchmarks/deployment.md.
 *   npx tsx bench/research/browser-latency.ts [--space nb201] [--n 30] [--seed 0] [--reps 5] [--rounds 3] [--warmup 3]
 *     [--out results/mobile/browser-latency.jsonl] [--analyse] [--json]
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import os from 'node:os';
import { tf } from '../../src/engine/tf.js';
import { initBackend } from '../../src/engine/backend.js';
import { buildEvalNetwork, resolveSpace, sampleArch } from '../../src/spaces/index.js';
import { toLayersModel } from '../../src/train/export-tfjs.js';
import { layersModelFiles, downloadBytes } from '../../src/deploy/model-files.js';
import { BrowserLatencyMeter } from '../../src/deploy/browser-latency.js';
import { measureLatency, netSize } from '../../src/objectives/index.js';
import { kendallTau, median, spearman } from '../../src/util/stats.js';
import { Rng } from '../../src/util/rng.js';
import { bootstrapInterval, pick } from '../../src/util/bootstrap.js';
import { TsnasError } from '../../src/util/errors.js';
import { readJsonl } from './jsonl.js';

const { values: a } = parseArgs({
  options: {
    space: { type: 'string', default: 'nb201' },
    n: { type: 'string', default: '30' },
    seed: { type: 'string', default: '0' },
    reps: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '3' },
    out: { type: 'string' },
    analyse: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const n = Number(a.n);
const reps = Number(a.reps);
const rounds = Number(a.rounds);
const warmup = Number(a.warmup);

const space = (await resolveSpace(a.space!)).name;
await initBackend('wasm');
const wasmFlags = { simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'), threads: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT') };
const rng = new Rng(Number(a.seed));
const seen = new Set<string>();
const archs = [];
while (archs.length < n) {
  const s = sampleArch(space, rng);
  if (seen.has(s.text)) continue;
  archs.push(s);
  seen.add(s.text);
}

interface Row {
  arch: string;
  settings: string;
  params_m: number;
  flops_m: number;
  bytes: number;
  browser_ms: number;
  node_ms: number;
  tsnas_ms: number;
  load1: number;
}
const settings = JSON.stringify({ space, seed: Number(a.seed), reps, rounds, warmup });
const rows: Row[] = a.out ? readJsonl<Row>(a.out) : [];
const other = rows.find((r) => r.settings !== settings);
if (other) throw new TsnasError(`${a.out}: row of ${other.arch} was measured with ${other.settings}, not ${settings}; give another --out`);
if (a.out) mkdirSync(dirname(a.out), { recursive: true });
const done = new Set(rows.map((r) => r.arch));

const t0 = performance.now();
let browserInfo: unknown;
if (!a.analyse && archs.some((x) => !done.has(x.text))) {
  const meter = await BrowserLatencyMeter.open({ reps, warmup: 1 });
  browserInfo = meter.info;
  try {
    for (const arch of archs) {
      if (done.has(arch.text)) continue;
      const net = buildEvalNetwork(space, arch, new Rng(0));
      const model = toLayersModel(net);
      try {
        const files = layersModelFiles(model);
        const x = tf.zeros([1, 32, 32, 3]);
        const predict = () => tf.tidy(() => void (model.predict(x) as tf.Tensor).dataSync());
        for (let i = 0; i < warmup; i++) predict();
        const t: { node: number[]; tsnas: number[]; browser: number[] } = { node: [], tsnas: [], browser: [] };
        for (let r = 0; r < rounds; r++) {
          for (let i = 0; i < reps; i++) {
            const t0 = performance.now();
            predict();
            t.node.push(performance.now() - t0);
          }
          // measureLatency reports a median per call: one timed run per call, after its own warm-up run
          for (let i = 0; i < reps; i++) t.tsnas.push(measureLatency(net, { reps: 1, warmup: r === 0 && i === 0 ? warmup : 0 }));
          t.browser.push(...(await meter.times(files)));
        }
        x.dispose();
        const [node_ms, tsnas_ms, browser_ms] = [median(t.node), median(t.tsnas), median(t.browser)];
        const size = netSize(space, arch);
        const row: Row = { arch: arch.text, settings, params_m: size.params, flops_m: size.flops, bytes: downloadBytes(files), browser_ms, node_ms, tsnas_ms, load1: os.loadavg()[0]! };
        rows.push(row);
        if (a.out) appendFileSync(a.out, JSON.stringify(row) + '\n');
        if (!a.json) process.stderr.write(`${rows.length}/${n} browser ${browser_ms.toFixed(2)} ms  node ${node_ms.toFixed(2)} ms  tsnas ${tsnas_ms.toFixed(2)} ms\n`);
      } finally {
        model.dispose();
        net.dispose();
      }
    }
  } finally {
    await meter.close();
  }
}

// in draw order, whether measured now or read from --out
const order = new Map(archs.map((x, i) => [x.text, i]));
rows.sort((x, y) => (order.get(x.arch) ?? 0) - (order.get(y.arch) ?? 0));
const col = (k: 'browser_ms' | 'node_ms' | 'tsnas_ms' | 'flops_m') => rows.map((r) => r[k]);
const summary = {
  space,
  n: rows.length,
  reps,
  rounds,
  warmup,
  load1: [Math.min(...rows.map((r) => r.load1)), Math.max(...rows.map((r) => r.load1))],
  cpus: os.cpus().length,
  tfjs: tf.version.tfjs,
  browser: browserInfo,
  node_wasm: wasmFlags,
  browser_vs_node: {
    spearman: spearman(col('browser_ms'), col('node_ms')),
    kendall: kendallTau(col('browser_ms'), col('node_ms')),
    // 95 % paired-bootstrap intervals: 30 networks on a loaded machine leave the ranks uncertain
    spearman_ci: bootstrapInterval(rows.length, (idx) => spearman(pick(col('browser_ms'), idx), pick(col('node_ms'), idx))),
    kendall_ci: bootstrapInterval(rows.length, (idx) => kendallTau(pick(col('browser_ms'), idx), pick(col('node_ms'), idx))),
    median_ratio: median(rows.map((r) => r.browser_ms / r.node_ms)),
  },
  browser_vs_tsnas: {
    spearman: spearman(col('browser_ms'), col('tsnas_ms')),
    kendall: kendallTau(col('browser_ms'), col('tsnas_ms')),
    median_ratio: median(rows.map((r) => r.browser_ms / r.tsnas_ms)),
  },
  browser_vs_flops: { spearman: spearman(col('browser_ms'), col('flops_m')), kendall: kendallTau(col('browser_ms'), col('flops_m')) },
  median_ms: { browser: median(col('browser_ms')), node: median(col('node_ms')), tsnas: median(col('tsnas_ms')) },
  // this invocation only (a resumed or --analyse run measures less)
  wall_s: (performance.now() - t0) / 1000,
  rows,
};
if (a.out) writeFileSync(a.out.replace(/\.jsonl$/, '') + '-summary.json', JSON.stringify({ ...summary, rows: undefined }, null, 2) + '\n');
if (a.json) console.log(JSON.stringify(summary));
else {
  const f = (v: number) => v.toFixed(3);
  console.log(
    `browser vs node wasm (same LayersModel): Spearman ${f(summary.browser_vs_node.spearman)} [${summary.browser_vs_node.spearman_ci.map(f).join(', ')}]  Kendall ${f(summary.browser_vs_node.kendall)} [${summary.browser_vs_node.kendall_ci.map(f).join(', ')}]  median ratio ${f(summary.browser_vs_node.median_ratio)}`,
  );
  console.log(
    `browser vs tsnas forward on wasm:       Spearman ${f(summary.browser_vs_tsnas.spearman)}  Kendall ${f(summary.browser_vs_tsnas.kendall)}  median ratio ${f(summary.browser_vs_tsnas.median_ratio)}`,
  );
  console.log(`browser vs FLOPs:                       Spearman ${f(summary.browser_vs_flops.spearman)}  Kendall ${f(summary.browser_vs_flops.kendall)}`);
  console.log(`median ms: browser ${f(summary.median_ms.browser)}  node ${f(summary.median_ms.node)}  tsnas ${f(summary.median_ms.tsnas)}; ${summary.wall_s.toFixed(0)} s`);
}
