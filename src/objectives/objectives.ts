/**
 * Objectives: named, pluggable, non-differentiable functions of an architecture, each with a
 * direction and an optional constraint, built from `ObjectiveSpec`s (see spec.ts for the syntax).
 *
 * Sources:
 *  - accuracy (table): a column of the space's benchmark table (src/benchmarks/registry.ts; the
 *    NB201 table for --space nb201), percent, `cifar10_test_acc` by default.
 *  - accuracy:supernet / accuracy:trained: hooks, `ObjectiveContext.supernetAccuracy` /
 *    `trainedAccuracy`; TND-NAS installs the supernet one itself, the CLI's nsga2/random the
 *    trained one (trained.ts: a short training per architecture, validation on held-out train images).
 *  - params / flops: of the evaluation network (`buildEvalNetwork`, the benchmark's own size unless
 *    `netOverrides`), in millions, as NAS-Bench-201 reports them. Cached per architecture.
 *  - latency:DEVICE: a benchmark-table latency column (ms): NB201's 27 columns or aliases.
 *  - latency:measured[:BACKEND]: measured here on the TF.js backend (ms): the median of `reps`
 *    timed inferences (forward + read-back) after `warmup` untimed ones, at batch `batch`
 *    (default 1, 2 warm-ups, 5 reps), on the evaluation network with seeded random weights.
 *  - latency:native / latency:wasm / latency:browser and size: deployment.ts (the same protocol
 *    on a backend switched to, in headless Chromium; the exported model's download bytes).
 *  - das / naswot: training-free scores from src/proxies (another module's API: scoreArch),
 *    maximised as accuracy surrogates. Needs `scoreContext` (a dataset batch).
 * Every objective caches its value per architecture string.
 */
import { tf, type Tensor4D } from '../engine/tf.js';
import { benchmarksFor, listBenchmarks, getBenchmark, type BenchmarkTable } from '../benchmarks/index.js';
import { buildEvalNetwork, getSpace, type AnyArch, type EvalNetOverrides, type SpaceName } from '../spaces/index.js';
import type { Network } from '../nn/network.js';
import { parseDasRule, scoreArch, type ScoreContext } from '../proxies/index.js';
import { medianTimeMs } from '../util/timing.js';
import { Rng } from '../util/rng.js';
import { userObjective } from './registry.js';
import { TsnasError } from '../util/errors.js';
import type { Direction } from './pareto.js';
import { violation, type ObjectiveSpec } from './spec.js';
import { BrowserLatencyObjective, exportedModelBytes, onBackend } from './deployment.js';
import type { BrowserLatencyOptions } from '../deploy/browser-latency.js';

export interface LatencyOptions {
  /** Images per timed inference (default 1). */
  batch?: number;
  /** Untimed inferences first (default 2). */
  warmup?: number;
  /** Timed inferences; the median is reported (default 5). */
  reps?: number;
}

export interface ObjectiveContext {
  space: SpaceName;
  /** The space's benchmark table (e.g. the NB201 table), for table accuracy and table latency. */
  table?: BenchmarkTable;
  /** Hook for `accuracy:supernet` (e.g. one-hot subnet accuracy on a validation batch, percent). */
  supernetAccuracy?: (a: AnyArch) => number;
  /** Hook for `accuracy:trained` (train the architecture, return its accuracy, percent). */
  trainedAccuracy?: (a: AnyArch) => number;
  /** For das / naswot: the scoring context (data + batch + seed), or a lazy maker of it. */
  scoreContext?: ScoreContext | (() => ScoreContext);
  latency?: LatencyOptions;
  /** Size of the network built for params / FLOPs / measured latency / size. */
  netOverrides?: EvalNetOverrides;
  /** latency:browser: the Chromium binary (default $TSNAS_CHROMIUM or /usr/bin/chromium). */
  browser?: Pick<BrowserLatencyOptions, 'executablePath'>;
}

export interface ArchObjective {
  readonly spec: ObjectiveSpec;
  readonly key: string;
  readonly direction: Direction;
  /** The objective's value for an architecture (cached). */
  evaluate(a: AnyArch): number;
  /**
   * Constraint violation of a value (0 = feasible), relative to the bound (|bound| when it is not
   * 0), so that violations of constraints in different units (bytes, ms) add up fairly.
   */
  violation(v: number): number;
  /** Release what the objective holds open (latency:browser: the browser). */
  close?(): void;
}

/** Close every objective that holds something open (a browser); safe to call twice. */
export function closeObjectives(objs: readonly ArchObjective[]): void {
  for (const o of objs) o.close?.();
}

