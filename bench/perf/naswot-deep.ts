/**
 * NASWOT on the deep evaluation networks, tsnas against PyTorch in the same run: seconds per scoring
 * pass and peak RSS, one FRESH process per network and side (so each process's peak is one network's).
 *   npx tsx bench/perf/naswot-deep.ts [--n 3] [--spaces nb201,darts,nb101] [--batch 128] [--threads 2]
 *     [--first 0] [--passes 1] [--input cifar10|normal] [--data-dir DIR] [--seed 0] [--json]
 * Networks: NB201's TinyNetwork (C 16, N 5; cells sampled with --seed), DARTS's NetworkCIFAR (C 36,
 * 20 cells, no auxiliary head; the first n genotypes of --nb301-file) and NB101's network (stem 128,
 * 3 stacks × 3 cells; the first n cells of --nb101-file).
 * Input: the same batch for both sides, written once to a float32 file: --input cifar10 (default) is
 * fixedBatch(seed) of the first `batch` CIFAR-10 training images, normalised (--data-dir, else
 * $TSNAS_CIFAR10_DIR, else ../shared/data/cifar10); --input normal is N(0,1).
 * Children: bench/perf/naswot-one.ts (tsnas, native backend, TSNAS_THREADS=threads) and
 * bench/perf/torch_naswot.py --space (PyTorch, torch.set_num_threads(threads)), each under
 * /usr/bin/time. Each reports its start-up (spawn to backend and batch ready), build, baseline RSS
 * (VmRSS with imports, batch and network in memory, before the first pass), the seconds of each of
 * `passes` scoring passes (forward with ReLU hooks/codes + log-det; no other warm-up on either side)
 * and VmHWM. The table shows the last pass. The PyTorch child is given tsnas's parameter count and
 * exits with an error when its network's differs.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { fixedBatch, loadDataset } from '../../src/data/index.js';
import { sampleArch, type SpaceName } from '../../src/spaces/index.js';
import { Rng } from '../../src/util/rng.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
}

const n = Number(arg('n', '3'));
/** Index of the first architecture taken (to add rows to an earlier run). */
const first = Number(arg('first', '0'));
const spaces = arg('spaces', 'nb201,darts,nb101').split(',') as SpaceName[];
const batch = Number(arg('batch', '128'));
const threads = arg('threads', '2');
const passes = arg('passes', '1');
const seed = Number(arg('seed', '0'));
const inputKind = arg('input', 'cifar10');
const json = process.argv.includes('--json');

/** The first n architectures of a space, with a short label for the table. */
function archsOf(space: SpaceName): { label: string; text: string }[] {
  if (space === 'nb201') {
    const rng = new Rng(seed);
    return Array.from({ length: first + n }, (_, i) => ({ label: `nb201 sample ${i} (seed ${seed})`, text: sampleArch('nb201', rng).text })).slice(first);
  }
  if (space === 'darts') {
    const rows = JSON.parse(readFileSync(arg('nb301-file', '../shared/data/nb301/nb301_surrogate_360.json'), 'utf8')) as { genotype: string }[];
    return rows.slice(first, first + n).map((r, i) => ({ label: `nb301 #${first + i}`, text: r.genotype }));
  }
  if (space === 'nb101') {
    const rows = JSON.parse(readFileSync(arg('nb101-file', '../shared/data/nb101/nb101_cells_250.json'), 'utf8')) as { matrix: number[][]; ops: string[] }[];
    return rows.slice(first, first + n).map((r, i) => ({ label: `nb101 #${first + i}`, text: JSON.stringify({ matrix: r.matrix, ops: r.ops }) }));
  }
  throw new Error(`no architectures for space ${space}`);
}

/** The batch both sides read, as float32 NHWC. */
async function writeBatch(file: string): Promise<string> {
  await initBackend('cpu');
  let values: Float32Array;
  let what: string;
  if (inputKind === 'normal') {
    const r = new Rng(seed + 1);
    values = Float32Array.from({ length: batch * 32 * 32 * 3 }, () => r.normal());
    what = `N(0,1), seed ${seed + 1}`;
  } else if (inputKind === 'cifar10') {
    const dataDir = arg('data-dir', process.env.TSNAS_CIFAR10_DIR ?? '../shared/data/cifar10');
    const ds = loadDataset('cifar10', { dataDir, split: 'train', limit: batch });
    const b = fixedBatch(ds, batch, seed);
    values = b.x.dataSync() as Float32Array;
    tf.dispose([b.x, b.y]);
    what = `CIFAR-10 train, first ${batch} images (${dataDir}), normalised`;
  } else throw new Error(`--input must be cifar10 or normal, got ${inputKind}`);
  writeFileSync(file, values);
  return what;
}

