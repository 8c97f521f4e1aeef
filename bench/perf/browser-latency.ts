/**
 * Browser latency vs Node latency on the same networks: N sampled NB201 evaluation networks
 * (C 16, N 5, 32×32, 10 classes, seeded random weights), each exported to a TF.js LayersModel and
 * timed with one protocol (zero batch of 1, predict + read-back, `warmup` untimed, median of
 * `reps`) in three places:
 *   - browser: headless Chromium, TF.js wasm backend from node_modules (latency:browser);
 *   - node:    the same exported LayersModel on TF.js's wasm backend in this process;
 *   - tsnas:   the tsnas network's own forward on wasm (latency:wasm).
 * The three are measured in `rounds` interleaved rounds of `reps` each (node, tsnas, browser, node,
 * ...) and each value is the median over all rounds, so that load from other processes on a
 * shared machine falls on all three alike.
 * Prints Spearman ρ and Kendall τ of browser vs node (and vs tsnas, and vs FLOPs), the median
 * ratio; --json prints one object with the per-network rows. Results: docs/benchmarks/deployment.md.
 *   npx tsx bench/perf/browser-latency.ts [--n 30] [--seed 0] [--reps 5] [--rounds 3] [--warmup 3] [--json]
 */
import { parseArgs } from 'node:util';
import os from 'node:os';
import { tf } from '../../src/engine/tf.js';
import { initBackend } from '../../src/engine/backend.js';
import { buildEvalNetwork, sampleArch } from '../../src/spaces/index.js';
import { toLayersModel } from '../../src/train/export-tfjs.js';
import { layersModelFiles, downloadBytes } from '../../src/deploy/model-files.js';
import { BrowserLatencyMeter } from '../../src/deploy/browser-latency.js';
import { measureLatency, netSize } from '../../src/objectives/index.js';
import { kendallTau, median, spearman } from '../../src/util/stats.js';
import { Rng } from '../../src/util/rng.js';

const { values: a } = parseArgs({
  options: {
    n: { type: 'string', default: '30' },
    seed: { type: 'string', default: '0' },
    reps: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
  },
});
const n = Number(a.n);
const reps = Number(a.reps);
const rounds = Number(a.rounds);
const warmup = Number(a.warmup);

await initBackend('wasm');
const wasmFlags = { simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'), threads: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT') };
const rng = new Rng(Number(a.seed));
const seen = new Set<string>();
const archs = [];
while (archs.length < n) {
  const s = sampleArch('nb201', rng);
  if (seen.has(s.text)) continue;
  archs.push(s);
  seen.add(s.text);
}

const t0 = performance.now();
const meter = await BrowserLatencyMeter.open({ reps, warmup: 1 });
const rows: { arch: string; params_m: number; flops_m: number; bytes: number; browser_ms: number; node_ms: number; tsnas_ms: number }[] = [];
try {
  for (const arch of archs) {
    const net = buildEvalNetwork('nb201', arch, new Rng(0));
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
      const size = netSize('nb201', arch);
      rows.push({ arch: arch.text, params_m: size.params, flops_m: size.flops, bytes: downloadBytes(files), browser_ms, node_ms, tsnas_ms });
      if (!a.json) process.stderr.write(`${rows.length}/${n} browser ${browser_ms.toFixed(2)} ms  node ${node_ms.toFixed(2)} ms  tsnas ${tsnas_ms.toFixed(2)} ms\n`);
    } finally {
      model.dispose();
      net.dispose();
    }
  }
} finally {
  await meter.close();
}

const col = (k: 'browser_ms' | 'node_ms' | 'tsnas_ms' | 'flops_m') => rows.map((r) => r[k]);
const summary = {
  n,
  reps,
  rounds,
  warmup,
  load_avg: os.loadavg(),
  cpus: os.cpus().length,
  tfjs: tf.version.tfjs,
  browser: meter.info,
  node_wasm: wasmFlags,
  browser_vs_node: {
    spearman: spearman(col('browser_ms'), col('node_ms')),
    kendall: kendallTau(col('browser_ms'), col('node_ms')),
    median_ratio: median(rows.map((r) => r.browser_ms / r.node_ms)),
  },
  browser_vs_tsnas: {
    spearman: spearman(col('browser_ms'), col('tsnas_ms')),
    kendall: kendallTau(col('browser_ms'), col('tsnas_ms')),
    median_ratio: median(rows.map((r) => r.browser_ms / r.tsnas_ms)),
  },
  browser_vs_flops: { spearman: spearman(col('browser_ms'), col('flops_m')), kendall: kendallTau(col('browser_ms'), col('flops_m')) },
  median_ms: { browser: median(col('browser_ms')), node: median(col('node_ms')), tsnas: median(col('tsnas_ms')) },
  wall_s: (performance.now() - t0) / 1000,
  rows,
};
if (a.json) console.log(JSON.stringify(summary));
else {
  const f = (v: number) => v.toFixed(3);
  console.log(
    `browser vs node wasm (same LayersModel): Spearman ${f(summary.browser_vs_node.spearman)}  Kendall ${f(summary.browser_vs_node.kendall)}  median ratio ${f(summary.browser_vs_node.median_ratio)}`,
  );
  console.log(
    `browser vs tsnas forward on wasm:       Spearman ${f(summary.browser_vs_tsnas.spearman)}  Kendall ${f(summary.browser_vs_tsnas.kendall)}  median ratio ${f(summary.browser_vs_tsnas.median_ratio)}`,
  );
  console.log(`browser vs FLOPs:                       Spearman ${f(summary.browser_vs_flops.spearman)}  Kendall ${f(summary.browser_vs_flops.kendall)}`);
  console.log(`median ms: browser ${f(summary.median_ms.browser)}  node ${f(summary.median_ms.node)}  tsnas ${f(summary.median_ms.tsnas)}; ${summary.wall_s.toFixed(0)} s`);
}
