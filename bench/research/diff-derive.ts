/**
 * NB201 differentiable-search runs re-derived two ways from their final softmax(α): NB201's plain
 * argmax per edge and argmax without `none` (issue 4). Reads <dir>/<strategy>-s<seed>/search.json.
 *
 *   npx tsx bench/research/diff-derive.ts --bench ../shared/data/nb201/nb201.csv.gz --strategy single-darts runs/diff [more dirs]
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadNb201Table } from '../../src/benchmarks/nb201-table.js';
import { deriveNb201 } from '../../src/search/diff/model.js';
import { formatNb201 } from '../../src/spaces/nb201.js';
import { mean, std } from '../../src/util/stats.js';

const { values: a, positionals: dirs } = parseArgs({
  allowPositionals: true,
  options: { bench: { type: 'string', default: '../shared/data/nb201/nb201.csv.gz' }, strategy: { type: 'string', default: 'single-darts' }, seeds: { type: 'string', default: '0,1,2,3,4' } },
});
const table = await loadNb201Table(a.bench!);
const acc = (arch: string) => table.get(arch).values['cifar10_test_acc']!;
for (const dir of dirs) {
  const plain: number[] = [];
  const noNone: number[] = [];
  for (const seed of a.seeds!.split(',')) {
    const f = `${dir}/${a.strategy}-s${seed}/search.json`;
    if (!existsSync(f)) continue;
    const h = JSON.parse(readFileSync(f, 'utf8')).history as { alpha: number[][][] }[];
    const w = h[h.length - 1]!.alpha[0]!;
    const [p, n] = [formatNb201(deriveNb201(w)), formatNb201(deriveNb201(w, true))];
    plain.push(acc(p));
    noNone.push(acc(n));
    console.log(`${dir} ${a.strategy} seed ${seed}: argmax ${acc(p).toFixed(2)} ${p}  without none ${acc(n).toFixed(2)} ${n}`);
  }
  const f = (v: number[]) => `${mean(v).toFixed(2)} ± ${std(v, 1).toFixed(2)}`;
  if (plain.length) console.log(`${dir} ${a.strategy} (${plain.length} seeds): argmax ${f(plain)}, without none ${f(noNone)}`);
}
