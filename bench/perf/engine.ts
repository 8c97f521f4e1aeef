/**
 * Engine benchmark (issue 3): the reference net (bench/perf/ref-net.ts) and the NB201 and DARTS
 * supernets (src/nn/), batch 64, on the fastest tsnas backend and on PyTorch
 * (bench/perf/torch_engine.py, Debian's python3-torch, 2 threads) in the same run; the wasm and cpu
 * backends go in the table for comparison.
 *
 *   npm run bench:engine -- [--json] [--reps 5] [--rounds 3] [--backends native,wasm,cpu] [--cases ref_net,...]
 *                           [--other-cases ref_net] [--no-torch] [--torch-threads 2] [--batch 64]
 * (--other-cases: the cases also timed on the backends after the first; wasm and cpu take
 * seconds to minutes per supernet step)
 *
 * train_b64: forward + backward + SGD-momentum update (softmax cross-entropy, all trainable
 * variables). forward_b64: inference forward (BN on running statistics, no gradient tape); for
 * PyTorch both eager (`torch_ms`, the reference) and traced+frozen+optimize_for_inference
 * (`torch_frozen_ms`: PyTorch's own deployment path, conv-BN folded).
 * Each is the median over --rounds rounds of --reps timed runs after warm-up. The first backend
 * of --backends that starts is the one compared with PyTorch: in each round PyTorch's block (a
 * python process serving timed blocks, bench/perf/torch_engine.py --serve) and then tsnas's run, so
 * both see the same machine conditions; the other backends are timed alone, for the table.
 * With --json the last line of stdout is one JSON object: {"cases": {case: {train_b64:
 * {tsnas_ms, torch_ms, ratio}, forward_b64: {…, torch_frozen_ms, ratio_frozen}}}, "backend",
 * "backend_detail", "machine", "torch", "backends": {name: {case: {…}}}}.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { tf, type Tensor } from '../../src/engine/tf.js';
import { initBackend } from '../../src/engine/backend.js';
import { buildRefNet } from './ref-net.js';
import { Sgd } from '../../src/optim/index.js';

const { values: a } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    reps: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '3' },
    batch: { type: 'string', default: '64' },
    backends: { type: 'string', default: 'native,wasm,cpu' },
    cases: { type: 'string', default: '' },
    'other-cases': { type: 'string', default: 'ref_net' },
    'no-torch': { type: 'boolean', default: false },
    'torch-threads': { type: 'string', default: '2' },
  },
});
const REPS = Math.max(1, Number(a.reps));
const ROUNDS = Math.max(1, Number(a.rounds));
const WARMUP = Math.max(1, Number(a.warmup));
const BATCH = Number(a.batch);
const here = dirname(fileURLToPath(import.meta.url));

/** A benchmarked model, built on the current backend. */
interface Model {
  params: tf.Variable[];
  forward(x: Tensor, training: boolean): Tensor;
  dispose(): void;
}

interface Case {
  name: string;
  label: string;
  input: [number, number, number];
  classes: number;
  make(): Promise<Model>;
}

/** Supernet cases need src/nn (another module); they are skipped, with a note, if it is absent. */
async function supernetCases(): Promise<Case[]> {
  try {
    const { Rng } = await import('../../src/util/rng.js');
    const { Nb201Supernet } = await import('../../src/nn/nb201-supernet.js');
    const { DartsSupernet } = await import('../../src/nn/darts-supernet.js');
    type Net = { forward(x: tf.Tensor4D, ctx: { training: boolean }): Tensor; parameters(): tf.Variable[]; dispose(): void };
    const wrap = (net: Net, extra: tf.Variable[]): Model => ({
      params: [...net.parameters(), ...extra],
      forward: (x, training) => net.forward(x as tf.Tensor4D, { training }),
      dispose: () => net.dispose(),
    });
    return [
      {
        name: 'nb201_supernet',
        label: 'NB201 supernet C16 N5, 32px (all 5 ops per edge)',
        input: [32, 32, 3],
        classes: 10,
        make: async () => {
          const n = new Nb201Supernet(new Rng(0), { C: 16, N: 5, numClasses: 10, inputShape: [32, 32, 3] });
          return wrap(n, n.archParameters());
        },
      },
      {
        name: 'darts_supernet',
        label: 'DARTS supernet C8, 3 cells, 16px (8 ops per edge)',
        input: [16, 16, 3],
        classes: 10,
        make: async () => {
          const n = new DartsSupernet(new Rng(0), { C: 8, layers: 3, numClasses: 10, inputShape: [16, 16, 3] });
          return wrap(n, n.archParameters());
        },
      },
    ];
  } catch (e) {
    console.error(`# supernet cases skipped: ${(e as Error).message}`);
    return [];
  }
}

