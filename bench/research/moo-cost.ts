/**
 * The cost axis of multi-objective NAS on NB201 (issue 5: "TND-NAS's claim is 1/6 of NSGA-Net's
 * cost"): searches that *pay* for accuracy, on (accuracy ↑, lat_pixel3_ms ↓), their wall time, and
 * the hypervolume ratio of the front they return, re-measured with the table's CIFAR-10 test
 * accuracy (the searches never see it):
 *
 *   npx tsx bench/research/moo-cost.ts [--seeds 0,1] [--budget 100] [--strategies nsga2-trained,tnd-nas-supernet]
 *                             [--data-dir ../shared/data/cifar10] [--json out.json]
 *
 *   nsga2-trained     NSGA-II (population 20) on (accuracy:trained, pixel3): every candidate
 *                     trained with the `cpu-small` preset of src/objectives/trained.ts (C 8 N 1,
 *                     16 px, 3 epochs on 4,000 CIFAR-10 training images, validated on 1,000 others),
 *                     NSGA-Net's protocol at CPU scale; --budget distinct architectures.
 *   nsga2-trained-long  the same with all 10,000 images (9,000 / 1,000) and 4 epochs per candidate.
 *   tnd-nas-supernet  TND-NAS, supernet mode, `cpu-small` preset (one weight-sharing supernet,
 *                     3 stages with progressive shrinking, 10 one-hot samples per α step).
 *   tnd-nas-supernet-long  the same with 10,000 images (5,000 train / 5,000 val), 8 epochs per
 *                     stage (4 warm-up), batch 64: the supernet gets about NSGA-II's compute.
 *
 * Reference points as bench/research/moo.ts (tight: acc 85 %, loose: acc 10 %; both at pixel3 36.77 ms).
 * Also printed: Kendall τ between the accuracy a search saw and the table accuracy, over the
 * architectures it evaluated (how good its accuracy estimate is).
 */
import { writeFileSync } from 'node:fs';
import { defaultNb201Path, loadNb201Table } from '../../src/benchmarks/nb201-table.js';
import { initBackend } from '../../src/engine/backend.js';
import { downsample, loadDataset } from '../../src/data/index.js';
import { buildObjectives, parseObjectives, TRAINED_PRESETS, trainedAccuracyHook } from '../../src/objectives/index.js';
import { hypervolume, trueParetoFront } from '../../src/objectives/pareto.js';
import { MooEvaluator, type EvalRecord } from '../../src/search/moo-common.js';
import { nsga2 } from '../../src/search/nsga2.js';
import { TND_PRESETS, tndNasSupernet } from '../../src/search/tnd-nas/index.js';
import type { AnyArch } from '../../src/spaces/index.js';
import { kendallTau } from '../../src/util/stats.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
}

const seeds = arg('seeds', '0').split(',').map(Number);
const budget = Number(arg('budget', '100'));
const strategies = arg('strategies', 'nsga2-trained,tnd-nas-supernet').split(',');
const dataDir = arg('data-dir', '../shared/data/cifar10');
const table = await loadNb201Table(arg('bench', defaultNb201Path()));
await initBackend(arg('backend', 'auto'));

const accCol = 'cifar10_test_acc';
const latCol = 'lat_pixel3_ms';
const dirs: ('max' | 'min')[] = ['max', 'min'];
const REFS = { loose: [10, 36.7665], tight: [85, 36.7665] } as const;
const truthPts = trueParetoFront(table, [
  { column: accCol, direction: 'max' },
  { column: latCol, direction: 'min' },
]).map((r) => [r.values[accCol]!, r.values[latCol]!]);
const trueHv = { loose: hypervolume(truthPts, REFS.loose, dirs), tight: hypervolume(truthPts, REFS.tight, dirs) };
const hvRatio = (archs: readonly AnyArch[], ref: 'loose' | 'tight') =>
  hypervolume(
    archs.map((a) => [table.value(a.text, accCol), table.value(a.text, latCol)]),
    REFS[ref],
    dirs,
  ) / trueHv[ref];

