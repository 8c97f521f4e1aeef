/**
 * Steering to a target on NAS-Bench-201: for a parameter or latency target T, how far the most
 * accurate architecture a search evaluated under T falls short of the best one under T in the
 * whole table (regret, accuracy points), for random search, NSGA-II with the constraint and
 * TND-NAS, at the same number of distinct architecture evaluations. Table lookups only.
 *
 *   npx tsx bench/research/regret.ts --column params|latency:pixel3 [--seeds 10] [--budgets 50,100,200]
 *        [--quantiles 0.1,0.3,0.6] [--strategies random,nsga2,tnd-nas,tnd-nas+targets=T,...]
 *        [--trace] [--json out.json]
 *
 * Target rule (fixed before any run): T = the 10th, 30th and 60th percentiles (`--quantiles`) of the
 * column over all 15,625 cells (numpy's linear interpolation).
 * Accuracy: the search sees `cifar10_valid_val_acc` (NB201's validation split); regret is measured
 * on it. A user picks by validation, so the pick (the evaluated cell under T with the best
 * validation accuracy, ties to the earlier one) is also scored on `cifar10_test_acc` against the
 * best test accuracy under T in the table. A run with no evaluated cell under T is a miss: counted,
 * left out of the regret mean.
 * params: NB201's evaluation network (C16 N5), millions, as `--objectives params` computes it.
 * Every edge maps C → C channels, so a cell's parameters depend only on how many 3×3 and 1×1
 * convolutions it has; the script builds one network per count pair (28) and checks the claim on
 * 12 random cells (a mismatch aborts).
 *
 * Strategies (objectives: accuracy ↑ and the column ↓ with the constraint `column<=T`):
 *   random   distinct uniform samples;
 *   nsga2    NSGA-II, population 20, Deb's constrained domination;
 *   tnd-nas  table-mode TND-NAS as `tsnas search tnd-nas --table-accuracy --objectives
 *            accuracy:cifar10_valid_val_acc,COLUMN<=T` runs it: the constraint enters the reward as
 *            its violation penalty, the reward's per-stage targets come from the default rule
 *            (median of the first α step × [1, 0.73, 0.57]).
 *   tnd-nas+KEY=VALUE+...  variants: targets=T (T at every stage: the author's formulation with the
 *            target as P_target), targets=author (T × [1.76, 1.28, 1], the author's schedule ending
 *            at T), scal=product|mnas-hard|linear, lr=X, samples=N, keep=5/3/2, steps=N (α steps
 *            per stage), stage=budget (each stage gets an equal share of the budget: `stageBy`).
 * --trace: for seed 0 and the largest budget, per target and TND-NAS variant, the policy's entropy
 * (sum over the 6 edges, nats; uniform = 9.66) and the candidates removed by shrinking after every
 * α step.
 */
import { writeFileSync } from 'node:fs';
import { defaultNb201Path, loadNb201Table } from '../../src/benchmarks/nb201-table.js';
import { initBackend } from '../../src/engine/backend.js';
import { buildObjectives, netSize, parseObjectiveTerm, parseObjectives, violation, type ArchObjective } from '../../src/objectives/index.js';
import { MooEvaluator } from '../../src/search/moo-common.js';
import { nsga2 } from '../../src/search/nsga2.js';
import { randomSearch } from '../../src/search/random-search.js';
import { SCALARISATIONS, TND_TARGET_RATIOS, tndNasTable, type Scalarisation, type TndTableOptions, type TndTableState } from '../../src/search/tnd-nas/index.js';
import { NB201_OPS, parseArch, parseNb201, sampleArch, type AnyArch } from '../../src/spaces/index.js';
import { Rng } from '../../src/util/rng.js';
import { mean, quantile, std } from '../../src/util/stats.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
}

const column = arg('column', 'params');
const seeds = Number(arg('seeds', '10'));
const budgets = arg('budgets', '50,100,200').split(',').map(Number);
const quantiles = arg('quantiles', '0.1,0.3,0.6').split(',').map(Number);
const strategies = arg('strategies', 'random,nsga2,tnd-nas').split(',');
const trace = process.argv.includes('--trace');
const VAL = 'cifar10_valid_val_acc';
const TEST = 'cifar10_test_acc';