const REF: Case = {
  name: 'ref_net',
  label: 'reference net (NB201-like, 16/32/64 ch, 32px)',
  input: [32, 32, 3],
  classes: 10,
  make: async () => buildRefNet({ seed: 1 }),
};

function median(xs: number[]): number {
  const s = [...xs].sort((p, q) => p - q);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

interface Timing {
  train_b64: number | null;
  forward_b64: number | null;
  torch_train?: number | null;
  torch_forward?: number | null;
  torch_forward_frozen?: number | null;
  min?: Record<string, number>;
  note?: string;
}

/** PyTorch in a child process serving one timed step per request (line protocol). */
class TorchServer {
  private proc?: ChildProcessWithoutNullStreams;
  private buf = '';
  private waiting: ((line: string) => void)[] = [];
  private lines: string[] = [];
  info: { torch?: string; threads?: number; mkldnn?: boolean; error?: string } = {};

  async start(): Promise<boolean> {
    const script = join(here, 'torch_engine.py');
    try {
      this.proc = spawn('/usr/bin/python3', [script, '--serve', '--batch', String(BATCH), '--threads', String(Number(a['torch-threads']))], { stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (e) {
      this.info = { error: (e as Error).message };
      return false;
    }
    let err = '';
    this.proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    this.proc.on('error', (e) => (this.info.error = e.message));
    this.proc.stdout.on('data', (d: Buffer) => {
      this.buf += d.toString();
      let i: number;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        const w = this.waiting.shift();
        if (w) w(line);
        else this.lines.push(line);
      }
    });
    const exited = new Promise<string>((res) => this.proc!.on('exit', (code) => res(JSON.stringify({ error: `python exited (${code}): ${err.trim().split('\n').pop() ?? ''}` }))));
    const first = JSON.parse(await Promise.race([this.next(), exited])) as typeof this.info & { ready?: boolean };
    if (!first.ready) {
      this.info = { error: first.error ?? 'python did not start' };
      return false;
    }
    this.info = { torch: first.torch, threads: first.threads, mkldnn: first.mkldnn };
    return true;
  }

  private next(): Promise<string> {
    const l = this.lines.shift();
    if (l !== undefined) return Promise.resolve(l);
    return new Promise((res) => this.waiting.push(res));
  }

  async request(cmd: string): Promise<{ ms?: number | number[]; ok?: boolean; error?: string }> {
    this.proc!.stdin.write(`${cmd}\n`);
    return JSON.parse(await this.next()) as { ms?: number | number[]; ok?: boolean; error?: string };
  }

  stop(): void {
    if (!this.proc) return;
    this.proc.stdin.write('quit\n');
    this.proc.stdin.end();
  }
}

async function timeOne(fn: () => void): Promise<number> {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

interface PairTiming {
  ts: number;
  tsMin: number;
  /** PyTorch command → [median, min] */
  torch: Record<string, [number, number]>;
}

/**
 * Median (and minimum) over ROUNDS blocks of `reps` timed runs, each after `warmup` untimed
 * ones; in every round PyTorch's blocks (one per command) run first, then tsnas's. Blocks, not
 * single alternating steps: alternating step by step made PyTorch's train step vary 4× (its
 * thread pool and caches went cold between steps) while it is steady when run in blocks.
 */
async function timePair(fn: () => void, torchCmds: string[], torch: TorchServer | null, warmup: number, reps: number): Promise<PairTiming> {
  const a: number[] = [];
  const b: Record<string, number[]> = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const cmd of torch ? torchCmds : []) {
      const r = (await torch!.request(`${cmd} ${reps} ${warmup}`)) as { ms?: number[]; error?: string };
      if (!Array.isArray(r.ms)) throw new Error(`torch ${cmd}: ${r.error ?? 'no time'}`);
      (b[cmd] ??= []).push(...r.ms);
    }
    // The native backend's thread governor samples other processes' CPU use lazily, at most
    // every 250 ms, over the time since its last sample: its first sample after PyTorch's block
    // sees that block and drops to one thread. Warm up for ≥ 600 ms so timing starts after a
    // clean sample (measured: forward 36 ms median with a 3-call warm-up vs 20 ms).
    await sleep(20);
    const w0 = performance.now();
    for (let i = 0; i < warmup || (torch && performance.now() - w0 < 600); i++) fn();
    for (let i = 0; i < reps; i++) a.push(await timeOne(fn));
  }
  return { ts: median(a), tsMin: Math.min(...a), torch: Object.fromEntries(Object.entries(b).map(([k, v]) => [k, [median(v), Math.min(...v)]])) };
}

async function runCase(c: Case, backend: string, torch: TorchServer | null, primary: boolean): Promise<Timing> {
  const slow = backend === 'cpu';
  const model = await c.make();
  const [h, w, ch] = c.input;
  const x = tf.randomNormal([BATCH, h, w, ch], 0, 1, 'float32', 7);
  const labels = tf.oneHot(
    tf.tensor1d(
      Array.from({ length: BATCH }, (_, i) => i % c.classes),
      'int32',
    ),
    c.classes,
  );
  // tsnas's own optimizer (src/train/optim.ts: torch.optim.SGD semantics, one fused kernel on native)
  const opt = new Sgd(
    model.params.map((p) => [p.name, p] as [string, tf.Variable]),
    { lr: 0.01, momentum: 0.9, nesterov: false, weightDecay: 0 },
  );
  const step = () => {
    const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(labels, model.forward(x, true)) as tf.Scalar, model.params);
    opt.step(grads);
    value.dataSync();
    value.dispose();
    tf.dispose(grads);
  };
  const fwd = () => {
    const y = tf.tidy(() => model.forward(x, false));
    y.dataSync();
    y.dispose();
  };
  const t: Timing = { train_b64: null, forward_b64: null };
  // backends other than the one compared with PyTorch get fewer runs on the big cases
  const reps = primary || c.name === 'ref_net' ? REPS : Math.min(REPS, 3);
  const warm = primary || c.name === 'ref_net' ? WARMUP : 1;
  try {
    if (torch) {
      const r = await torch.request(`case ${c.name}`);
      if (!r.ok) throw new Error(`torch: ${r.error}`);
    }
    // train first, so the BN running statistics of the forward pass are not the initial ones
    if (!slow) {
      const r = await timePair(step, ['train'], torch, warm, reps);
      t.train_b64 = r.ts;
      t.torch_train = r.torch['train']?.[0] ?? null;
      t.min = { train: r.tsMin, ...(r.torch['train'] ? { torch_train: r.torch['train'][1] } : {}) };
    }
    const f = await timePair(fwd, ['forward', 'forward_frozen'], torch, slow ? 1 : warm, slow ? Math.min(REPS, 2) : reps);
    t.forward_b64 = f.ts;
    t.torch_forward = f.torch['forward']?.[0] ?? null;
    t.torch_forward_frozen = f.torch['forward_frozen']?.[0] ?? null;
    t.min = {
      ...t.min,
      forward: f.tsMin,
      ...(f.torch['forward'] ? { torch_forward: f.torch['forward'][1] } : {}),
      ...(f.torch['forward_frozen'] ? { torch_forward_frozen: f.torch['forward_frozen'][1] } : {}),
    };
    if (slow) t.note = 'train step not timed (minutes per step)';
  } catch (e) {
    t.note = (e as Error).message.split('\n')[0];
  } finally {
    opt.dispose();
    model.dispose();
    tf.dispose([x, labels]);
  }
  return t;
}

function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  return { cpu: cpus[0]?.model ?? 'unknown', cores: cpus.length, node: process.version, platform: `${os.platform()} ${os.release()}`, tfjs: tf.version_core };
}

