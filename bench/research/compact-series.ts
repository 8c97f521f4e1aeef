/**
 * TND-NAS's compact-model series on the DARTS space, at the scale this machine runs (issue 24,
 * item 2): for three parameter targets, one TND-NAS search each, against NSGA-II (trained
 * candidates) and random search given the same wall time, every pick trained with one recipe.
 *
 *   npx tsx bench/research/compact-series.ts --data-dir ../shared/data/cifar10 --out /work/runs-compact
 *        [--seed 0] [--quantiles 0.1,0.5,0.9] [--strategies tnd-nas,nsga2,random,tnd-nas-fix] [--steps search,train]
 *        [--quick]   (tiny presets and budgets: checks the pipeline in minutes, numbers meaningless)
 *        [--dtb results/dtb-darts-c10-v1.json]   (the reference: DTB architectures under each T, trained alike)
 *
 * Every step is one `tsnas` command with its run in OUT/series.db; rerun the same command after a
 * kill: finished steps are read back from OUT/state.json, an interrupted one continues (`--resume`).
 * The table goes to OUT/table.md and OUT/table.json. "search s" is each command's wall time with
 * its start-up (a few seconds); the time limit counts from the search's own start.
 *
 * Fixed before any run:
 *  - Targets: the 10th, 50th and 90th percentiles of the parameter count of DARTS's evaluation
 *    network (C 36, 20 cells: the size the paper reports, auxiliary head excluded) over 200
 *    genotypes sampled with seed 12345. The objective `params<=T` constrains that count.
 *  - TND-NAS: `accuracy:supernet,params<=T`, preset cpu-small (8-cell C 8 supernet on 16-px
 *    images), a budget of 2,000 distinct architectures (so its schedule, not the budget, ends it). Its wall time W, summed over invocations, is the others' `--time-limit`.
 *  - NSGA-II and random: `accuracy:trained,params<=T`, preset cpu-small (each candidate trained 3
 *    epochs on 4,000 16-px images, validated on 1,000 held-out ones), population 8, `--time-limit W`.
 *  - The pick of each search: its result's genotype (the feasible front's most accurate member).
 *  - tnd-nas-fix: the same search with the changes the evidence points to (docs/benchmarks/
 *    multi-objective.md, "TND-NAS on the DARTS space"): no shrinking (`--keep 7,7,7`), one supernet
 *    trained through all stages (`--fixed-depth`), α at lr 0.3,
 *    the bounded mnas-hard reward with T as its target, the front re-scored on 1,000 held-out images.
 *  - Training recipe for every pick: the DARTS DTB's (results/dtb-darts-c10-v1.json), so a pick's
 *    accuracy reads against 50 random architectures trained alike: C 8, 5 cells, 16-px CIFAR-10
 *    subset (10,000 training images, the 2,000 test images as validation), 10 epochs, batch 96,
 *    `tsnas train`'s DARTS defaults otherwise (SGD 0.025 cosine, cutout 16, drop-path 0.2;
 *    auxiliary head off at 16 px), seed 0. (Chosen before any run; the first plan, C 16 with
 *    8 cells, costs about 6× more per pick.)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { initBackend } from '../../src/engine/backend.js';
import { netSize } from '../../src/objectives/index.js';
import { parseArch, sampleArch } from '../../src/spaces/index.js';
import { readDtb } from '../../src/train/dtb.js';
import { Rng } from '../../src/util/rng.js';
import { quantile } from '../../src/util/stats.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
}

const quick = process.argv.includes('--quick');
const out = resolve(arg('out', 'runs/compact-series'));
const dataDir = resolve(arg('data-dir', '../shared/data/cifar10'));
const seed = Number(arg('seed', '0'));
const quantiles = arg('quantiles', '0.1,0.5,0.9').split(',').map(Number);
const strategies = arg('strategies', 'tnd-nas,nsga2,random,tnd-nas-fix').split(',');
const steps = arg('steps', 'search,train').split(',');
const store = join(out, 'series.db');
const statePath = join(out, 'state.json');
const bin = resolve(import.meta.dirname, '../../bin/tsnas.js');

interface Step {
  /** Wall seconds over every invocation that ended (a kill of this script loses its invocation's time). */
  wall_s: number;
  done: boolean;
  result?: Record<string, unknown>;
}
interface State {
  targets?: { q: number; T: number }[];
  steps: Record<string, Step>;
}
mkdirSync(out, { recursive: true });
const state: State = existsSync(statePath) ? (JSON.parse(readFileSync(statePath, 'utf8')) as State) : { steps: {} };
const save = () => writeFileSync(statePath, JSON.stringify(state, null, 1));

