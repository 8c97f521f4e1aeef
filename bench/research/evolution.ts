/**
 * Regularized evolution against random search on NAS-Bench-201, single objective, as NASLib
 * compares them: search on a validation accuracy column, report the test accuracy of the pick
 * (the best validation accuracy seen), mean ± std over seeds, at several budgets (distinct
 * architectures evaluated). Table values only; nothing is trained.
 *
 *   npx tsx bench/research/evolution.ts [--seeds 20] [--budgets 50,100,200,400] [--dataset cifar10|cifar100|imagenet16_120]
 *                                       [--pop 20] [--sample 5]
 */
import { defaultNb201Path, loadNb201Table } from '../../src/benchmarks/nb201-table.js';
import { buildObjectives, parseObjectives } from '../../src/objectives/index.js';
import { evolution } from '../../src/search/evolution.js';
import { MooEvaluator } from '../../src/search/moo-common.js';
import { randomSearch } from '../../src/search/random-search.js';
import { mean, std } from '../../src/util/stats.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
}

const seeds = Number(arg('seeds', '20'));
const budgets = arg('budgets', '50,100,200,400').split(',').map(Number);
const ds = arg('dataset', 'cifar10');
const pop = Number(arg('pop', '20'));
const sample = Number(arg('sample', '5'));
const val = ds === 'cifar10' ? 'cifar10_valid_val_acc' : `${ds}_val_acc`;
const testCol = `${ds}_test_acc`;

const table = await loadNb201Table(defaultNb201Path());
const optimum = Math.max(...[...table.rows()].map((r) => r.values[table.resolveColumn(testCol)]!));
console.log(`NB201 ${ds}: search on ${val}, report ${testCol} of the pick (table optimum of ${testCol}: ${optimum.toFixed(2)}); P ${pop}, S ${sample}, ${seeds} seeds`);
console.log('budget  random (test %)      evolution (test %)');
for (const budget of budgets) {
  const picks = { random: [] as number[], evolution: [] as number[] };
  for (let seed = 0; seed < seeds; seed++) {
    for (const strategy of ['random', 'evolution'] as const) {
      const ev = new MooEvaluator(buildObjectives(parseObjectives(`accuracy:${val}`), { space: 'nb201', table }), budget);
      if (strategy === 'evolution') evolution(ev, { space: 'nb201', seed, popSize: pop, sampleSize: sample });
      else randomSearch(ev, { space: 'nb201', seed });
      const best = ev.history.reduce((a, b) => (b.values[0]! > a.values[0]! ? b : a));
      picks[strategy].push(table.value(best.arch.text, testCol));
    }
  }
  const f = (xs: number[]) => `${mean(xs).toFixed(2)} ± ${std(xs).toFixed(2)}`.padEnd(21);
  console.log(`${String(budget).padEnd(8)}${f(picks.random)}${f(picks.evolution)}`);
}
