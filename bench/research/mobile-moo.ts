/**
 * NSGA-II against random search on the `mobile` space with (trained accuracy ↑, browser latency ↓)
 * (issue 20): how many NSGA-II evaluations it takes to reach 95 % of the hypervolume of the front
 * that random search finds with `factor`× the budget.
 *
 *   TSNAS_THREADS=1 npx tsx bench/research/mobile-moo.ts [--budget 12] [--factor 4] [--nsga2-budget 12] [--pop 6] [--seeds 0]
 *     [--strategies random,nsga2] [--reuse results/mobile/proxies.jsonl[,FILE…]] [--wait-reuse 0] [--folder DIR] [--out results/mobile/moo]
 *     [--image-size 16] [--train 2000] [--val 1000] [--epochs 2] [--batch 64] [--latency-size 32] [--reps 5] [--analyse]
 *
 * Both searches are the library's (search('nsga2' | 'random')) over two user objectives
 * (registerObjective): `trained_acc`, the `accuracy:trained` training (trainedAccuracyHook) with the
 * recipe below on the CIFAR-10 subset as an image folder, and `browser_ms`, `latency:browser`'s
 * measurement (headless Chromium, TF.js wasm, batch 1, median of --reps) of the same architecture's
 * network at --latency-size (default 32: the CIFAR images' own size, what a deployed classifier takes;
 * the training runs at --image-size to fit the machine, and small inputs would time mostly overhead). Every architecture's two values are appended to `<out>-evals.jsonl` when first
 * computed and read from there afterwards, so runs share an architecture's values (random search and
 * NSGA-II's first population draw the same architectures from the same seed), an interrupted run
 * resumes by replaying, and `--analyse` recomputes the table from the files alone. The order of each
 * search's evaluations goes to `<out>-runs.jsonl`. The default recipe is mobile-proxies.ts's, and
 * `--reuse FILE[,FILE…]` takes an architecture's accuracy from that script's output, or from another
 * run's evaluations file, where one has it (checked to be the same training recipe; the latency is
 * always measured again): random search from seed s draws exactly that script's sample from seed s.
 * `--nsga2-budget N` (≥ --budget) lets NSGA-II run on past --budget: its first --budget evaluations
 * are those of a run stopped at --budget (the schedule does not depend on the budget), and the count
 * to 95 % is read along all N.
 * `--wait-reuse S` waits up to S seconds for a missing one to appear there (that script still running).
 *
 * Hypervolume (src/objectives/pareto.ts): reference point accuracy 10 % (chance) and the largest
 * browser latency of any architecture in the evaluations file; the target is 95 % of the
 * hypervolume of random search's front after factor × budget evaluations with the same seed.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { initBackend } from '../../src/engine/backend.js';
import { BrowserLatencyObjective } from '../../src/objectives/deployment.js';
import { hypervolume } from '../../src/objectives/pareto.js';
import { registerObjective } from '../../src/objectives/registry.js';
import { trainedAccuracyHook, type TrainedAccuracyPreset } from '../../src/objectives/trained.js';
import { search } from '../../src/search/search.js';
import type { AnyArch } from '../../src/spaces/index.js';
import { TsnasError } from '../../src/util/errors.js';
import { mean, quantile } from '../../src/util/stats.js';
import { writeCifar10Folder } from './cifar10-folder.js';
import { readJsonl } from './jsonl.js';

const { values: a } = parseArgs({
  options: {
    budget: { type: 'string', default: '12' },
    'nsga2-budget': { type: 'string' },
    factor: { type: 'string', default: '4' },
    pop: { type: 'string', default: '6' },
    seeds: { type: 'string', default: '0' },
    folder: { type: 'string', default: '/tmp/tsnas-c10-folder' },
    out: { type: 'string', default: 'results/mobile/moo' },
    'image-size': { type: 'string', default: '16' },
    'latency-size': { type: 'string', default: '32' },
    train: { type: 'string', default: '2000' },
    val: { type: 'string', default: '1000' },
    epochs: { type: 'string', default: '2' },
    batch: { type: 'string', default: '64' },
    reps: { type: 'string', default: '5' },
    strategies: { type: 'string', default: 'random,nsga2' },
    reuse: { type: 'string' },
    'wait-reuse': { type: 'string', default: '0' },
    analyse: { type: 'boolean', default: false },
  },
});
const budget = Number(a.budget);
const nsga2Budget = Number(a['nsga2-budget'] ?? a.budget);
if (!(nsga2Budget >= budget)) throw new TsnasError(`--nsga2-budget ${a['nsga2-budget']}: must be a number ≥ --budget ${budget}`);
const reuseFiles = a.reuse ? a.reuse.split(',').map((f) => f.trim()) : [];
const factor = Number(a.factor);
const popSize = Number(a.pop);
const seeds = a.seeds!.split(',').map(Number);
const strategies = a.strategies!.split(',').map((x) => x.trim());
for (const x of strategies) if (x !== 'random' && x !== 'nsga2') throw new TsnasError(`--strategies: unknown strategy '${x}' (random, nsga2)`);
const side = Number(a['image-size']);
const latencySide = Number(a['latency-size']);
const evalsFile = `${a.out}-evals.jsonl`;
const runsFile = `${a.out}-runs.jsonl`;
const preset: TrainedAccuracyPreset = {
  name: 'mobile-moo',
  C: 0, // width and depth come from the mobile architecture itself
  N: 0,
  layers: 0,
  imageSize: side,
  dataLimit: Number(a.train) + Number(a.val),
  valImages: Number(a.val),
  epochs: Number(a.epochs),
  batch: Number(a.batch),
};
// every architecture is trained from seed 0: its values do not depend on which search drew it
const recipe = { ...preset, seed: 0, latency: { input: [latencySide, latencySide, 3], batch: 1, reps: Number(a.reps), warmup: 2 }, data: 'cifar10 train_10k as a PNG folder' };
const recipeKey = JSON.stringify(recipe);

interface Evaluation {
  arch: string;
  recipe: string;
  val_acc: number;
  /** Where val_acc came from: trained here, or read from --reuse. */
  acc_from: 'trained' | 'reused';
  browser_ms: number;
  train_s: number;
  load1: number;
  at: string;
}
interface RunRow {
  strategy: string;
  seed: number;
  budget: number;
  order: string[];
  wall_s: number;
}

