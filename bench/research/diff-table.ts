/**
 * Summary table of differentiable-search runs (issue 4): one row per strategy and results file,
 * mean ± std of the derived cells' NB201 accuracies, the `none`-free derivation, skip / none counts
 * per cell and wall time. With --split K, also rows for the first K seeds and for the rest.
 *   npx tsx bench/research/diff-table.ts runs/diff-cs8/results.jsonl [more results.jsonl ...] [--split 5]
 * results.jsonl: the lines `tsnas search ... --json` prints (bench/research/diff-search.sh appends them); a
 * resumed run prints its line again, so the last line per strategy and seed counts.
 */
import { readFileSync } from 'node:fs';
import { mean, std } from '../../src/util/stats.js';

interface RunLine {
  strategy: string;
  seed: number;
  epochs: number;
  genotype: string;
  wall_s: number;
  skipCount: number;
  bench: Record<string, number>;
  altDerive?: { bench: Record<string, number> };
}

const args = process.argv.slice(2);
const si = args.indexOf('--split');
const split = si >= 0 ? Number(args.splice(si, 2)[1]) : 0;
if (!args.length) throw new Error('usage: bench/research/diff-table.ts results.jsonl [...] [--split K]');
const f2 = (x: number[]) => `${mean(x).toFixed(2)} ± ${(x.length > 1 ? std(x, 1) : 0).toFixed(2)}`; // sample std, as the other tables

function row(label: string, runs: RunLine[]): string {
  const c10 = runs.map((r) => r.bench.cifar10_test_acc!);
  const noNone = runs.map((r) => (r.altDerive ?? r).bench.cifar10_test_acc!);
  const nones = runs.map((r) => r.genotype.split('none~').length - 1);
  return (
    `| ${label} | ${runs.map((r) => r.seed).join(',')} | ${runs[0]!.epochs} | ${f2(c10)} | ${c10.map((x) => x.toFixed(2)).join(' / ')} | ${f2(noNone)} | ` +
    `${mean(runs.map((r) => r.skipCount)).toFixed(1)} / ${mean(nones).toFixed(1)} | ${f2(runs.map((r) => r.bench.cifar100_test_acc!))} | ` +
    `${f2(runs.map((r) => r.bench.imagenet16_120_test_acc!))} | ${mean(runs.map((r) => r.wall_s)).toFixed(0)} s |`
  );
}

console.log('| strategy (file) | seeds | epochs | C10 test, argmax | per seed | without `none` | skip / none per cell | C100 test | IN16 test | wall per run |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const file of args) {
  const last = new Map<string, RunLine>();
  for (const l of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
    const r = JSON.parse(l) as RunLine;
    last.set(`${r.strategy}\u0000${String(r.seed).padStart(6, '0')}`, r);
  }
  const byStrategy = new Map<string, RunLine[]>();
  for (const [k, r] of [...last].sort(([a], [b]) => a.localeCompare(b))) {
    const s = k.split('\u0000')[0]!;
    byStrategy.set(s, [...(byStrategy.get(s) ?? []), r]);
  }
  for (const [s, runs] of byStrategy) {
    console.log(row(`${s} (${file})`, runs));
    if (split && runs.length > split) {
      console.log(row(`${s}, first ${split} seeds`, runs.slice(0, split)));
      console.log(row(`${s}, the other seeds`, runs.slice(split)));
    }
  }
}