interface Row {
  strategy: string;
  seed: number;
  wall_s: number;
  evaluations: number;
  front: number;
  hvTight: number;
  hvLoose: number;
  tauSeen: number;
  best: number;
}
const rows: Row[] = [];

function record(strategy: string, seed: number, t0: number, ev: MooEvaluator, front: readonly EvalRecord[]): void {
  const archs = front.map((r) => r.arch);
  const seen = ev.history.map((r) => r.values[0]!);
  const truth = ev.history.map((r) => table.value(r.arch.text, accCol));
  const row: Row = {
    strategy,
    seed,
    wall_s: (performance.now() - t0) / 1000,
    evaluations: ev.evaluations,
    front: archs.length,
    hvTight: hvRatio(archs, 'tight'),
    hvLoose: hvRatio(archs, 'loose'),
    tauSeen: kendallTau(seen, truth),
    best: Math.max(...archs.map((a) => table.value(a.text, accCol))),
  };
  rows.push(row);
  console.error(JSON.stringify(row));
}

for (const seed of seeds) {
  for (const strat of strategies) {
    const t0 = performance.now();
    if (strat === 'nsga2-trained' || strat === 'nsga2-trained-long') {
      // -long: all 10,000 images (9,000 train / 1,000 val) and 4 epochs per candidate
      const preset = strat === 'nsga2-trained' ? TRAINED_PRESETS['cpu-small']! : { ...TRAINED_PRESETS['cpu-small']!, name: 'cpu-small-long', dataLimit: 10000, epochs: 4 };
      const hook = trainedAccuracyHook({ space: 'nb201', preset, dataset: 'cifar10', dataDir, seed });
      const ev = new MooEvaluator(buildObjectives(parseObjectives('accuracy:trained,latency:pixel3'), { space: 'nb201', table, trainedAccuracy: hook }), budget);
      nsga2(ev, { space: 'nb201', seed, popSize: 20 });
      record(strat, seed, t0, ev, ev.front());
    } else if (strat === 'tnd-nas-supernet' || strat === 'tnd-nas-supernet-long') {
      // -long: the same preset with ~NSGA-II's budget of compute spent on the one supernet instead
      // (5× the images, 4× the epochs per stage, batch 64)
      const preset =
        strat === 'tnd-nas-supernet' ? TND_PRESETS['cpu-small']! : { ...TND_PRESETS['cpu-small']!, name: 'cpu-small-long', dataLimit: 10000, epochsPerStage: 8, warmupEpochs: 4, batch: 64 };
      let data = loadDataset('cifar10', { dataDir, split: 'train', limit: preset.dataLimit, seed });
      data = downsample(data, data.height / preset.imageSize);
      let hook: ((a: AnyArch) => number) | undefined;
      const ev = new MooEvaluator(buildObjectives(parseObjectives('accuracy:supernet,latency:pixel3'), { space: 'nb201', table, supernetAccuracy: (a) => hook!(a) }), 1_000_000);
      const out = tndNasSupernet(ev, { seed, samples: 10, preset, data }, (f) => (hook = f));
      record(strat, seed, t0, ev, out.frontRecords);
    } else throw new Error(`unknown strategy ${strat}`);
  }
}

console.log(`| strategy | seed | wall (s) | distinct archs evaluated | front size | HV ratio tight | HV ratio loose | best C10 test on front | τ(seen acc, table acc) |`);
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.strategy} | ${r.seed} | ${r.wall_s.toFixed(0)} | ${r.evaluations} | ${r.front} | ${r.hvTight.toFixed(3)} | ${r.hvLoose.toFixed(3)} | ${r.best.toFixed(2)} | ${r.tauSeen.toFixed(3)} |`,
  );
}
const out = arg('json', '');
if (out) writeFileSync(out, JSON.stringify({ budget, seeds, refs: REFS, trueHv, rows }, null, 1));