const table = await loadNb201Table(arg('bench', defaultNb201Path()));
const archs = table.archStrings();
const val = table.column(VAL);
const test = table.column(TEST);

/** The column's value of every cell, in table order. */
async function columnValues(): Promise<Float64Array> {
  if (column !== 'params') {
    const spec = parseObjectiveTerm(column);
    if (spec.kind !== 'latency' || spec.source !== 'table') throw new Error(`--column must be params or a table latency (latency:pixel3), got ${column}`);
    return table.column(spec.arg!);
  }
  await initBackend('auto');
  const key = (a: AnyArch) => {
    const ops = a.text.match(/nor_conv_\dx\d/g) ?? [];
    return `${ops.filter((o) => o.endsWith('3x3')).length}/${ops.filter((o) => o.endsWith('1x1')).length}`;
  };
  const byKey = new Map<string, number>();
  const parsed = archs.map((t) => parseArch('nb201', t));
  for (const a of parsed) if (!byKey.has(key(a))) byKey.set(key(a), netSize('nb201', a).params);
  const rng = new Rng(12345);
  for (let i = 0; i < 12; i++) {
    const a = sampleArch('nb201', rng);
    const p = netSize('nb201', a).params;
    if (p !== byKey.get(key(a))) throw new Error(`params of ${a.text}: ${p}, but ${byKey.get(key(a))} for its convolution counts`);
  }
  return Float64Array.from(parsed, (a) => byKey.get(key(a))!);
}
const colValues = await columnValues();
const colOf = new Map(archs.map((t, i) => [t, colValues[i]!]));

interface Target {
  q: number;
  T: number;
  /** Cells with column ≤ T. */
  feasible: number;
  bestVal: number;
  bestTest: number;
  /** Test accuracy of the table's best-validation cell under T (what a perfect search picking by validation gets). */
  oracleTest: number;
}

const targets: Target[] = quantiles.map((q) => {
  const T = quantile(colValues, q);
  let bestVal = -Infinity;
  let bestTest = -Infinity;
  let oracleTest = NaN;
  let feasible = 0;
  colValues.forEach((c, i) => {
    if (c > T) return;
    feasible++;
    if (val[i]! > bestVal) {
      bestVal = val[i]!;
      oracleTest = test[i]!;
    }
    bestTest = Math.max(bestTest, test[i]!);
  });
  return { q, T, feasible, bestVal, bestTest, oracleTest };
});

/** Objectives: validation accuracy ↑, the column ↓ constrained to ≤ T. */
function objectives(T: number): ArchObjective[] {
  const term = `${column}<=${T}`;
  if (column !== 'params') return buildObjectives(parseObjectives(`accuracy:${VAL},${term}`), { space: 'nb201', table });
  const spec = parseObjectiveTerm(term);
  const params: ArchObjective = { spec, key: spec.key, direction: spec.direction, evaluate: (a) => colOf.get(a.text)!, violation: (v) => violation(spec, v) };
  return [...buildObjectives(parseObjectives(`accuracy:${VAL}`), { space: 'nb201', table }), params];
}

/** A TND-NAS variant `tnd-nas+key=value+...` as table-mode options. */
function tndOptions(name: string, T: number, seed: number): TndTableOptions {
  const o: TndTableOptions = { seed };
  for (const part of name.split('+').slice(1)) {
    const [k, v] = part.split('=') as [string, string];
    if (k === 'targets') o.targets = [v === 'author' ? TND_TARGET_RATIOS.map((r) => (T * r) / TND_TARGET_RATIOS.at(-1)!) : [T, T, T]];
    else if (k === 'scal' && (SCALARISATIONS as readonly string[]).includes(v)) o.scalarisation = v as Scalarisation;
    else if (k === 'lr') o.lr = Number(v);
    else if (k === 'samples') o.samples = Number(v);
    else if (k === 'keep') o.keep = v.split('/').map(Number);
    else if (k === 'steps') o.stepsPerStage = Number(v);
    else if (k === 'stage' && (v === 'budget' || v === 'steps')) o.stageBy = v;
    else throw new Error(`unknown TND-NAS variant part '${part}' in ${name}`);
  }
  return o;
}

