/**
 * Memory soak: N proxy evaluations (NASWOT + DAS + params on a fresh random NB201 network each
 * time, the path `score`/`correlate`/`search --strategy naswot` take) while recording
 * tf.memory().numTensors and the process RSS. Small images and batch keep it to minutes; the
 * network is the full NB201 evaluation network (C=16, N=5).
 *   npx tsx bench/perf/memory-soak.ts [--n 10000] [--every 500] [--backend auto] [--json]
 */
import { parseArgs } from 'node:util';
import { tf } from '../../src/engine/tf.js';
import { initBackend } from '../../src/engine/backend.js';
import { loadDataset } from '../../src/data/index.js';
import { scoreArch } from '../../src/proxies/index.js';
import { sampleArch } from '../../src/spaces/index.js';
import { Rng } from '../../src/util/rng.js';

const { values: a } = parseArgs({
  options: { n: { type: 'string', default: '10000' }, every: { type: 'string', default: '500' }, backend: { type: 'string', default: 'auto' }, json: { type: 'boolean', default: false } },
});
const n = Number(a.n);
const every = Number(a.every);
const be = await initBackend(a.backend!);
const data = loadDataset('synthetic', { split: 'train', limit: 64, seed: 1, synthetic: { height: 8, width: 8 } });
const rng = new Rng(7);
const samples: { evals: number; numTensors: number; rssMiB: number; s: number }[] = [];
const t0 = performance.now();
const mark = (i: number) => {
  global.gc?.();
  samples.push({ evals: i, numTensors: tf.memory().numTensors, rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20), s: Math.round((performance.now() - t0) / 100) / 10 });
  if (!a.json) console.error(`${i}\ttensors ${samples.at(-1)!.numTensors}\trss ${samples.at(-1)!.rssMiB} MiB\t${samples.at(-1)!.s} s`);
};
mark(0);
for (let i = 1; i <= n; i++) {
  scoreArch(sampleArch('nb201', rng), ['naswot', 'das', 'params'], { data, batch: 16, seed: i });
  if (i % every === 0 || i === n) mark(i);
}
const warm = samples.find((s) => s.evals >= every) ?? samples[0]!;
const last = samples.at(-1)!;
const result = { n, backend: be.name, tensors_first: samples[0]!.numTensors, tensors_last: last.numTensors, rss_after_warmup_MiB: warm.rssMiB, rss_last_MiB: last.rssMiB, wall_s: last.s, samples };
console.log(JSON.stringify(a.json ? result : { ...result, samples: undefined }));
