/**
 * NASWOT throughput, tsnas vs PyTorch, same architectures, same run, batch 128:
 *   npx tsx bench/perf/proxies.ts [--n 5] [--seed 0] [--batch 128] [--backend auto] [--threads 2]
 * tsnas: build the NB201 network, one forward with BN in train mode reading every ReLU input,
 * bit-packed popcount Gram, float64 slogdet. PyTorch (bench/perf/torch_naswot.py, Debian python3-torch,
 * 2 threads): the same nets, one float32 matmul Gram per ReLU layer. Prints per-arch seconds and
 * the ratio (PyTorch time / tsnas time; > 1 means tsnas is faster).
 *
 * DAS rule selection (the protocol behind DEFAULT_DAS, see BENCHMARKS.md):
 *   npx tsx bench/perf/proxies.ts --select-das scores.jsonl
 * reads the per-architecture lines written by `tsnas correlate --scores-out` (which must include
 * the proxies dis, units, active, das:kernel=layer,lambda=0 and das:kernel=perlayer,lambda=0),
 * fits kernel × λ × active-penalty on the first half of the sample (or the first --fit-n rows;
 * Kendall τ) and reports every rule's τ on the disjoint rest. Ties on the fit half go to the rule closest to NASWOT.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { kendallTau, spearman } from '../../src/util/stats.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/engine/backend.js';
import { tf, type Tensor4D } from '../../src/engine/tf.js';
import { buildEvalNetwork, parseArch, sampleArch } from '../../src/spaces/index.js';
import { collectActivationStats, naswotScore } from '../../src/proxies/index.js';
import { Rng } from '../../src/util/rng.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
}

if (process.argv.includes('--select-das')) {
  selectDas(arg('select-das', ''));
  process.exit(0);
}

function selectDas(file: string): void {
  type Row = { arch: string; scores: Record<string, number>; target: number };
  // JSON writes −∞ (singular kernel: duplicate codes, e.g. disconnected cells) as null.
  const rows = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l, (_k, v) => (v === null ? -Infinity : v)) as Row);
  // fit on the first --fit-n rows (default: half), report on the rest
  const half = Number(arg('fit-n', String(Math.floor(rows.length / 2))));
  const fit = rows.slice(0, half);
  const test = rows.slice(half);
  const kernels: Record<string, string> = { whole: 'dis', layer: 'das:kernel=layer,lambda=0', perlayer: 'das:kernel=perlayer,lambda=0' };
  const lambdas = [0, 0.1, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 2, 3, 5];
  const actives = [0, 1, 3, 10, 30, 100];
  const score = (r: Row, k: string, l: number, a: number) => r.scores[kernels[k]!]! + l * r.scores.units! - a * 128 * r.scores.active!;
  const tau = (rs: Row[], f: (r: Row) => number) =>
    kendallTau(
      rs.map(f),
      rs.map((r) => r.target),
    );
  const rho = (rs: Row[], f: (r: Row) => number) =>
    spearman(
      rs.map(f),
      rs.map((r) => r.target),
    );
  const cands = [];
  for (const k of Object.keys(kernels))
    for (const l of lambdas)
      for (const a of actives) {
        const f = (r: Row) => score(r, k, l, a);
        cands.push({
          rule: `das:kernel=${k},lambda=${l}${a ? `,active=${a}` : ''}`,
          fitTau: tau(fit, f),
          testTau: tau(test, f),
          testRho: rho(test, f),
          allTau: tau(rows, f),
          closeness: Math.abs(l - 1) + a / 10 + (k === 'whole' ? 0 : 1),
        });
      }
  cands.sort((p, q) => q.fitTau - p.fitTau || p.closeness - q.closeness);
  const base = (k: string) => ({
    proxy: k,
    fitTau: tau(fit, (r) => r.scores[k]!),
    testTau: tau(test, (r) => r.scores[k]!),
    testRho: rho(test, (r) => r.scores[k]!),
    allTau: tau(rows, (r) => r.scores[k]!),
    allRho: rho(rows, (r) => r.scores[k]!),
  });
  const baselines = Object.keys(rows[0]!.scores).map(base);
  console.log(JSON.stringify({ file, n: rows.length, fitN: fit.length, testN: test.length, chosen: cands[0], top: cands.slice(0, 10), baselines }, null, 1));
}

const n = Number(arg('n', '5'));
const seed = Number(arg('seed', '0'));
const batch = Number(arg('batch', '128'));
const threads = arg('threads', '2');
const info = await initBackend(arg('backend', 'auto'));
const rng = new Rng(seed);
const archs = Array.from({ length: n }, () => sampleArch('nb201', rng).text);

const xr = new Rng(seed + 1);
const x = tf.tensor4d(
  Float32Array.from({ length: batch * 32 * 32 * 3 }, () => xr.normal()),
  [batch, 32, 32, 3],
) as Tensor4D;
// Warm-up (kernel caches, JIT) on the first architecture, untimed.
{
  const net = buildEvalNetwork('nb201', parseArch('nb201', archs[0]!), new Rng(0));
  naswotScore(collectActivationStats(net, x));
  net.dispose();
}
const ours: { arch: string; seconds: number; forward: number; codes: number; naswot: number }[] = [];
for (const a of archs) {
  const t0 = performance.now();
  const net = buildEvalNetwork('nb201', parseArch('nb201', a), new Rng(0));
  const st = collectActivationStats(net, x);
  const s = naswotScore(st);
  net.dispose();
  ours.push({ arch: a, seconds: (performance.now() - t0) / 1000, forward: st.timing.forward, codes: st.timing.codes, naswot: s });
  process.stderr.write(`tsnas  ${ours.at(-1)!.seconds.toFixed(3)} s (forward ${st.timing.forward.toFixed(3)}, codes ${st.timing.codes.toFixed(3)})  ${a}\n`);
}
x.dispose();

const dir = mkdtempSync(join(tmpdir(), 'tsnas-naswot-'));
const file = join(dir, 'archs.txt');
writeFileSync(file, `${archs.join('\n')}\n`);
const py = spawnSync('/usr/bin/python3', ['bench/perf/torch_naswot.py', '--arch-file', file, '--batch', String(batch), '--threads', threads, '--json'], { encoding: 'utf8', maxBuffer: 1 << 26 });
if (py.status !== 0) throw new Error(`torch_naswot.py failed: ${py.stderr}`);
const torch = JSON.parse(py.stdout.trim().split('\n').at(-1)!) as { torch: string; threads: number; results: { arch: string; seconds: number }[] };

const sum = (v: number[]) => v.reduce((s, t) => s + t, 0);
const tOurs = sum(ours.map((r) => r.seconds)) / n;
const tTorch = sum(torch.results.map((r) => r.seconds)) / n;
const result = {
  n,
  seed,
  batch,
  backend: `${info.name} (${info.detail})`,
  torch: `${torch.torch}, ${torch.threads} threads`,
  tsnasSecondsPerArch: tOurs,
  torchSecondsPerArch: tTorch,
  speedup: tTorch / tOurs,
  tsnasForwardPerArch: sum(ours.map((r) => r.forward)) / n,
  tsnasCodesPerArch: sum(ours.map((r) => r.codes)) / n,
  perArch: ours.map((r, i) => ({ arch: r.arch, tsnas: r.seconds, torch: torch.results[i]!.seconds })),
};
console.log(`tsnas ${tOurs.toFixed(3)} s/arch, PyTorch ${tTorch.toFixed(3)} s/arch, ratio (torch/tsnas) ${(tTorch / tOurs).toFixed(2)}x`);
console.log(JSON.stringify(result));
process.exit(0);
