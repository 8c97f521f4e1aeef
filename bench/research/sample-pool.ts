/**
 * Shared setup of the per-architecture dump scripts (das-layers, das-unique): the seeded NB201
 * sample of `tsnas correlate --n N --seed S`, the CIFAR-10 training split, the backend, and the
 * architectures already in the output file (the scripts resume by skipping them).
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { initBackend } from '../../src/engine/backend.js';
import { defaultNb201Path, loadNb201Table, type Nb201Table } from '../../src/benchmarks/nb201-table.js';
import { sampleTableArchs } from '../../src/benchmarks/sample.js';
import { fixedBatch, loadDataset, type Dataset } from '../../src/data/index.js';
import { tf, type Tensor4D } from '../../src/engine/tf.js';
import type { Network } from '../../src/nn/network.js';
import { buildEvalNetwork, parseArch } from '../../src/spaces/index.js';
import { Rng } from '../../src/util/rng.js';

export function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
}

export interface SamplePool {
  n: number;
  seed: number;
  out: string;
  table: Nb201Table;
  archs: string[];
  data: Dataset;
  done: Set<string>;
}

export async function samplePool(defaultOut: string): Promise<SamplePool> {
  const n = Number(arg('n', '1000'));
  const seed = Number(arg('seed', '0'));
  const out = arg('out', defaultOut);
  const table = await loadNb201Table(arg('bench', defaultNb201Path()));
  const archs = sampleTableArchs(table.archStrings(), n, seed);
  await initBackend(arg('backend', 'auto'));
  const data = loadDataset('cifar10', { dataDir: arg('data-dir', '../shared/data/cifar10'), split: 'train', seed });
  const done = new Set(
    existsSync(out)
      ? readFileSync(out, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => (JSON.parse(l) as { arch: string }).arch)
      : [],
  );
  return { n, seed, out, table, archs, data, done };
}

/**
 * For every architecture of the pool not yet in the output: build its NB201 network (seeded), take
 * the seeded training batch, call `f`, append its object as one JSON line; progress every 50.
 */
export function forEachPending(pool: SamplePool, batchSize: number, f: (text: string, net: Network, x: Tensor4D) => Record<string, unknown>): void {
  const t0 = performance.now();
  let scored = 0;
  for (const text of pool.archs) {
    if (pool.done.has(text)) continue;
    const net = buildEvalNetwork('nb201', parseArch('nb201', text), new Rng(pool.seed), { numClasses: pool.data.numClasses, inputShape: [pool.data.height, pool.data.width, pool.data.channels] });
    const b = fixedBatch(pool.data, batchSize, pool.seed);
    let line: Record<string, unknown>;
    try {
      line = f(text, net, b.x as Tensor4D);
    } finally {
      b.x.dispose();
      b.y.dispose();
      net.dispose();
    }
    appendFileSync(pool.out, `${JSON.stringify({ arch: text, ...line })}\n`);
    scored++;
    if (scored % 50 === 0) console.error(`${pool.done.size + scored}/${pool.n} (${((performance.now() - t0) / 1000 / scored).toFixed(2)} s/arch, tensors ${tf.memory().numTensors})`);
  }
  console.error(`done: ${scored} scored now, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}
