/**
 * Browser latency vs Node latency on the same networks: N sampled NB201 evaluation networks
 * (C 16, N 5, 32×32, 10 classes, seeded random weights), each exported to a TF.js LayersModel and
 * timed with one protocol (zero batch of 1, predict + read-back, `warmup` untimed, median of
 * `reps`) in three places:
 *   - browser: headless Chromium, TF.js wasm backend from node_modules (latency:browser);
 *   - node:    the same exported LayersModel on TF.js's wasm backend in this process;
 *   - tsnas:   the tsnas network's own forward on wasm (latency:wasm).
 * Prints Spearman ρ and Kendall τ of browser vs node (and vs tsnas), the median ratio, and the
 * per-network table; --json prints one object. Results: docs/benchmarks/deployment.md.
 *   npx tsx bench/perf/browser-latency.ts [--n 30] [--seed 0] [--reps 10] [--warmup 3] [--json]
 */
import { parseArgs } from 'node:util';
import { tf } from '../../src/engine/tf.js';
import { initBackend } from '../../src/engine/backend.js';
import { buildEvalNetwork, sampleArch } from '../../src/spaces/index.js';
import { toLayersModel } from '../../src/train/export-tfjs.js';
import { layersModelFiles, downloadBytes } from '../../src/deploy/model-files.js';
import { BrowserLatencyMeter } from '../../src/deploy/browser-latency.js';
import { measureLatency, netSize } from '../../src/objectives/index.js';
import { kendallTau, median, spearman } from '../../src/util/stats.js';
import { medianTimeMs } from '../../src/util/timing.js';
import { Rng } from '../../src/util/rng.js';

const { values: a } = parseArgs({
  options: {
    n: { type: 'string', default: '30' },
    seed: { type: 'string', default: '0' },
    reps: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
  },
});
const n = Number(a.n);
const reps = Number(a.reps);
const warmup = Number(a.warmup);

await initBackend('wasm');
const wasmFlags = { simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'), threads: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT') };
const rng = new Rng(Number(a.seed));
const seen = new Set<string>();
const archs = [];
while (archs.length < n) {
  const s = sampleArch('nb201', rng);
  if (!seen.has(s.text)) archs.push(s), seen.add(s.text);
}

const t0 = performance.now();
const meter = await BrowserLatencyMeter.open({ reps, warmup });
const rows: { arch: string; params_m: number; flops_m: number; bytes: number; browser_ms: number; node_ms: number; tsnas_ms: number }[] = [];
try {
  for (const arch of archs) {
    const net = buildEvalNetwork('nb201', arch, new Rng(0));
    const model = toLayersModel(net);
    try {
      const files = layersModelFiles(model);
      const x = tf.zeros([1, 32, 32, 3]);
      const node_ms = medianTimeMs(() => tf.tidy(() => void (model.predict(x) as tf.Tensor).dataSync()), reps, warmup);
      x.dispose();
      const tsnas_ms = measureLatency(net, { reps, warmup });
      const browser_ms = await meter.measure(files);
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
  warmup,
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
  console.log(`browser vs node wasm (same LayersModel): Spearman ${f(summary.browser_vs_node.spearman)}  Kendall ${f(summary.browser_vs_node.kendall)}  median ratio ${f(summary.browser_vs_node.median_ratio)}`);
  console.log(`browser vs tsnas forward on wasm:       Spearman ${f(summary.browser_vs_tsnas.spearman)}  Kendall ${f(summary.browser_vs_tsnas.kendall)}  median ratio ${f(summary.browser_vs_tsnas.median_ratio)}`);
  console.log(`browser vs FLOPs:                       Spearman ${f(summary.browser_vs_flops.spearman)}  Kendall ${f(summary.browser_vs_flops.kendall)}`);
  console.log(`median ms: browser ${f(summary.median_ms.browser)}  node ${f(summary.median_ms.node)}  tsnas ${f(summary.median_ms.tsnas)}; ${summary.wall_s.toFixed(0)} s`);
}