async function main(): Promise<void> {
  const all = [REF, ...(await supernetCases())];
  const wanted = a.cases ? a.cases.split(',') : all.map((c) => c.name);
  const cases = all.filter((c) => wanted.includes(c.name));
  const backends = a.backends!.split(',').filter(Boolean);
  const results: Record<string, Record<string, Timing>> = {};
  const details: Record<string, string> = {};
  let torch: TorchServer | null = null;
  let torchInfo: TorchServer['info'] = { error: 'skipped (--no-torch)' };
  if (!a['no-torch']) {
    const t = new TorchServer();
    if (await t.start()) torch = t;
    torchInfo = t.info;
    if (!torch) console.error(`# torch unavailable: ${torchInfo.error}`);
  }
  let best: string | undefined;
  for (const be of backends) {
    try {
      const info = await initBackend(be);
      details[be] = `${info.name}: ${info.detail}`;
    } catch (e) {
      details[be] = `unavailable: ${(e as Error).message}`;
      console.error(`# ${be}: ${details[be]}`);
      continue;
    }
    // the first backend that starts (the fastest by the order of --backends) is compared with PyTorch
    const primary = best === undefined;
    if (primary) best = be;
    results[be] = {};
    const others = a['other-cases']!.split(',');
    for (const c of primary ? cases : cases.filter((k) => others.includes(k.name))) {
      const t = await runCase(c, be, primary ? torch : null, primary);
      results[be]![c.name] = t;
      if (!a.json) {
        const tt = primary && torch ? `; torch train ${t.torch_train?.toFixed(1) ?? '-'} ms, forward ${t.torch_forward?.toFixed(1) ?? '-'} ms` : '';
        console.error(`# ${be} ${c.name}: train ${t.train_b64?.toFixed(1) ?? '-'} ms, forward ${t.forward_b64?.toFixed(1) ?? '-'} ms${tt}${t.note ? ` (${t.note})` : ''}`);
      }
    }
  }
  torch?.stop();
  const ratio = (p: number | null | undefined, q: number | null | undefined) => (p != null && q != null && q > 0 ? Number((p / q).toFixed(3)) : null);
  type Cell = { tsnas_ms: number | null; torch_ms: number | null; ratio: number | null; torch_frozen_ms?: number | null; ratio_frozen?: number | null };
  const out: Record<string, Record<'train_b64' | 'forward_b64', Cell>> = {};
  for (const c of cases) {
    const ts = best ? results[best]![c.name] : undefined;
    out[c.name] = {
      train_b64: { tsnas_ms: round(ts?.train_b64), torch_ms: round(ts?.torch_train), ratio: ratio(ts?.train_b64, ts?.torch_train) },
      forward_b64: {
        tsnas_ms: round(ts?.forward_b64),
        torch_ms: round(ts?.torch_forward),
        ratio: ratio(ts?.forward_b64, ts?.torch_forward),
        torch_frozen_ms: round(ts?.torch_forward_frozen),
        ratio_frozen: ratio(ts?.forward_b64, ts?.torch_forward_frozen),
      },
    };
  }
  const summary = {
    cases: out,
    backend: best ?? null,
    backend_detail: best ? details[best] : null,
    machine: machine(),
    torch: torchInfo.error ? { error: torchInfo.error } : { version: torchInfo.torch, threads: torchInfo.threads, mkldnn: torchInfo.mkldnn },
    batch: BATCH,
    reps: REPS,
    rounds: ROUNDS,
    case_labels: Object.fromEntries(cases.map((c) => [c.name, c.label])),
    backends: Object.fromEntries(
      Object.entries(results).map(([be, r]) => [
        be,
        Object.fromEntries(
          Object.entries(r).map(([k, t]) => [
            k,
            {
              train_b64: round(t.train_b64),
              forward_b64: round(t.forward_b64),
              ...(t.min ? { min: Object.fromEntries(Object.entries(t.min).map(([q, v]) => [q, round(v)])) } : {}),
              ...(t.note ? { note: t.note } : {}),
            },
          ]),
        ),
      ]),
    ),
  };
  if (a.json) {
    console.log(JSON.stringify(summary));
    return;
  }
  const m = summary.machine;
  console.log(`\nEngine benchmark, batch ${BATCH}, median of ${ROUNDS} rounds × ${REPS} (${m.cpu}, ${m.cores} cores, node ${m.node})`);
  console.log(`torch: ${torchInfo.error ? torchInfo.error : `${torchInfo.torch}, ${torchInfo.threads} threads (blocks alternate with ${best ?? '-'}'s)`}`);
  for (const [be, d] of Object.entries(details)) console.log(`${be}: ${d}`);
  console.log('');
  const cols = ['case', 'step', ...Object.keys(results), 'torch', `ratio (${best ?? '-'}/torch)`, 'torch frozen', 'ratio (frozen)'];
  const rows: string[][] = [];
  for (const c of cases) {
    for (const k of ['train_b64', 'forward_b64'] as const) {
      const tb = best ? results[best]![c.name] : undefined;
      const torchMs = k === 'train_b64' ? tb?.torch_train : tb?.torch_forward;
      const frozen = k === 'forward_b64' ? [fmt(tb?.torch_forward_frozen), out[c.name]![k].ratio_frozen?.toFixed(2) ?? '-'] : ['', ''];
      rows.push([c.name, k, ...Object.keys(results).map((be) => fmt(results[be]![c.name]?.[k])), fmt(torchMs), out[c.name]![k].ratio?.toFixed(2) ?? '-', ...frozen]);
    }
  }
  const widths = cols.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((v, i) => (i < 2 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  console.log(line(cols));
  for (const r of rows) console.log(line(r));
  for (const [be, r] of Object.entries(results)) for (const [k, t] of Object.entries(r)) if (t.note) console.log(`note: ${be} ${k}: ${t.note}`);
}

function round(v: number | null | undefined): number | null {
  return v == null ? null : Number(v.toFixed(1));
}

function fmt(v: number | null | undefined): string {
  return v == null ? '-' : `${v.toFixed(1)} ms`;
}

await main();