/** Run `tsnas args --json` as step `id` (resuming it when an earlier invocation started it); its JSON result. */
function step(id: string, args: string[], resumeFlag: string[]): Record<string, unknown> {
  const s = (state.steps[id] ??= { wall_s: 0, done: false });
  if (s.done) return s.result!;
  const started = s.wall_s > 0 || existsSync(join(out, `${id}.started`));
  writeFileSync(join(out, `${id}.started`), new Date().toISOString());
  const full = [bin, ...args, ...(started ? resumeFlag : []), '--json', '--no-progress'];
  console.error(`[${id}] tsnas ${full.slice(1).join(' ')}`);
  const t0 = performance.now();
  let stdout: string;
  try {
    stdout = execFileSync('node', full, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, TSNAS_FROM_SOURCE: '1' }, maxBuffer: 1 << 28 });
  } finally {
    s.wall_s += (performance.now() - t0) / 1000;
    save();
  }
  const line = stdout.trim().split('\n').at(-1)!;
  s.result = JSON.parse(line) as Record<string, unknown>;
  s.done = true;
  save();
  return s.result;
}

// targets: quantiles of the full-size evaluation network's parameters over a seeded sample
if (!state.targets) {
  await initBackend('cpu');
  const rng = new Rng(12345);
  const params = Array.from({ length: quick ? 20 : 200 }, () => netSize('darts', sampleArch('darts', rng)).params);
  state.targets = quantiles.map((q) => ({ q, T: +quantile(Float64Array.from(params), q).toFixed(4) }));
  save();
}
console.error(`targets (M params, C 36 / 20 cells): ${state.targets.map((t) => `q${t.q}=${t.T}`).join(', ')}`);

const common = ['--space', 'darts', '--dataset', 'cifar10', '--data-dir', dataDir, '--seed', String(seed), '--store', store, '--backend', 'native'];
const preset = quick ? 'tiny' : 'cpu-small';

interface Row {
  /** Index of the target. */
  ti: number;
  q: number;
  T: number;
  strategy: string;
  genotype: string;
  search_s: number;
  evaluations: number;
  ended_by: string;
  /** The pick meets params<=T (else the search found nothing feasible and returned the least violating). */
  feasible: boolean;
  params_full_M: number;
  trained?: { val_acc: number; params_M: number; train_s: number };
}
const rows: Row[] = [];
for (const [i, t] of state.targets.entries()) {
  let W: number | undefined;
  for (const strat of strategies) {
    const id = `t${i}-${strat}`;
    if (!steps.includes('search') && !state.steps[id]?.done) continue;
    const constraint = `params<=${t.T}`;
    const tnd = ['search', 'tnd-nas', '--objectives', `accuracy:supernet,${constraint}`, '--preset', preset, ...(quick ? ['--budget', '40', '--tnd-samples', '4'] : ['--budget', '2000'])];
    const fix = ['--keep', '7,7,7', '--fixed-depth', '--policy-lr', '0.3', '--reward', 'mnas-hard', '--reward-targets', 'constraint', '--rescore-images', quick ? '32' : '1000'];
    const args =
      strat === 'tnd-nas'
        ? tnd
        : strat === 'tnd-nas-fix'
          ? [...tnd, ...fix]
          : ['search', strat, '--objectives', `accuracy:trained,${constraint}`, '--preset', preset, '--budget', '1000', ...(strat === 'nsga2' ? ['--pop-size', quick ? '4' : '8'] : [])];
    if (strat === 'nsga2' || strat === 'random') {
      W ??= state.steps[`t${i}-tnd-nas`]?.wall_s;
      if (W === undefined) throw new Error(`${id}: run tnd-nas first (its wall time is the time limit)`);
      args.push('--time-limit', `${Math.round(W)}s`);
    }
    const r = step(id, [...args, ...common, '--run-id', id], ['--resume']);
    const g = r['genotype'] as string;
    rows.push({
      ti: i,
      q: t.q,
      T: t.T,
      strategy: strat,
      genotype: g,
      search_s: state.steps[id]!.wall_s,
      evaluations: r['evaluations'] as number,
      ended_by: String(r['ended_by'] ?? ''),
      feasible: ((r['pareto'] ?? []) as { arch: string; feasible: boolean }[]).find((p) => p.arch === g)?.feasible ?? false,
      params_full_M: netSize('darts', parseArch('darts', g)).params,
    });
    if (strat === 'tnd-nas') W = state.steps[id]!.wall_s;
  }
}