const evals = new Map<string, Evaluation>();
for (const e of readJsonl<Evaluation>(evalsFile)) {
  if (e.recipe !== recipeKey) throw new TsnasError(`${evalsFile}: ${e.arch} was evaluated with recipe ${e.recipe}, not ${recipeKey}; give another --out`);
  evals.set(e.arch, e);
}
const runs = readJsonl<RunRow>(runsFile);
const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const runKey = (strategy: string, seed: number, b: number) => `${strategy}/${seed}/${b}`;

/**
 * An accuracy trained with this recipe by bench/research/mobile-proxies.ts (whose seeded sample is
 * random search's draw from the same seed), read again on every call: that script may be running.
 */
function reusedAccuracy(arch: string): number | undefined {
  const same = (r: Record<string, unknown>) => (['imageSize', 'dataLimit', 'valImages', 'epochs', 'batch', 'seed'] as const).every((k) => r[k] === (recipe as Record<string, unknown>)[k]);
  for (const file of reuseFiles) {
    for (const row of readJsonl<{ arch: string; recipe: string; val_acc: number }>(file)) {
      if (row.arch !== arch) continue;
      if (!same(JSON.parse(row.recipe) as Record<string, unknown>)) throw new TsnasError(`--reuse ${file}: ${arch} was trained with ${row.recipe}, not this recipe`);
      return row.val_acc;
    }
  }
  return undefined;
}

