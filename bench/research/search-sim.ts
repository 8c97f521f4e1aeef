/**
 * Proxy-guided search simulated from a scored pool, as the NASWOT paper does: each run samples N
 * architectures from the pool (without replacement), keeps the one with the best proxy score, and
 * reports its NB201 accuracies; mean ± std over R runs. Random search picks a random one.
 *   npx tsx bench/research/search-sim.ts --scores FILE.jsonl [--bench nb201.csv.gz] [--ns 10,100] [--runs 500] [--proxies naswot,das,params] [--json]
 * FILE.jsonl: one {"arch","scores":{...}} per line (`tsnas correlate --scores-out`).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { defaultNb201Path, loadNb201Table } from '../../src/benchmarks/nb201-table.js';
import { mean, std } from '../../src/util/stats.js';
import { Rng } from '../../src/util/rng.js';
import { parseProxyList } from '../../src/proxies/index.js';

const { values: a } = parseArgs({
  options: {
    scores: { type: 'string' },
    bench: { type: 'string' },
    ns: { type: 'string', default: '10,100' },
    runs: { type: 'string', default: '500' },
    proxies: { type: 'string', default: 'naswot,das,params' },
    seed: { type: 'string', default: '0' },
    json: { type: 'boolean', default: false },
  },
});
if (!a.scores) throw new Error('--scores FILE.jsonl is required');
const table = await loadNb201Table(a.bench ?? defaultNb201Path());
const pool = readFileSync(a.scores, 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as { arch: string; scores: Record<string, number | null> });
const runs = Number(a.runs);
const columns = ['cifar10_valid_val_acc', 'cifar10_test_acc', 'cifar100_test_acc', 'imagenet16_120_test_acc'];
const methods = [...parseProxyList(a.proxies!), 'random'];
for (const m of methods) {
  if (m !== 'random' && !pool.some((p) => typeof p.scores[m] === 'number')) throw new Error(`no architecture in ${a.scores} has a '${m}' score`);
}
const out: Record<string, Record<string, Record<string, { mean: number; std: number }>>> = {};
for (const N of a.ns!.split(',').map(Number)) {
  if (N > pool.length) throw new Error(`N=${N} exceeds the pool (${pool.length})`);
  out[N] = {};
  for (const m of methods) {
    const rng = new Rng(Number(a.seed) * 1000 + N);
    const picks: string[] = [];
    for (let r = 0; r < runs; r++) {
      const idx = rng.sample(pool.length, N);
      let best = idx[0]!;
      if (m === 'random') best = idx[rng.int(N)]!;
      else {
        // A missing or non-finite score (disconnected cell) ranks last.
        const s = (i: number) => pool[i]!.scores[m] ?? -Infinity;
        for (const i of idx) if (s(i) > s(best)) best = i;
      }
      picks.push(pool[best]!.arch);
    }
    out[N]![m] = Object.fromEntries(
      columns.map((c) => {
        const v = picks.map((p) => table.value(p, c));
        return [c, { mean: Math.round(mean(v) * 100) / 100, std: Math.round(std(v) * 100) / 100 }];
      }),
    );
  }
}
const result = { pool: pool.length, runs, scores: a.scores, results: out };
if (a.json) console.log(JSON.stringify(result));
else {
  console.log(`pool ${pool.length}, ${runs} runs per cell; mean ± std\n| N | method | C10 val | C10 test | C100 test | IN16 test |\n|---|---|---|---|---|---|`);
  for (const [N, r] of Object.entries(out))
    for (const [m, c] of Object.entries(r)) console.log(`| ${N} | ${m} | ${columns.map((k) => `${c[k]!.mean.toFixed(2)} ± ${c[k]!.std.toFixed(2)}`).join(' | ')} |`);
}
