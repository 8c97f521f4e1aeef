/**
 * One DAS rule for NB201, NB101 and the DARTS space (issue 23): the protocol written down in
 * docs/methods/das-across-spaces.md before any score was looked at.
 *
 *   npx tsx bench/research/das-spaces.ts --nb201 nb201.jsonl --nb101 nb101.jsonl --darts darts.jsonl [--bootstrap 1000] [--json out.json]
 *
 * The scores behind the published tables are in results/das-spaces/ (gzipped JSONL, read as they are):
 *   npx tsx bench/research/das-spaces.ts --nb201 results/das-spaces/nb201.jsonl.gz --nb101 results/das-spaces/nb101.jsonl.gz --darts results/das-spaces/darts.jsonl.gz
 *
 * Each file is what `tsnas correlate --scores-out` wrote for that space at batch 128, seed 0, with the
 * proxies naswot, dis, units, active, das:kernel=layer,lambda=0, das:kernel=perlayer,lambda=0, flops,
 * params (and das, synflow to be reported). NB201's target is looked up in the NB201 table
 * (cifar10_valid_val_acc, as the earlier DAS fits); the others use the file's own target
 * (val_accuracy). Architectures whose NASWOT kernel is singular (score −∞, written as null) are
 * dropped for every proxy, as NASWOT's own code does.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { defaultNb201Path, loadNb201Table } from '../../src/benchmarks/nb201-table.js';
import { correlateScores } from '../../src/proxies/correlation.js';
import { pick } from '../../src/util/bootstrap.js';
import { kendallTau } from '../../src/util/stats.js';

const { values: a } = parseArgs({
  options: { nb201: { type: 'string' }, nb101: { type: 'string' }, darts: { type: 'string' }, bench: { type: 'string' }, bootstrap: { type: 'string', default: '1000' }, json: { type: 'string' } },
});
const SPACES = ['nb201', 'nb101', 'darts'] as const;
type Space = (typeof SPACES)[number];
type Line = { arch: string; scores: Record<string, number | null>; target: number };
const B = 128;
const LAYER = 'das:kernel=layer,lambda=0';
const PERLAYER = 'das:kernel=perlayer,lambda=0';

interface Pool {
  space: Space;
  dis: Record<'whole' | 'layer' | 'perlayer', Float64Array>;
  units: Float64Array;
  active: Float64Array;
  lnMacs: Float64Array;
  y: Float64Array;
  scores: Record<string, Float64Array>;
}

const table = a.nb201 ? await loadNb201Table(a.bench ?? defaultNb201Path()) : undefined;
function load(space: Space, file: string): Pool {
  const raw = readFileSync(file);
  const lines = (file.endsWith('.gz') ? gunzipSync(raw) : raw)
    .toString('utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Line)
    .filter((l) => typeof l.scores['naswot'] === 'number' && Number.isFinite(l.scores['naswot']));
  const col = (f: (l: Line) => number) => Float64Array.from(lines, f);
  const need = (l: Line, k: string) => {
    const v = l.scores[k];
    if (typeof v !== 'number') throw new Error(`${file}: ${l.arch} has no '${k}' score`);
    return v;
  };
  const scores: Record<string, Float64Array> = {};
  for (const k of ['naswot', 'das', 'dis', 'units', LAYER, PERLAYER, 'params', 'flops', 'synflow']) scores[k] = col((l) => l.scores[k] ?? NaN);
  return {
    space,
    dis: { whole: col((l) => need(l, 'dis')), layer: col((l) => need(l, LAYER)), perlayer: col((l) => need(l, PERLAYER)) },
    units: col((l) => need(l, 'units')),
    active: col((l) => need(l, 'active')),
    lnMacs: col((l) => Math.log(need(l, 'flops') * 1e6)),
    y: col((l) => (space === 'nb201' ? table!.get(l.arch).values['cifar10_valid_val_acc']! : l.target)),
    scores,
  };
}

interface Rule {
  kernel: 'whole' | 'layer' | 'perlayer';
  lambda: number;
  active: number;
  conn: number;
}
const ruleName = (r: Rule) => `das:kernel=${r.kernel},lambda=${r.lambda},active=${r.active},conn=${r.conn}`;
const ruleScore = (p: Pool, r: Rule) => p.dis[r.kernel].map((d, i) => d + r.lambda * p.units[i]! - r.active * B * p.active[i]! + r.conn * B * p.lnMacs[i]!);
// the grid, fixed in the protocol; the first rule is NASWOT itself (ties go to the earlier, simpler rule)
const rules: Rule[] = [];
for (const kernel of ['whole', 'layer', 'perlayer'] as const)
  for (const lambda of [1, 0.75, 0.5, 0.25, 0, 1.5, 2]) for (const active of [0, 2.5, 5, 10, 20]) for (const conn of [0, 0.1, 0.25, 0.5, 1]) rules.push({ kernel, lambda, active, conn });

const halves = (n: number) => [Uint32Array.from({ length: Math.ceil(n / 2) }, (_, i) => 2 * i), Uint32Array.from({ length: Math.floor(n / 2) }, (_, i) => 2 * i + 1)] as const;
const sub = (x: Float64Array, idx?: Uint32Array) => (idx ? pick(x, idx) : x);
/** τ(rule) / τ(NASWOT) on the architectures idx of a pool. */
const ratio = (p: Pool, r: Rule, idx?: Uint32Array) => kendallTau(sub(ruleScore(p, r), idx), sub(p.y, idx)) / kendallTau(sub(p.scores['naswot']!, idx), sub(p.y, idx));
function choose(score: (r: Rule) => number): { rule: Rule; value: number } {
  let best = { rule: rules[0]!, value: -Infinity };
  for (const r of rules) {
    const v = score(r);
    if (v > best.value + 1e-12) best = { rule: r, value: v };
  }
  return best;
}