if (!a.analyse) {
  mkdirSync(dirname(evalsFile), { recursive: true });
  writeCifar10Folder(a.folder!);
  // user objectives start no backend of their own: train on the fastest one
  await initBackend('auto');
  const train = trainedAccuracyHook({ space: 'mobile', preset, dataset: 'folder', dataDir: a.folder, seed: 0 });
  let browser: BrowserLatencyObjective | undefined;
  let order: string[] = [];
  /** The architecture's two values: from the file, or trained and measured now (and appended). */
  const valuesOf = (arch: AnyArch): Evaluation => {
    const known = evals.get(arch.text);
    if (known) return known;
    const t0 = performance.now();
    let reused = reusedAccuracy(arch.text);
    // mobile-proxies.ts may still be training it: wait rather than train it twice
    for (const until = Date.now() + Number(a['wait-reuse']) * 1000; reused === undefined && Date.now() < until; reused = reusedAccuracy(arch.text)) sleepSync(10_000);
    const val_acc = reused ?? train(arch);
    const train_s = (performance.now() - t0) / 1000;
    browser ??= new BrowserLatencyObjective('mobile', { inputShape: [latencySide, latencySide, 3] }, { reps: recipe.latency.reps, warmup: recipe.latency.warmup });
    const e: Evaluation = {
      arch: arch.text,
      recipe: recipeKey,
      val_acc,
      acc_from: reused === undefined ? 'trained' : 'reused',
      browser_ms: browser.evaluate(arch),
      train_s,
      load1: os.loadavg()[0]!,
      at: new Date().toISOString(),
    };
    appendFileSync(evalsFile, JSON.stringify(e) + '\n');
    evals.set(arch.text, e);
    process.stderr.write(`  new #${evals.size}: val ${val_acc.toFixed(1)} % (${e.acc_from})  browser ${e.browser_ms.toFixed(2)} ms  train ${train_s.toFixed(0)} s  load ${e.load1.toFixed(1)}\n`);
    return e;
  };
  // the evaluator asks each objective once per distinct architecture, accuracy first: that call gives the order
  registerObjective({
    name: 'trained_acc',
    direction: 'max',
    evaluate: (arch) => {
      order.push(arch.text);
      return valuesOf(arch).val_acc;
    },
  });
  registerObjective({ name: 'browser_ms', direction: 'min', evaluate: (arch) => valuesOf(arch).browser_ms });
  try {
    for (const seed of seeds) {
      for (const strategy of strategies) {
        const b = strategy === 'random' ? budget * factor : nsga2Budget;
        if (runs.some((r) => runKey(r.strategy, r.seed, r.budget) === runKey(strategy, seed, b))) continue;
        process.stderr.write(`${strategy} seed ${seed}, budget ${b}\n`);
        order = [];
        const t0 = performance.now();
        const res = await search(strategy, { space: 'mobile', objectives: 'trained_acc,browser_ms', budget: b, seed, ...(strategy === 'nsga2' ? { popSize } : {}) });
        if (res.evaluations !== order.length) throw new Error(`${strategy}: ${res.evaluations} evaluations but ${order.length} recorded`);
        const row: RunRow = { strategy, seed, budget: b, order, wall_s: (performance.now() - t0) / 1000 };
        appendFileSync(runsFile, JSON.stringify(row) + '\n');
        runs.push(row);
      }
    }
  } finally {
    browser?.close();
  }
}

// analysis, from the two files alone
const all = [...evals.values()];
const reference = [10, Math.max(...all.map((e) => e.browser_ms))];
const hvOf = (archs: readonly string[]) =>
  hypervolume(
    archs.map((x) => [evals.get(x)!.val_acc, evals.get(x)!.browser_ms]),
    reference,
    ['max', 'min'],
  );