function cached(spec: ObjectiveSpec, f: (a: AnyArch) => number, close?: () => void): ArchObjective {
  const cache = new Map<string, number>();
  return {
    spec,
    key: spec.key,
    direction: spec.direction,
    evaluate(a: AnyArch): number {
      let v = cache.get(a.text);
      if (v === undefined) {
        v = f(a);
        cache.set(a.text, v);
      }
      return v;
    },
    violation: (v: number) => {
      const raw = violation(spec, v);
      const bound = Math.abs(spec.constraint?.value ?? 0);
      return raw === 0 || bound === 0 ? raw : raw / bound;
    },
    ...(close ? { close } : {}),
  };
}

const sizeCache = new Map<string, { params: number; flops: number }>();

/** Parameters and FLOPs per image of an architecture's evaluation network, both in millions (cached). */
export function netSize(space: SpaceName, a: AnyArch, o: EvalNetOverrides = {}): { params: number; flops: number } {
  const key = `${space}|${JSON.stringify(o)}|${a.text}`;
  let s = sizeCache.get(key);
  if (!s) {
    const net = buildEvalNetwork(space, a, new Rng(0), o);
    try {
      s = { params: net.paramCount() / 1e6, flops: net.flopsPerImage() / 1e6 };
    } finally {
      net.dispose();
    }
    sizeCache.set(key, s);
  }
  return s;
}

const paramsCache = new Map<string, number>();

/**
 * Parameters of an architecture's evaluation network, in millions (cached): the space's own
 * counter where it has one (DARTS: without building the network), else as netSize counts them.
 */
export function netParams(space: SpaceName, a: AnyArch, o: EvalNetOverrides = {}): number {
  const count = getSpace(space).paramCount;
  if (!count) return netSize(space, a, o).params;
  const key = `${space}|${JSON.stringify(o)}|${a.text}`;
  let p = paramsCache.get(key);
  if (p === undefined) {
    p = count(a.arch, o) / 1e6;
    paramsCache.set(key, p);
  }
  return p;
}

/**
 * Inference latency of a network on the current TF.js backend, in ms: median of `reps` timed
 * forward passes (output read back, so asynchronous backends are included) after `warmup` ones.
 */
export function measureLatency(net: Network, o: LatencyOptions = {}): number {
  const batch = o.batch ?? 1;
  const warmup = o.warmup ?? 2;
  const reps = o.reps ?? 5;
  if (!(Number.isInteger(batch) && batch >= 1)) throw new TsnasError(`latency batch must be a positive integer, got ${batch}`);
  if (!(Number.isInteger(reps) && reps >= 1)) throw new TsnasError(`latency reps must be a positive integer, got ${reps}`);
  const [h, w, c] = net.inputShape;
  const x = tf.zeros([batch, h, w, c]) as Tensor4D;
  const run = () => tf.tidy(() => net.forward(x, { training: false }).dataSync());
  try {
    return medianTimeMs(run, reps, warmup);
  } finally {
    x.dispose();
  }
}

/** Backends measured on besides the session's (`latency:native`, `latency:wasm`): start them too. */
export function measuredBackends(specs: readonly ObjectiveSpec[]): string[] {
  return [...new Set(specs.filter((s) => s.source === 'backend').map((s) => s.arg!))];
}

/** The TF.js backend an objective list needs (`latency:measured:B`), if any. */
export function requiredBackend(specs: readonly ObjectiveSpec[]): string | undefined {
  const m = specs.find((s) => s.source === 'measured');
  return m && m.arg !== 'auto' ? m.arg : undefined;
}

/** Whether any objective needs a TF.js backend (network building or scoring). */
export function needsBackend(specs: readonly ObjectiveSpec[]): boolean {
  return specs.some(
    (s) =>
      s.kind === 'params' ||
      s.kind === 'flops' ||
      s.kind === 'size' ||
      s.source === 'measured' ||
      s.source === 'backend' ||
      s.source === 'browser' ||
      s.kind === 'das' ||
      s.kind === 'naswot' ||
      s.source === 'supernet' ||
      s.source === 'trained',
  );
}

/** Build the evaluators; every missing source (no table, no hook, no data) is a clear error now. */
export function buildObjectives(specs: readonly ObjectiveSpec[], ctx: ObjectiveContext): ArchObjective[] {
  return specs.map((spec) => buildObjective(spec, ctx));
}

