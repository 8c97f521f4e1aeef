/**
 * Multi-objective search on NAS-Bench-201, (cifar10_test_acc ↑, lat_pixel3_ms ↓):
 * hypervolume ratio (found front / true front) against the number of architecture evaluations.
 *
 *   npx tsx bench/research/moo.ts [--seeds 10] [--budgets 25,50,100,200,400] [--strategies random,nsga2,tnd-nas,nsga2-das,nsga2-das-live]
 *                        [--das-pool FILE.jsonl] [--data-dir DIR] [--json out.json]
 * nsga2-das-live: NSGA-II on (DAS ↑, pixel3 ↓) over the whole space, scoring every new
 * architecture live (CIFAR-10 batch 128, seed 0, the `das` proxy; `--das-pool` scores, computed
 * the same way, are reused as a cache), no training at all; the front is re-measured with table
 * accuracy.
 *
 * Reference points (both documented in BENCHMARKS.md):
 *   loose: (acc 10 %, 36.77 ms) = the table's worst accuracy and worst pixel3 latency;
 *   tight: (acc 85 %, 36.77 ms) = only architectures above 85 % count.
 * The "found front" at budget b is the non-dominated set of the first b evaluated architectures,
 * measured with table accuracy and table latency (for nsga2-das: the DAS-vs-latency front the
 * search returns, re-measured with table accuracy, so the proxy's ranking errors show).
 * Every other strategy reads table values only; nothing is trained.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { defaultNb201Path, loadNb201Table, type Nb201Table } from '../../src/benchmarks/nb201-table.js';
import { buildObjectives, parseObjectives, type ArchObjective } from '../../src/objectives/index.js';
import { hypervolume, paretoFrontIndices, trueParetoFront } from '../../src/objectives/pareto.js';
import { MooEvaluator, feasibleFront, type EvalRecord } from '../../src/search/moo-common.js';
import { nsga2 } from '../../src/search/nsga2.js';
import { randomSearch } from '../../src/search/random-search.js';
import { tndNasTable } from '../../src/search/tnd-nas/index.js';
import { parseArch, type AnyArch } from '../../src/spaces/index.js';
import { Rng } from '../../src/util/rng.js';
import { mean, std } from '../../src/util/stats.js';
import { initBackend } from '../../src/engine/backend.js';
import { loadDataset } from '../../src/data/index.js';
import { DEFAULT_FAST_TRAIN, scoreArch, type ScoreContext } from '../../src/proxies/index.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
}

const seeds = Number(arg('seeds', '10'));
const budgets = arg('budgets', '25,50,100,200,400').split(',').map(Number);
const strategies = arg('strategies', 'random,nsga2,tnd-nas').split(',');
const maxB = Math.max(...budgets);

const table: Nb201Table = await loadNb201Table(arg('bench', defaultNb201Path()));
const accCol = 'cifar10_test_acc';
const latCol = 'lat_pixel3_ms';
const truth = trueParetoFront(table, [
  { column: accCol, direction: 'max' },
  { column: latCol, direction: 'min' },
]);
const truthPts = truth.map((r) => [r.values[accCol]!, r.values[latCol]!]);
const REFS = { loose: [10, 36.7665], tight: [85, 36.7665] } as const;
const dirs = ['max', 'min'] as const;
const trueHv = { loose: hypervolume(truthPts, REFS.loose, [...dirs]), tight: hypervolume(truthPts, REFS.tight, [...dirs]) };

function tablePoint(a: AnyArch): number[] {
  return [table.value(a.text, accCol), table.value(a.text, latCol)];
}

function hvRatios(archs: readonly AnyArch[]): { loose: number; tight: number } {
  const pts = archs.map(tablePoint);
  return { loose: hypervolume(pts, REFS.loose, [...dirs]) / trueHv.loose, tight: hypervolume(pts, REFS.tight, [...dirs]) / trueHv.tight };
}

/** HV ratio of the front of the first b evaluations (table values), for each budget. */
function curve(history: readonly EvalRecord[], objDirs: readonly ('min' | 'max')[], reevaluate: boolean) {
  return budgets.map((b) => {
    const recs = history.slice(0, b);
    const front = reevaluate ? feasibleFront(recs, [...objDirs]).map((r) => r.arch) : recs.map((r) => r.arch);
    return hvRatios(front);
  });
}

const tableObjs = (): ArchObjective[] => buildObjectives(parseObjectives('accuracy,latency:pixel3'), { space: 'nb201', table });

// DAS: a cached pool (scores computed by `tsnas correlate --scores-out`, one JSON line per arch).
let dasPool: Map<string, number> | undefined;
const dasFile = arg('das-pool', '');
if (strategies.includes('nsga2-das') || strategies.includes('random-das') || (strategies.includes('nsga2-das-live') && dasFile)) {
  const lines = readFileSync(dasFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { arch: string; scores: Record<string, number> });
  // the file's `das` score (the default rule); a null (−∞) score is an architecture the proxy
  // cannot rank (e.g. a disconnected cell): it loses
  dasPool = new Map(lines.map((l) => [l.arch, typeof l.scores['das'] === 'number' ? l.scores['das'] : -Infinity]));
}
if (strategies.includes('nsga2-das-live')) {
  dasPool ??= new Map();
  await initBackend('auto');
}

