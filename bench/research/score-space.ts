/**
 * Score every architecture of NB201 (or the first --n of the seeded order) with the cheap
 * training-free proxies, one JSON line per architecture, in shards that run side by side:
 *
 *   TSNAS_THREADS=1 npx tsx bench/research/score-space.ts --n 15625 --seed 0 --shard 0/2 --out runs/space/s0.jsonl
 *   TSNAS_THREADS=1 npx tsx bench/research/score-space.ts --n 15625 --seed 0 --shard 1/2 --out runs/space/s1.jsonl
 *
 * The order is `tsnas correlate --n N --seed S`'s seeded shuffle (a prefix property: its first
 * 3,000 are the n = 3000 pool), shard i/k takes positions p ≡ i (mod k). Each architecture's
 * network, batch and scores are those of `tsnas score`/`correlate` with the same seed (built from
 * the seed alone, not from the position), so shards and resumed runs concatenate. Lines:
 * {"arch","scores":{...},"acc":{column: value}}, which bench/research/search-sim.ts reads. Resumes:
 * architectures already in --out are skipped. `--reverse` walks the shard from its end.
 */
import { arg, forEachPending, samplePool } from './sample-pool.js';
import { scoreArch } from '../../src/proxies/index.js';
import { parseArch } from '../../src/spaces/index.js';

const pool = await samplePool('runs/space/scores.jsonl');
const [si, sk] = arg('shard', '0/1').split('/').map(Number) as [number, number];
if (!Number.isInteger(si) || !Number.isInteger(sk) || sk < 1 || si < 0 || si >= sk) throw new Error(`--shard must be i/k with 0 ≤ i < k, got ${arg('shard', '')}`);
pool.archs = pool.archs.filter((_, p) => p % sk === si);
// --reverse: from the end (a second process can then work on a shard from both ends, writing to another --out)
if (process.argv.includes('--reverse')) pool.archs.reverse();
pool.n = pool.archs.length;
const proxies = arg('proxies', 'naswot,das,dis,units,params,flops').split(',');
const batchSize = Number(arg('batch', '128'));
const cols = ['cifar10_test_acc', 'cifar10_valid_val_acc', 'cifar100_test_acc', 'imagenet16_120_test_acc'];
forEachPending(pool, batchSize, (text) => {
  const r = scoreArch(parseArch('nb201', text), proxies, { data: pool.data, batch: batchSize, seed: pool.seed });
  const scores = Object.fromEntries(Object.entries(r.scores).map(([k, v]) => [k, Number.isFinite(v) ? v : null]));
  return { scores, seconds: r.seconds, acc: Object.fromEntries(cols.map((c) => [c, pool.table.value(text, c)])) };
});