/** Policy entropy summed over edges (nats), from a checkpoint's α and masks. */
function entropy(s: TndTableState): number {
  return s.alpha.reduce((H, row, e) => {
    const m = s.masks[e]!;
    const mx = Math.max(...row.filter((_, k) => m[k]));
    const ex = row.map((a, k) => (m[k] ? Math.exp(a - mx) : 0));
    const Z = ex.reduce((x, y) => x + y, 0);
    return H - ex.reduce((h, x) => (x > 0 ? h + (x / Z) * Math.log(x / Z) : h), 0);
  }, 0);
}

const opsOf = archs.map((t) => parseNb201(t).ops.map((op) => NB201_OPS.indexOf(op)));

/** Best validation accuracy under T over the cells whose every op is still active. */
function supportBest(masks: boolean[][], t: Target): number {
  let best = -Infinity;
  opsOf.forEach((ops, i) => {
    if (colValues[i]! <= t.T && val[i]! > best && ops.every((o, e) => masks[e]![o])) best = val[i]!;
  });
  return best;
}

interface TraceRow {
  step: number;
  stage: number;
  evaluations: number;
  entropy: number;
  removed: number;
  meanReward: number;
  feasibleShare: number;
  bestFeasibleVal: number;
  /** Best validation accuracy under T among the cells the policy can still sample (the regret floor after shrinking). */
  supportBestVal: number;
}

interface Run {
  seed: number;
  budget: number;
  evaluations: number;
  /** NaN: a miss (nothing evaluated under T). */
  regretVal: number;
  regretTest: number;
  /** Share of the evaluated cells under T. */
  feasibleShare: number;
  wall_ms: number;
}

function runOnce(strat: string, t: Target, budget: number, seed: number, traceRows?: TraceRow[]): Run {
  const ev = new MooEvaluator(objectives(t.T), budget);
  const t0 = performance.now();
  if (strat === 'random') randomSearch(ev, { space: 'nb201', seed });
  else if (strat === 'nsga2') nsga2(ev, { space: 'nb201', seed, popSize: 20 });
  else if (strat.split('+')[0] === 'tnd-nas') {
    const o = tndOptions(strat, t.T, seed);
    if (traceRows) {
      o.onCheckpoint = (s) => {
        const h = ev.history;
        const feas = h.filter((r) => r.violation === 0);
        traceRows.push({
          step: s.step,
          stage: s.stage,
          evaluations: s.evaluations,
          entropy: entropy(s),
          removed: s.masks.flat().filter((m) => !m).length,
          meanReward: s.log.at(-1)!.meanReward,
          feasibleShare: feas.length / h.length,
          bestFeasibleVal: Math.max(...feas.map((r) => r.values[0]!)),
          supportBestVal: supportBest(s.masks, t),
        });
      };
    }
    tndNasTable(ev, o);
  } else throw new Error(`unknown strategy ${strat}`);
  const wall_ms = performance.now() - t0;
  const feas = ev.history.filter((r) => r.violation === 0);
  let pick: AnyArch | undefined;
  let pickVal = -Infinity;
  for (const r of feas) if (r.values[0]! > pickVal) [pick, pickVal] = [r.arch, r.values[0]!];
  return {
    seed,
    budget,
    evaluations: ev.evaluations,
    regretVal: pick ? t.bestVal - pickVal : NaN,
    regretTest: pick ? t.bestTest - table.value(pick.text, TEST) : NaN,
    feasibleShare: feas.length / ev.evaluations,
    wall_ms,
  };
}

const results: Record<string, Record<string, Run[]>> = {};
const traces: Record<string, Record<string, TraceRow[]>> = {};
for (const t of targets) {
  const tk = `q${t.q}`;
  for (const strat of strategies) {
    for (const b of budgets) for (let s = 0; s < seeds; s++) ((results[strat] ??= {})[`${tk}/${b}`] ??= []).push(runOnce(strat, t, b, s));
    if (trace && strat.startsWith('tnd-nas')) runOnce(strat, t, Math.max(...budgets), 0, ((traces[strat] ??= {})[tk] = []));
  }
}