const pools = SPACES.filter((s) => a[s]).map((s) => load(s, a[s]!));
const resamples = Number(a.bootstrap);
const report: Record<string, unknown> = {};
const f3 = (x: number) => x.toFixed(3);
const ci = (c?: [number, number]) => (c ? ` [${f3(c[0])}, ${f3(c[1])}]` : '');

console.log(`## Atomic terms and reference proxies (all architectures, τ with 95% bootstrap intervals, ${resamples} resamples)\n`);
console.log(`| proxy | ${pools.map((p) => `${p.space} (n=${p.y.length})`).join(' | ')} |`);
console.log(`|---|${pools.map(() => '---').join('|')}|`);
const atomic: Record<string, Record<string, unknown>> = {};
const names = ['naswot', 'das', 'dis', LAYER, PERLAYER, 'units', 'params', 'flops', 'synflow'];
const perSpace = pools.map((p) => correlateScores(Object.fromEntries(names.map((k) => [k, p.scores[k]!])), p.y, { bootstrap: resamples > 0 ? { resamples, seed: 0 } : false, baseline: 'naswot' }));
for (const k of names) {
  atomic[k] = Object.fromEntries(pools.map((p, i) => [p.space, perSpace[i]![k]]));
  console.log(`| ${k} | ${perSpace.map((c) => `${f3(c[k]!.kendall)}${ci(c[k]!.kendall_ci)}${c[k]!.ratio ? ` (${f3(c[k]!.ratio!.value)}×)` : ''}`).join(' | ')} |`);
}
report['atomic'] = atomic;

// 1. Leave one space out: choose on the other spaces (all their architectures), report on the held-out one.
if (pools.length === 3) {
  console.log('\n## Leave one space out: the rule chosen on two spaces (max of the smaller τ ratio), reported on the third\n');
  console.log('| held out | rule chosen on the other two | min ratio there | ratio on the held-out space [95%] |');
  console.log('|---|---|---|---|');
  const loso: unknown[] = [];
  for (const held of pools) {
    const others = pools.filter((p) => p !== held);
    const { rule, value } = choose((r) => Math.min(...others.map((p) => ratio(p, r))));
    const c = correlateScores({ naswot: held.scores['naswot']!, rule: ruleScore(held, rule) }, held.y, { bootstrap: resamples > 0 ? { resamples, seed: 0 } : false, baseline: 'naswot' })['rule']!;
    console.log(`| ${held.space} | \`${ruleName(rule)}\` | ${f3(value)} | ${f3(c.ratio!.value)}${ci(c.ratio!.ci)} |`);
    loso.push({ held_out: held.space, rule: ruleName(rule), fit_min_ratio: value, held_out_ratio: c.ratio });
  }
  report['leave_one_space_out'] = loso;
}

// Space-specific rules: the best rule on each space alone (all its architectures; an upper bound, fitted and reported on the same cells).
console.log('\n## The best rule on each space alone (fitted and reported on the same architectures: an optimistic bound)\n');
console.log('| space | best rule | τ | ratio | τ params | τ FLOPs |');
console.log('|---|---|---|---|---|---|');
const bestPerSpace: unknown[] = [];
for (const p of pools) {
  const { rule, value } = choose((r) => ratio(p, r));
  const tau = kendallTau(ruleScore(p, rule), p.y);
  const tp = kendallTau(p.scores['params']!, p.y);
  const tf = kendallTau(p.scores['flops']!, p.y);
  console.log(`| ${p.space} | \`${ruleName(rule)}\` | ${f3(tau)} | ${f3(value)} | ${f3(tp)} | ${f3(tf)} |`);
  bestPerSpace.push({ space: p.space, rule: ruleName(rule), kendall: tau, ratio: value, params: tp, flops: tf });
}
report['best_per_space'] = bestPerSpace;

// 2. The candidate default: chosen on the even positions of every space, reported on the odd ones.
console.log('\n## One rule for all: chosen on the even positions of every space (max of the smallest τ ratio), reported on the odd positions\n');
const split = pools.map((p) => halves(p.y.length));
const chosen = choose((r) => Math.min(...pools.map((p, i) => ratio(p, r, split[i]![0]))));
console.log(`chosen: \`${ruleName(chosen.rule)}\` (smallest fit-half ratio ${f3(chosen.value)})\n`);
console.log('| space | τ NASWOT | τ rule [95%] | ratio [95%] | τ params | τ FLOPs |');
console.log('|---|---|---|---|---|---|');
const held: unknown[] = [];
pools.forEach((p, i) => {
  const idx = split[i]![1];
  const c = correlateScores(
    { naswot: sub(p.scores['naswot']!, idx), rule: sub(ruleScore(p, chosen.rule), idx), params: sub(p.scores['params']!, idx), flops: sub(p.scores['flops']!, idx) },
    sub(p.y, idx),
    { bootstrap: resamples > 0 ? { resamples, seed: 0 } : false, baseline: 'naswot' },
  );
  console.log(
    `| ${p.space} (n=${idx.length}) | ${f3(c['naswot']!.kendall)} | ${f3(c['rule']!.kendall)}${ci(c['rule']!.kendall_ci)} | ${f3(c['rule']!.ratio!.value)}${ci(c['rule']!.ratio!.ci)} | ${f3(c['params']!.kendall)} | ${f3(c['flops']!.kendall)} |`,
  );
  held.push({ space: p.space, n: idx.length, ...c });
});
report['one_rule'] = { rule: ruleName(chosen.rule), fit_min_ratio: chosen.value, held_out: held };
if (a.json) writeFileSync(a.json, JSON.stringify(report, null, 1));