/** The first k (1-based) at which the front of the first k evaluations reaches `target`, or null. */
const reach = (order: readonly string[], target: number) => {
  for (let k = 1; k <= order.length; k++) if (hvOf(order.slice(0, k)) >= target) return k;
  return null;
};
const perSeed = seeds.flatMap((seed) => {
  const rnd = runs.find((r) => r.strategy === 'random' && r.seed === seed && r.budget === budget * factor);
  const nsga = runs.find((r) => r.strategy === 'nsga2' && r.seed === seed && r.budget === nsga2Budget);
  if (!rnd || !nsga) return [];
  const hvRandom = hvOf(rnd.order);
  const target = 0.95 * hvRandom;
  const hvNsga2 = hvOf(nsga.order.slice(0, budget));
  return [
    {
      seed,
      hv_random: hvRandom,
      hv_nsga2: hvNsga2,
      ratio_nsga2: hvNsga2 / hvRandom,
      ratio_random_at_budget: hvOf(rnd.order.slice(0, budget)) / hvRandom,
      ratio_nsga2_at_end: hvOf(nsga.order) / hvRandom,
      nsga2_evals_to_95: reach(nsga.order, target),
      random_evals_to_95: reach(rnd.order, target),
      wall_s: { random: rnd.wall_s, nsga2: nsga.wall_s },
    },
  ];
});
const accs = all.map((e) => e.val_acc);
const lats = all.map((e) => e.browser_ms);
const summary = {
  budget,
  factor,
  nsga2_budget: nsga2Budget,
  popSize,
  recipe,
  reference,
  architectures: all.length,
  accuracy_range: [Math.min(...accs), Math.max(...accs)],
  browser_ms_range: [Math.min(...lats), Math.max(...lats)],
  // training done here (a reused accuracy's train_s is the time spent waiting for it)
  compute_min: all.reduce((s, e) => s + (e.acc_from === 'trained' ? e.train_s : 0), 0) / 60,
  load1: [Math.min(...all.map((e) => e.load1)), Math.max(...all.map((e) => e.load1))],
  seeds: perSeed,
};
writeFileSync(`${a.out}-summary.json`, JSON.stringify(summary, null, 2) + '\n');
console.log(
  `${all.length} architectures evaluated (val accuracy ${summary.accuracy_range.map((v) => v.toFixed(1)).join('–')} %, browser ${summary.browser_ms_range.map((v) => v.toFixed(2)).join('–')} ms); reference (${reference.map((v) => v.toFixed(2)).join(', ')})`,
);
const extended = nsga2Budget > budget ? ` NSGA-II@${nsga2Budget} ratio |` : '';
console.log(`| seed | HV random@${budget * factor} | HV NSGA-II@${budget} (ratio) | random@${budget} ratio |${extended} NSGA-II evals to 95 % | random evals to 95 % |`);
console.log(`|---|---|---|---|${extended ? '---|' : ''}---|---|`);
for (const s of perSeed) {
  console.log(
    `| ${s.seed} | ${s.hv_random.toFixed(1)} | ${s.hv_nsga2.toFixed(1)} (${s.ratio_nsga2.toFixed(3)}) | ${s.ratio_random_at_budget.toFixed(3)} |${extended ? ` ${s.ratio_nsga2_at_end.toFixed(3)} |` : ''} ${s.nsga2_evals_to_95 ?? `not within ${nsga2Budget}`} | ${s.random_evals_to_95} |`,
  );
}
if (perSeed.length > 1) {
  const avg = (f: (s: (typeof perSeed)[number]) => number) => mean(perSeed.map(f)).toFixed(3);
  const reached = perSeed.map((s) => s.nsga2_evals_to_95).filter((k): k is number => k !== null);
  console.log(
    `| mean | | ${avg((s) => s.ratio_nsga2)} | ${avg((s) => s.ratio_random_at_budget)} |${extended ? ` ${avg((s) => s.ratio_nsga2_at_end)} |` : ''} ${reached.length} of ${perSeed.length} reach it (median ${reached.length ? quantile(reached, 0.5) : '-'}) | median ${quantile(
      perSeed.map((s) => s.random_evals_to_95 ?? budget * factor),
      0.5,
    )} |`,
  );
}
console.log(`training here ${summary.compute_min.toFixed(1)} min; load average (1 min) ${summary.load1.map((v) => v.toFixed(1)).join('–')}`);
