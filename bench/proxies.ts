/**
 * NASWOT throughput, tsnas vs PyTorch, same architectures, same run, batch 128:
 *   npx tsx bench/proxies.ts [--n 5] [--seed 0] [--batch 128] [--backend auto] [--threads 2]
 * tsnas: build the NB201 network, one forward with BN in train mode reading every ReLU input,
 * bit-packed popcount Gram, float64 slogdet. PyTorch (bench/torch_naswot.py, Debian python3-torch,
 * 2 threads): the same nets, one float32 matmul Gram per ReLU layer. Prints per-arch seconds and
 * the ratio (PyTorch time / tsnas time; > 1 means tsnas is faster).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../src/engine/backend.js';
import { tf, type Tensor4D } from '../src/engine/tf.js';
import { buildEvalNetwork, parseArch, sampleArch } from '../src/spaces/index.js';
import { collectActivationStats, naswotScore } from '../src/proxies/index.js';
import { Rng } from '../src/util/rng.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
}

const n = Number(arg('n', '5'));
const seed = Number(arg('seed', '0'));
const batch = Number(arg('batch', '128'));
const threads = arg('threads', '2');
const info = await initBackend(arg('backend', 'auto'));
const rng = new Rng(seed);
const archs = Array.from({ length: n }, () => sampleArch('nb201', rng).text);

const xr = new Rng(seed + 1);
const x = tf.tensor4d(Float32Array.from({ length: batch * 32 * 32 * 3 }, () => xr.normal()), [batch, 32, 32, 3]) as Tensor4D;
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
const py = spawnSync('/usr/bin/python3', ['bench/torch_naswot.py', '--arch-file', file, '--batch', String(batch), '--threads', threads, '--json'], { encoding: 'utf8', maxBuffer: 1 << 26 });
if (py.status !== 0) throw new Error(`torch_naswot.py failed: ${py.stderr}`);
const torch = JSON.parse(py.stdout.trim().split('\n').at(-1)!) as { torch: string; threads: number; results: { arch: string; seconds: number }[] };

const sum = (v: number[]) => v.reduce((s, t) => s + t, 0);
const tOurs = sum(ours.map((r) => r.seconds)) / n;
const tTorch = sum(torch.results.map((r) => r.seconds)) / n;
const result = {
  n, seed, batch, backend: `${info.name} (${info.detail})`, torch: `${torch.torch}, ${torch.threads} threads`,
  tsnasSecondsPerArch: tOurs, torchSecondsPerArch: tTorch, speedup: tTorch / tOurs,
  tsnasForwardPerArch: sum(ours.map((r) => r.forward)) / n, tsnasCodesPerArch: sum(ours.map((r) => r.codes)) / n,
  perArch: ours.map((r, i) => ({ arch: r.arch, tsnas: r.seconds, torch: torch.results[i]!.seconds })),
};
console.log(`tsnas ${tOurs.toFixed(3)} s/arch, PyTorch ${tTorch.toFixed(3)} s/arch, ratio (torch/tsnas) ${(tTorch / tOurs).toFixed(2)}x`);
console.log(JSON.stringify(result));
process.exit(0);