interface ChildResult {
  params: number;
  naswot: number;
  startup_s: number;
  build_s: number;
  seconds: number[];
  /** Process CPU seconds of each pass (user + system, all threads). */
  cpu_s: number[];
  baseline_rss_mb: number;
  peak_rss_mb: number;
  peak_rss_first_pass_mb: number;
  /** /usr/bin/time's maximum resident set size of the whole child, MB (a cross-check of VmHWM). */
  time_maxrss_mb: number;
  [k: string]: unknown;
}

/** Run a child under /usr/bin/time; its last stdout line is JSON. */
function runChild(cmd: string[], env: NodeJS.ProcessEnv, what: string): ChildResult {
  const r = spawnSync('/usr/bin/time', ['-f', 'TIME_MAXRSS_KB %M', ...cmd, '--t0', String(Date.now() / 1000)], { encoding: 'utf8', env, maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}):\n${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as ChildResult;
  const m = /TIME_MAXRSS_KB (\d+)/.exec(r.stderr);
  out.time_maxrss_mb = m ? Number(m[1]) / 1024 : NaN;
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'tsnas-naswot-deep-'));
const input = join(dir, 'batch.f32');
const inputWhat = await writeBatch(input);
const load0 = loadavg();
const started = new Date().toISOString();
const rows = [];
for (const space of spaces) {
  for (const a of archsOf(space)) {
    const common = ['--space', space, '--arch', a.text, '--input', input, '--batch', String(batch), '--passes', passes];
    const ours = runChild([process.execPath, '--import', 'tsx', 'bench/perf/naswot-one.ts', ...common], { ...process.env, TSNAS_THREADS: threads }, `tsnas ${a.label}`);
    const torch = runChild(['/usr/bin/python3', 'bench/perf/torch_naswot.py', ...common, '--threads', threads, '--expect-params', String(ours.params)], process.env, `PyTorch ${a.label}`);
    if (torch.params !== ours.params) throw new Error(`parameter counts differ for ${a.label}: tsnas ${ours.params}, PyTorch ${torch.params}`);
    const row = { space, label: a.label, arch: a.text, params: ours.params, tsnas: ours, torch, ratio: torch.seconds.at(-1)! / ours.seconds.at(-1)!, loadavg1: loadavg()[0]! };
    rows.push(row);
    process.stderr.write(
      `${a.label}: params ${ours.params} (PyTorch ${torch.params}); tsnas ${ours.seconds.map((s) => s.toFixed(2)).join('/')} s, peak ${ours.peak_rss_mb.toFixed(0)} MB; ` +
        `PyTorch ${torch.seconds.map((s) => s.toFixed(2)).join('/')} s, peak ${torch.peak_rss_mb.toFixed(0)} MB; load ${row.loadavg1.toFixed(1)}\n`,
    );
  }
}
rmSync(dir, { recursive: true, force: true });
const load1 = loadavg();

const f = (v: number, d = 2) => v.toFixed(d);
const table = [
  '| space | arch | params | tsnas s | torch s | ratio (torch/tsnas) | CPU s (tsnas / torch) | tsnas peak MB | torch peak MB | tsnas baseline MB | torch baseline MB | start-up s (tsnas / torch) |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.space} | ${r.label} | ${(r.params / 1e6).toFixed(3)} M | ${f(r.tsnas.seconds.at(-1)!)} | ${f(r.torch.seconds.at(-1)!)} | ${f(r.ratio)}× | ${f(r.tsnas.cpu_s.at(-1)!, 1)} / ${f(r.torch.cpu_s.at(-1)!, 1)} | ${f(r.tsnas.peak_rss_mb, 0)} | ${f(r.torch.peak_rss_mb, 0)} | ` +
      `${f(r.tsnas.baseline_rss_mb, 0)} | ${f(r.torch.baseline_rss_mb, 0)} | ${f(r.tsnas.startup_s, 1)} / ${f(r.torch.startup_s, 1)} |`,
  ),
];
const summary = { started, batch, threads: Number(threads), passes: Number(passes), input: inputWhat, loadavgBefore: load0, loadavgAfter: load1, rows };
if (json) console.log(JSON.stringify(summary));
else {
  console.log(`batch ${batch}, ${threads} threads each, ${passes} pass(es) per process (the table: the last), input ${inputWhat}`);
  console.log(`load average before ${load0.map((l) => f(l)).join(' ')}, after ${load1.map((l) => f(l)).join(' ')}`);
  console.log(table.join('\n'));
}
process.exit(0);
