/**
 * Latency measured by tsnas on its own TF.js backend vs the NB201 table's CPU latency columns.
 *
 *   npx tsx bench/research/latency-corr.ts [--n 200] [--seconds 180] [--backend native] [--batch 1] [--reps 5] [--seed 0]
 *
 * Samples n distinct NB201 cells (seeded), measures each with the `latency:measured` objective
 * (evaluation network C16 N5, 32 px, seeded random weights; median of reps timed inferences after 2
 * warm-ups) until the time limit, then reports Spearman ρ against every table latency column
 * (CPU columns first) for the archs measured (n is printed).
 */
import { defaultNb201Path, loadNb201Table } from '../../src/benchmarks/nb201-table.js';
import { initBackend } from '../../src/engine/backend.js';
import { buildObjectives, parseObjectives } from '../../src/objectives/index.js';
import { sampleArch, type AnyArch } from '../../src/spaces/index.js';
import { Rng } from '../../src/util/rng.js';
import { spearman } from '../../src/util/stats.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
}
const n = Number(arg('n', '200'));
const limit = Number(arg('seconds', '180'));
const info = await initBackend(arg('backend', 'native'));
const table = await loadNb201Table(arg('bench', defaultNb201Path()));
const [lat] = buildObjectives(parseObjectives('latency:measured'), { space: 'nb201', latency: { batch: Number(arg('batch', '1')), reps: Number(arg('reps', '5')) } });
const rng = new Rng(Number(arg('seed', '0')));
const archs: AnyArch[] = [];
const seen = new Set<string>();
while (archs.length < n) {
  const a = sampleArch('nb201', rng);
  if (!seen.has(a.text)) {
    seen.add(a.text);
    archs.push(a);
  }
}
const t0 = performance.now();
const measured: number[] = [];
for (const a of archs) {
  if ((performance.now() - t0) / 1000 > limit) break;
  measured.push(lat!.evaluate(a));
}
const done = archs.slice(0, measured.length);
const cpuCols = ['lat_gold_6226_ms', 'lat_gold_6240_ms', 'lat_silver_4114_ms', 'lat_silver_4210r_ms', 'lat_raspi4_ms'];
const others = table.latencyColumns.filter((c) => !cpuCols.includes(c));
console.log(
  `backend ${info.name} (${info.detail}); measured ${measured.length} of ${n} archs in ${((performance.now() - t0) / 1000).toFixed(1)} s; median latency ${[...measured].sort((x, y) => x - y)[Math.floor(measured.length / 2)]?.toFixed(2)} ms`,
);
console.log('| table column | Spearman ρ vs tsnas measured |');
console.log('|---|---|');
for (const c of [...cpuCols, ...others]) {
  const rho = spearman(
    measured,
    done.map((a) => table.value(a.text, c)),
  );
  console.log(`| ${c} | ${rho.toFixed(3)} |`);
}