/** DAS of any NB201 architecture: from the pool when it was scored there, else scored now. */
let liveCtx: ScoreContext | undefined;
let liveScored = 0;
function dasLive(a: AnyArch): number {
  const hit = dasPool!.get(a.text);
  if (hit !== undefined) return hit;
  liveCtx ??= { data: loadDataset('cifar10', { dataDir: arg('data-dir', '../shared/data/cifar10'), split: 'train', seed: 0 }), batch: 128, seed: 0, train: DEFAULT_FAST_TRAIN };
  const v = scoreArch(a, ['das'], liveCtx).scores['das']!;
  liveScored++;
  dasPool!.set(a.text, Number.isFinite(v) ? v : -Infinity);
  return dasPool!.get(a.text)!;
}

type Curve = { loose: number; tight: number }[];
const results: Record<string, { curves: Curve[]; wall: number[]; evals: number[] }> = {};

for (const strat of strategies) {
  results[strat] = { curves: [], wall: [], evals: [] };
  for (let s = 0; s < seeds; s++) {
    const t0 = performance.now();
    let c: Curve;
    if (strat === 'random' || strat === 'nsga2') {
      const ev = new MooEvaluator(tableObjs(), maxB);
      if (strat === 'random') randomSearch(ev, { space: 'nb201', seed: s });
      else nsga2(ev, { space: 'nb201', seed: s, popSize: 20 });
      c = curve(ev.history, ev.directions, false);
      results[strat]!.evals.push(ev.evaluations);
    } else if (strat === 'nsga2-das' || strat === 'random-das') {
      // search on (DAS ↑, pixel3 ↓) inside the scored pool; the returned front is re-measured with table accuracy
      const pool = [...dasPool!.keys()].map((t) => parseArch('nb201', t));
      const lat = buildObjectives(parseObjectives('latency:pixel3'), { space: 'nb201', table })[0]!;
      const das: ArchObjective = { spec: { raw: 'das', key: 'das', kind: 'das', direction: 'max' }, key: 'das', direction: 'max', evaluate: (a) => dasPool!.get(a.text) ?? NaN, violation: () => 0 };
      const ev = new MooEvaluator([das, lat], maxB);
      const inPool = (r: Rng) => pool[r.int(pool.length)]!;
      if (strat === 'random-das') randomSearch(ev, { space: 'nb201', seed: s, sample: inPool });
      else nsga2(ev, { space: 'nb201', seed: s, popSize: 20, init: inPool });
      c = curve(ev.history, ev.directions, true);
      results[strat]!.evals.push(ev.evaluations);
    } else if (strat === 'nsga2-das-live') {
      const lat = buildObjectives(parseObjectives('latency:pixel3'), { space: 'nb201', table })[0]!;
      const das: ArchObjective = { spec: { raw: 'das', key: 'das', kind: 'das', direction: 'max' }, key: 'das', direction: 'max', evaluate: dasLive, violation: () => 0 };
      const ev = new MooEvaluator([das, lat], maxB);
      nsga2(ev, { space: 'nb201', seed: s, popSize: 20 });
      c = curve(ev.history, ev.directions, true);
      results[strat]!.evals.push(ev.evaluations);
      console.error(`# ${strat} seed ${s}: ${liveScored} architectures scored live so far`);
    } else if (strat === 'tnd-nas') {
      const ev = new MooEvaluator(tableObjs(), maxB);
      tndNasTable(ev, { seed: s });
      c = curve(ev.history, ev.directions, false);
      results[strat]!.evals.push(ev.evaluations);
    } else throw new Error(`unknown strategy ${strat}`);
    results[strat]!.wall.push((performance.now() - t0) / 1000);
    results[strat]!.curves.push(c);
  }
}

const fmt = (xs: number[]) => `${mean(xs).toFixed(3)} ± ${std(xs, 1).toFixed(3)}`;
console.log(`true front: ${truth.length} archs; true HV loose ${trueHv.loose.toFixed(1)}, tight ${trueHv.tight.toFixed(1)}; seeds 0..${seeds - 1}`);
for (const ref of ['loose', 'tight'] as const) {
  console.log(`\nHV ratio (${ref} reference ${REFS[ref].join(', ')}), mean ± sd over ${seeds} seeds`);
  console.log(`| strategy | ${budgets.map((b) => `${b} evals`).join(' | ')} |`);
  console.log(`|---|${budgets.map(() => '---').join('|')}|`);
  for (const [k, r] of Object.entries(results)) {
    console.log(`| ${k} | ${budgets.map((_, j) => fmt(r.curves.map((c) => c[j]![ref]))).join(' | ')} |`);
  }
}
console.log('\nwall s per run:', Object.fromEntries(Object.entries(results).map(([k, r]) => [k, +mean(r.wall).toFixed(3)])));
console.log('evaluations:', Object.fromEntries(Object.entries(results).map(([k, r]) => [k, +mean(r.evals).toFixed(1)])));
const out = arg('json', '');
if (out) writeFileSync(out, JSON.stringify({ budgets, seeds, refs: REFS, trueHv, results }, null, 1));
void paretoFrontIndices;
