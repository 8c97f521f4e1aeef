/**
 * Is a DTB's ranking signal or noise? For an exported DTB (`tsnas dtb export --format json`):
 *   - the spread of the recorded validation accuracy at every epoch;
 *   - Kendall τ between each epoch's ranking and the last epoch's (how settled the ranking is);
 *   - for an NB201 DTB, Kendall τ / Spearman ρ between the recorded accuracy and NAS-Bench-201's
 *     own accuracies of the same architectures (200 epochs at full size: an independent truth);
 *   - the binomial standard error of an accuracy on the DTB's validation set.
 *
 *   npx tsx bench/research/dtb-validity.ts results/dtb-nb201-c10-100.json [--bench ../shared/data/nb201/nb201.csv.gz]
 */
import { defaultNb201Path, loadNb201Table } from '../../src/benchmarks/nb201-table.js';
import { readDtb } from '../../src/train/dtb.js';
import { readFileSync } from 'node:fs';
import { kendallTau, mean, spearman, std } from '../../src/util/stats.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
}

const file = process.argv[2]!;
const d = readDtb(file);
const E = d.archs[0]!.epochs.length;
const acc = (e: number) => d.archs.map((a) => a.epochs[e - 1]!.val_acc);
const last = acc(E);
const nVal = d.data.testLimit ?? 2000;
const p = mean(last) / 100;
// the NB201 table of the same cells, read once (an NB201 DTB only)
const table = d.space === 'nb201' ? await loadNb201Table(arg('bench', defaultNb201Path())) : undefined;
console.log(
  `${file}: ${d.archs.length} ${d.space} archs, ${E} epochs; validation set ${nVal} images (binomial s.e. at the mean accuracy: ${(100 * Math.sqrt((p * (1 - p)) / nVal)).toFixed(2)} points)`,
);
console.log('| epoch | val acc mean ± sd | min | max | τ with last epoch |');
console.log('|---|---|---|---|---|');
for (let e = 1; e <= E; e++) {
  const xs = acc(e);
  console.log(`| ${e} | ${mean(xs).toFixed(2)} ± ${std(xs, 1).toFixed(2)} | ${Math.min(...xs).toFixed(2)} | ${Math.max(...xs).toFixed(2)} | ${kendallTau(xs, last).toFixed(3)} |`);
}
if (table) {
  console.log('\nDTB val_acc vs the NB201 table (same architectures):');
  console.log('| DTB epoch | column | τ | ρ |');
  console.log('|---|---|---|---|');
  for (const e of [...new Set([1, Math.ceil(E / 2), E])]) {
    for (const col of ['cifar10_test_acc', 'cifar10_valid_val_acc', 'cifar100_test_acc', 'imagenet16_120_test_acc']) {
      const ys = d.archs.map((a) => table.value(a.arch, col));
      console.log(`| ${e} | ${col} | ${kendallTau(acc(e), ys).toFixed(3)} | ${spearman(acc(e), ys).toFixed(3)} |`);
    }
  }
  const params = d.archs.map((a) => a.params);
  console.log(
    `\nparams vs NB201 cifar10_test_acc: τ ${kendallTau(
      params,
      d.archs.map((a) => table.value(a.arch, 'cifar10_test_acc')),
    ).toFixed(3)}; params vs DTB last epoch: τ ${kendallTau(params, last).toFixed(3)}`,
  );
}

const scoreFiles = process.argv.flatMap((a, i) => (a === '--scores' ? [process.argv[i + 1]!] : []));
if (scoreFiles.length) {
  const epochs = [...new Set([1, Math.ceil(E / 2), E])];
  console.log(`\nProxies (Kendall τ) with the DTB val_acc at epochs ${epochs.join(', ')}${table ? ' and with NB201 cifar10_test_acc' : ''}:`);
  console.log(`| scores | proxy | ${epochs.map((e) => `DTB epoch ${e}`).join(' | ')}${table ? ' | NB201 C10 test' : ''} |`);
  console.log(`|---|---|${epochs.map(() => '---').join('|')}${table ? '|---' : ''}|`);
  for (const spec of scoreFiles) {
    const [label, f] = spec.includes('=') ? (spec.split('=') as [string, string]) : [spec, spec];
    const lines = readFileSync(f, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l, (_k, v) => (v === null ? -Infinity : v)) as { arch: string; scores: Record<string, number> });
    const by = new Map(lines.map((l) => [l.arch, l.scores]));
    const archs = d.archs.filter((a) => by.has(a.arch));
    for (const p of Object.keys(lines[0]!.scores)) {
      const xs = archs.map((a) => by.get(a.arch)![p]!);
      const cols = epochs.map((e) =>
        kendallTau(
          xs,
          archs.map((a) => a.epochs[e - 1]!.val_acc),
        ).toFixed(3),
      );
      const tab = table
        ? ` | ${kendallTau(
            xs,
            archs.map((a) => table.value(a.arch, 'cifar10_test_acc')),
          ).toFixed(3)}`
        : '';
      console.log(`| ${label} | ${p} | ${cols.join(' | ')}${tab} |`);
    }
  }
}