if (steps.includes('train')) {
  for (const r of rows) {
    const id = `train-t${r.ti}-${r.strategy}`;
    const dir = join(out, id);
    const recipe = quick ? ['--epochs', '1', '--C', '8', '--layers', '5', '--train-limit', '500'] : ['--epochs', '10', '--C', '8', '--layers', '5', '--batch', '96'];
    const res = step(id, ['train', '--arch', r.genotype, '--image-size', '16', ...recipe, ...common, '--out', dir, '--run-id', id], ['--resume']);
    // `tsnas train` validates on the dataset's test split (the 2,000-image subset): its test_acc
    r.trained = { val_acc: res['test_acc'] as number, params_M: (res['params'] as number) / 1e6, train_s: state.steps[id]!.wall_s };
  }
}

// the reference: the DTB's random architectures under each T (same training recipe), their best and median accuracy
const dtbFile = arg('dtb', '');
const dtbArchs = dtbFile ? readDtb(dtbFile).archs.map((a) => ({ params: netSize('darts', parseArch('darts', a.arch)).params, acc: a.epochs.at(-1)!.val_acc })) : [];
const reference = dtbFile
  ? state.targets.map((t) => {
      const under = dtbArchs.filter((a) => a.params <= t.T).map((a) => a.acc);
      return { q: t.q, T: t.T, n: under.length, best: under.length ? Math.max(...under) : null, median: under.length ? quantile(Float64Array.from(under), 0.5) : null };
    })
  : [];
writeFileSync(join(out, 'table.json'), JSON.stringify({ quick, seed, targets: state.targets, rows, reference }, null, 1));
const md = [
  '| target (q) | T (M params, C36/20) | strategy | evaluations | ended by | search s | pick params (M, C36/20) | feasible | trained val acc % | trained params (M) | train s |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map((r) =>
    [
      r.q,
      r.T,
      r.strategy,
      r.evaluations,
      r.ended_by,
      r.search_s.toFixed(0),
      r.params_full_M.toFixed(3),
      r.feasible ? 'yes' : 'no',
      r.trained?.val_acc.toFixed(2) ?? '–',
      r.trained?.params_M.toFixed(3) ?? '–',
      r.trained?.train_s.toFixed(0) ?? '–',
    ]
      .join(' | ')
      .replace(/^/, '| ')
      .replace(/$/, ' |'),
  ),
].join('\n');
const refMd = reference.length
  ? [
      '',
      `Reference, ${dtbFile}: its random architectures under each T, trained with the same recipe.`,
      '',
      '| target (q) | T | DTB archs ≤ T | best val acc % | median val acc % |',
      '|---|---|---|---|---|',
      ...reference.map((r) => `| ${r.q} | ${r.T} | ${r.n} | ${r.best?.toFixed(2) ?? '–'} | ${r.median?.toFixed(2) ?? '–'} |`),
    ].join('\n')
  : '';
writeFileSync(join(out, 'table.md'), md + '\n' + refMd + '\n');
console.log(md + '\n' + refMd);