function needTable(spec: ObjectiveSpec, ctx: ObjectiveContext): BenchmarkTable {
  const sources = benchmarksFor(ctx.space);
  if (sources.length === 0 || (ctx.table && ctx.table.space !== ctx.space)) {
    const covers = listBenchmarks()
      .map((n) => `${getBenchmark(n).title} covers only --space ${getBenchmark(n).space}`)
      .join('; ');
    throw new TsnasError(`objective '${spec.raw}' reads a benchmark table, and none is for --space ${ctx.space} (${covers}); use params, flops, latency:measured, das or a trained accuracy`);
  }
  if (!ctx.table) throw new TsnasError(`objective '${spec.raw}' needs the ${sources.map((s) => s.title).join(' or ')} table (--bench FILE)`);
  return ctx.table;
}

export function buildObjective(spec: ObjectiveSpec, ctx: ObjectiveContext): ArchObjective {
  switch (spec.kind) {
    case 'user': {
      const def = userObjective(spec.arg!);
      if (!def) throw new TsnasError(`objective '${spec.raw}' is no longer registered`);
      return cached(spec, (a) => def.evaluate(a));
    }
    case 'accuracy': {
      if (spec.source === 'supernet' || spec.source === 'trained') {
        const hook = spec.source === 'supernet' ? ctx.supernetAccuracy : ctx.trainedAccuracy;
        if (!hook) {
          throw new TsnasError(
            spec.source === 'supernet'
              ? `objective '${spec.raw}': supernet accuracy is available in --strategy tnd-nas (which trains the supernet), not here`
              : `objective '${spec.raw}': trained accuracy needs a training hook (ObjectiveContext.trainedAccuracy; the CLI's search --strategy nsga2|random installs one)`,
          );
        }
        return cached(spec, hook);
      }
      const table = needTable(spec, ctx);
      const col = table.resolveColumn(spec.arg!);
      if (!col.endsWith('_acc')) throw new TsnasError(`objective '${spec.raw}': column '${col}' is not an accuracy column`);
      return cached(spec, (a) => table.value(a.text, col));
    }
    case 'latency': {
      if (spec.source === 'measured') {
        const o = ctx.latency ?? {};
        return cached(spec, (a) => {
          const net = buildEvalNetwork(ctx.space, a, new Rng(0), ctx.netOverrides ?? {});
          try {
            return measureLatency(net, o);
          } finally {
            net.dispose();
          }
        });
      }
      if (spec.source === 'backend') {
        const o = ctx.latency ?? {};
        return cached(spec, (a) => onBackend(spec.arg!, ctx.space, a, ctx.netOverrides ?? {}, (net) => measureLatency(net, o)));
      }
      if (spec.source === 'browser') {
        const b = new BrowserLatencyObjective(ctx.space, ctx.netOverrides ?? {}, { ...ctx.browser, ...ctx.latency });
        return cached(
          spec,
          (a) => b.evaluate(a),
          () => b.close(),
        );
      }
      const table = needTable(spec, ctx);
      const col = table.resolveColumn(spec.arg!);
      if (!col.startsWith('lat_'))
        throw new TsnasError(
          `objective '${spec.raw}': column '${col}' is not a latency column (${table.columns.filter((c) => c.startsWith('lat_')).length} are: e.g. pixel3, raspi4, gold_6226, 1080ti_1)`,
        );
      return cached(spec, (a) => table.value(a.text, col));
    }
    case 'params':
      return cached(spec, (a) => netParams(ctx.space, a, ctx.netOverrides));
    case 'flops':
      return cached(spec, (a) => netSize(ctx.space, a, ctx.netOverrides).flops);
    case 'size':
      return cached(spec, (a) => exportedModelBytes(ctx.space, a, ctx.netOverrides));
    case 'das':
    case 'naswot': {
      const proxy = spec.kind === 'das' ? spec.arg! : 'naswot';
      if (spec.kind === 'das') parseDasRule(proxy);
      if (!ctx.scoreContext) throw new TsnasError(`objective '${spec.raw}' needs a dataset to score on (--dataset, --data-dir)`);
      let sc: ScoreContext | undefined;
      return cached(spec, (a) => {
        sc ??= typeof ctx.scoreContext === 'function' ? ctx.scoreContext() : ctx.scoreContext!;
        const r = scoreArch(a, [proxy], sc);
        const v = r.scores[proxy];
        if (v === undefined) throw new Error(`proxy ${proxy} returned no score`);
        return v;
      });
    }
  }
}

/** Values of all objectives for one architecture, keyed by objective key. */
export function objectiveRecord(objs: readonly ArchObjective[], values: readonly number[]): Record<string, number> {
  const out: Record<string, number> = {};
  objs.forEach((o, i) => (out[o.key] = values[i]!));
  return out;
}
