/**
 * NSGA-II with an objective of your own. The objective here counts the 3×3 convolutions of an
 * NB201 cell, a stand-in for "what my target device is slow at" that no benchmark table has; it
 * is registered once and then named in the objective list like a built-in one (with @min/@max and
 * constraints such as `conv3x3<=3`). Accuracy comes from the NAS-Bench-201 table when it is at
 * ../shared/data/nb201 (or $TSNAS_SHARED_DATA), else from the training-free DAS score on
 * synthetic images.
 *
 *   npx tsx examples/nsga2-custom-objective.ts [--budget 200] [--seed 0]
 *
 * Every evaluation is a trial of a run in a SQLite store (examples-out/nsga2.db), so
 * `tsnas runs show` and `tsnas report` work on it. The last line of stdout is the result as JSON.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Run, registerObjective, search } from '../src/index.js';

const small = process.env.TSNAS_EXAMPLE_SMALL === '1';
const { values } = parseArgs({ options: { budget: { type: 'string', default: small ? '16' : '200' }, seed: { type: 'string', default: '0' } } });

registerObjective({
  name: 'conv3x3',
  direction: 'min',
  description: '3×3 convolutions in the cell',
  evaluate: (a) => (a.text.match(/nor_conv_3x3/g) ?? []).length,
});

const shared = process.env.TSNAS_SHARED_DATA ?? join(import.meta.dirname, '..', '..', 'shared', 'data');
const table = join(shared, 'nb201', 'nb201.csv.gz');
const withTable = existsSync(table);
const options = withTable
  ? { objectives: 'accuracy,conv3x3', bench: table }
  : { objectives: 'das,conv3x3', dataset: 'synthetic', batch: 16, dataLimit: 64, backend: small ? 'cpu' : 'auto', workers: 1 };

const out = join(import.meta.dirname, '..', 'examples-out');
mkdirSync(out, { recursive: true });
const store = join(out, 'nsga2.db');
rmSync(store, { force: true });
const run = Run.open({ store, command: 'search', config: { strategy: 'nsga2' } });
const result = await search('nsga2', { space: 'nb201', budget: Number(values.budget), popSize: small ? 6 : 20, seed: Number(values.seed), ...options }, { run, log: (line) => console.error(line) });
run.setResult(result);
run.finish();

for (const p of result.pareto ?? []) console.log(`${JSON.stringify(p.objectives)}  ${p.arch}`);
console.log(JSON.stringify({ example: 'nsga2-custom-objective', objectives: options.objectives, evaluations: result.evaluations, front: result.pareto, store, run: run.id }));
