/**
 * The connection term of the default DAS rule, fitted and checked on a scored pool (issue 9):
 *
 *   npx tsx bench/research/das-conn.ts --scores runs/space/all.jsonl --legacy-das [--bench nb201.csv.gz] [--out FILE.jsonl]
 *
 * The pool must hold `naswot`, `flops` (MACs per image / 1e6) and the two-term rule under its own
 * name (`das:kernel=perlayer,lambda=0.5,active=10`). A score file does not record which rule its
 * `das` was, so `--legacy-das` says that the file's `das` is the two-term rule (pools written before
 * the connection term became the default).
 * The pool is first put in the seeded order of `tsnas correlate --n 15625 --seed 0` (pools written
 * by bench/research/score-space.ts shards are not), so its prefixes are the n = 1000 / 3000 samples of the
 * other tables. Protocol: γ in das_two_term + γ·B·ln(MACs) is chosen by Kendall τ on C10 validation
 * accuracy on the even positions of that order and reported on the odd positions, never used for
 * the choice; NASWOT on the same cells is the reference. Cells with a failed NASWOT score
 * (disconnected: singular kernel) are dropped for both, as the NASWOT paper's NaN does.
 * The same term on the parameter count (γ·B·ln params) is shown beside it.
 * --out writes the pool with `das` = the default rule and the two-term rule under its own name,
 * for bench/research/search-sim.ts and bench/research/score-columns.ts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { defaultNb201Path, loadNb201Table } from '../../src/benchmarks/nb201-table.js';
import { DAS_TWO_TERM, DEFAULT_DAS, parseDasRule } from '../../src/proxies/naswot.js';
import { kendallTau } from '../../src/util/stats.js';
import { sampleTableArchs } from '../../src/benchmarks/sample.js';

const { values: a } = parseArgs({ options: { scores: { type: 'string' }, bench: { type: 'string' }, out: { type: 'string' }, 'legacy-das': { type: 'boolean', default: false } } });
if (!a.scores) throw new Error('--scores FILE.jsonl is required');
type Line = { arch: string; scores: Record<string, number | null> };
const table = await loadNb201Table(a.bench ?? defaultNb201Path());
const position = new Map(sampleTableArchs(table.archStrings(), table.archStrings().length, 0).map((t, i) => [t, i]));
const lines = readFileSync(a.scores, 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as Line)
  .sort((x, y) => position.get(x.arch)! - position.get(y.arch)!);
const B = 128;
const twoTermKey = a['legacy-das'] ? 'das' : DAS_TWO_TERM;
const twoTerm = (l: Line) => l.scores[twoTermKey];
for (const l of lines) {
  if (typeof twoTerm(l) !== 'number' || typeof l.scores.flops !== 'number')
    throw new Error(`${a.scores}: ${l.arch} has no '${twoTermKey}' or flops score${a['legacy-das'] ? '' : ' (a pool from before the connection term: --legacy-das)'}`);
}
const ok = (l: Line) => typeof l.scores.naswot === 'number' && Number.isFinite(l.scores.naswot);
const halves = [lines.filter((l, i) => i % 2 === 0 && ok(l)), lines.filter((l, i) => i % 2 === 1 && ok(l))] as const;
const columns = ['cifar10_valid_val_acc', 'cifar10_test_acc', 'cifar100_test_acc', 'imagenet16_120_test_acc'];
const tau = (ls: readonly Line[], f: (l: Line) => number, col: string) =>
  kendallTau(
    ls.map(f),
    ls.map((l) => table.get(l.arch).values[col]!),
  );
const naswot = (l: Line) => l.scores.naswot!;
const rule = (g: number, on: 'flops' | 'params') => (l: Line) => twoTerm(l)! + g * B * Math.log(l.scores[on]! * 1e6);
const fitCol = 'cifar10_valid_val_acc';
const ref = halves.map((h) => tau(h, naswot, fitCol));
console.log(`${a.scores}: ${lines.length} cells; fit on ${halves[0].length} (even positions), test on ${halves[1].length} (odd); NASWOT τ ${ref[0]!.toFixed(3)} / ${ref[1]!.toFixed(3)}`);
console.log('| term | γ | τ fit (× NASWOT) | τ test (× NASWOT) |');
console.log('|---|---|---|---|');
const gammas = [0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.8, 1];
const best: Record<string, number> = {};
for (const on of ['flops', 'params'] as const) {
  let bestFit = -Infinity;
  for (const g of gammas) {
    const [f, t] = halves.map((h) => tau(h, rule(g, on), fitCol));
    if (f! > bestFit) [bestFit, best[on]] = [f!, g];
    console.log(`| B·ln ${on === 'flops' ? 'MACs' : 'params'} | ${g} | ${f!.toFixed(3)} (${(f! / ref[0]!).toFixed(3)}×) | ${t!.toFixed(3)} (${(t! / ref[1]!).toFixed(3)}×) |`);
  }
}
const gamma = parseDasRule(DEFAULT_DAS).conn;
console.log(`best γ on the fit half: MACs ${best.flops}, params ${best.params}; the default rule uses γ = ${gamma} on MACs`);
console.log(`\nheld-out half, every column (τ; × NASWOT on the same cells):`);
console.log('| proxy | ' + columns.join(' | ') + ' |');
console.log('|---' + '|---'.repeat(columns.length) + '|');
const show: [string, (l: Line) => number][] = [
  ['naswot', naswot],
  ['das, two-term', (l) => twoTerm(l)!],
  [`das (default, γ ${gamma})`, rule(gamma, 'flops')],
  ['params', (l) => l.scores.params ?? NaN],
];
for (const [name, f] of show) {
  console.log(
    `| ${name} | ` +
      columns
        .map((c) => {
          const t = tau(halves[1], f, c);
          return `${t.toFixed(3)} (${(t / tau(halves[1], naswot, c)).toFixed(3)}×)`;
        })
        .join(' | ') +
      ' |',
  );
}
if (a.out) {
  const out = lines.map((l) => {
    const { das: _old, ...rest } = l.scores;
    return JSON.stringify({ arch: l.arch, scores: { ...rest, [DAS_TWO_TERM]: twoTerm(l), das: rule(gamma, 'flops')(l) } });
  });
  writeFileSync(a.out, out.join('\n') + '\n');
  console.log(`wrote ${a.out}`);
}