const f2 = (x: number) => x.toFixed(2);
const ms = (xs: number[]) => (xs.length ? `${f2(mean(xs))} ± ${f2(xs.length > 1 ? std(xs, 1) : 0)}` : '–');
const regretCell = (runs: Run[], k: 'regretVal' | 'regretTest') => {
  const hit = runs.filter((r) => !Number.isNaN(r[k])).map((r) => r[k]);
  const miss = runs.length - hit.length;
  return `${ms(hit)}${miss ? ` (${miss} miss${miss > 1 ? 'es' : ''})` : ''}`;
};

console.log(`column ${column}; seeds 0..${seeds - 1}; budgets ${budgets.join(', ')} distinct cells; accuracy ${VAL} (pick scored on ${TEST})`);
console.log('\n| target | T | cells ≤ T | best val ≤ T | best test ≤ T | test of the best-val cell |');
console.log('|---|---|---|---|---|---|');
for (const t of targets) console.log(`| q${t.q} | ${+t.T.toFixed(4)} | ${t.feasible} | ${f2(t.bestVal)} | ${f2(t.bestTest)} | ${f2(t.oracleTest)} |`);
for (const [k, title] of [
  ['regretVal', 'validation regret (points), mean ± sd over seeds that found a cell under T'],
  ['regretTest', 'test regret of the pick (points)'],
] as const) {
  console.log(`\n${title}`);
  console.log(`| strategy | ${targets.flatMap((t) => budgets.map((b) => `q${t.q} @${b}`)).join(' | ')} |`);
  console.log(`|---|${targets.flatMap(() => budgets.map(() => '---')).join('|')}|`);
  for (const [strat, r] of Object.entries(results)) console.log(`| ${strat} | ${targets.flatMap((t) => budgets.map((b) => regretCell(r[`q${t.q}/${b}`]!, k))).join(' | ')} |`);
}
console.log('\nshare of evaluated cells under T, mean over seeds, and distinct evaluations (mean)');
console.log(`| strategy | ${targets.flatMap((t) => budgets.map((b) => `q${t.q} @${b}`)).join(' | ')} |`);
console.log(`|---|${targets.flatMap(() => budgets.map(() => '---')).join('|')}|`);
for (const [strat, r] of Object.entries(results)) {
  const cell = (runs: Run[]) => `${f2(mean(runs.map((x) => x.feasibleShare)))} / ${+mean(runs.map((x) => x.evaluations)).toFixed(1)}`;
  console.log(`| ${strat} | ${targets.flatMap((t) => budgets.map((b) => cell(r[`q${t.q}/${b}`]!))).join(' | ')} |`);
}
console.log('\nwall ms per run (mean over every target, budget and seed):');
for (const [strat, r] of Object.entries(results)) {
  const all = Object.values(r).flat();
  const byB = budgets.map((b) => `${b}: ${mean(all.filter((x) => x.budget === b).map((x) => x.wall_ms)).toFixed(1)}`);
  console.log(`  ${strat}: ${byB.join(', ')}`);
}
for (const [strat, byT] of Object.entries(traces)) {
  for (const [tk, rows] of Object.entries(byT)) {
    console.log(`\ntrace ${strat}, target ${tk}, seed 0, budget ${Math.max(...budgets)}: step stage evals entropy removed meanR feasShare bestFeasVal supportBestVal`);
    const every = Math.max(1, Math.ceil(rows.length / 12));
    rows.forEach((r, i) => {
      if (i % every === 0 || i === rows.length - 1 || rows[i - 1]!.stage !== r.stage)
        console.log(
          `  ${r.step} ${r.stage} ${r.evaluations} ${r.entropy.toFixed(3)} ${r.removed} ${r.meanReward.toFixed(4)} ${r.feasibleShare.toFixed(2)} ${Number.isFinite(r.bestFeasibleVal) ? f2(r.bestFeasibleVal) : '-'} ${f2(r.supportBestVal)}`,
        );
    });
  }
}
const out = arg('json', '');
if (out) writeFileSync(out, JSON.stringify({ column, seeds, budgets, quantiles, targets, results, traces }, null, 1));
