/**
 * Kendall τ (Spearman ρ) of every proxy in a scores file against several NB201 table columns, with
 * failed scores (null / −∞: a disconnected cell's singular kernel, a NaN gradient) ranked last
 * as −∞, exactly as `tsnas correlate` passes them to the same τ and ρ, and also dropped, as a NaN
 * does in most correlation code (the NASWOT paper's protocol). Prints a markdown table; `--json` prints the numbers.
 *   npx tsx bench/research/score-columns.ts --scores FILE.jsonl [--bench nb201.csv.gz] [--first N] [--connected] [--json]
 * --connected keeps only the cells every proxy scored (drops disconnected cells for all proxies, so
 * every column compares proxies on the same cells).
 * FILE.jsonl: one {"arch","scores":{...}} per line (`tsnas correlate --scores-out`).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { defaultNb201Path, loadNb201Table } from '../../src/benchmarks/nb201-table.js';
import { kendallTau, spearman } from '../../src/util/stats.js';

const { values: a } = parseArgs({
  options: {
    scores: { type: 'string' },
    bench: { type: 'string' },
    first: { type: 'string' },
    connected: { type: 'boolean', default: false },
    columns: { type: 'string', default: 'cifar10_valid_val_acc,cifar10_test_acc,cifar100_test_acc,imagenet16_120_test_acc' },
    json: { type: 'boolean', default: false },
  },
});
if (!a.scores) throw new Error('--scores FILE.jsonl is required');
const table = await loadNb201Table(a.bench ?? defaultNb201Path());
let rows = readFileSync(a.scores, 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as { arch: string; scores: Record<string, number | null> });
if (a.first) rows = rows.slice(0, Number(a.first));
if (a.connected) rows = rows.filter((r) => Object.values(r.scores).every((v) => typeof v === 'number' && Number.isFinite(v)));
const proxies = Object.keys(rows[0]!.scores);
const columns = a.columns!.split(',');
const score = (v: number | null | undefined): number => (typeof v === 'number' && Number.isFinite(v) ? v : v === undefined ? NaN : -Infinity);

const out: Record<string, Record<string, { tau: number; rho: number; tauDropped: number; failed: number }>> = {};
for (const p of proxies) {
  out[p] = {};
  const s = rows.map((r) => score(r.scores[p]));
  const ok = s.map((v) => Number.isFinite(v));
  for (const c of columns) {
    const y = rows.map((r) => table.get(r.arch).values[c]!);
    out[p]![c] = {
      tau: kendallTau(s, y),
      rho: spearman(s, y),
      tauDropped: kendallTau(
        s.filter((_, i) => ok[i]),
        y.filter((_, i) => ok[i]),
      ),
      failed: ok.filter((v) => !v).length,
    };
  }
}

if (a.json) {
  console.log(JSON.stringify({ n: rows.length, columns, results: out }));
} else {
  const short = (c: string) =>
    c
      .replace('_acc', '')
      .replace('imagenet16_120', 'in16')
      .replace('cifar10_valid_val', 'c10 val')
      .replace('cifar10_test', 'c10 test')
      .replace('cifar100_test', 'c100 test')
      .replace('in16_test', 'in16 test');
  console.log(`n = ${rows.length}; τ (ρ), failed scores ranked last; [τ with them dropped]\n`);
  console.log(`| proxy | failed | ${columns.map(short).join(' | ')} |`);
  console.log(`|---|---|${columns.map(() => '---').join('|')}|`);
  for (const p of proxies) {
    const cells = columns.map((c) => {
      const r = out[p]![c]!;
      return `${r.tau.toFixed(3)} (${r.rho.toFixed(3)}) [${r.tauDropped.toFixed(3)}]`;
    });
    console.log(`| ${p} | ${out[p]![columns[0]!]!.failed} | ${cells.join(' | ')} |`);
  }
}
