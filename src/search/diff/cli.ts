/**
 * CLI wiring of the differentiable strategies for `tsnas search` (darts, darts2, single-darts,
 * pc-darts, ms-darts): flags, data loading, progress bar (cli-progress, stderr), the α plot and the
 * JSON result `{genotype, epochs, wall_s, bench, ...}`. search.ts merges `diffStrategies()` into its
 * dispatch table and wraps its command with `withDiffFlags`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import cliProgress from 'cli-progress';
import { loadDataset } from '../../data/index.js';
import { defaultNb201Path, loadNb201Table, type Nb201Table } from '../../benchmarks/nb201-table.js';
import { NB201_EDGES, NB201_OPS } from '../../spaces/nb201.js';
import { DARTS_EDGES, DARTS_OPS } from '../../spaces/darts.js';
import { TsnasError } from '../../util/errors.js';
import { intArg } from '../../util/flag-parsers.js';
import { ARCH_OPTIMIZERS, buildConfig, checkPreset, NB201_DERIVATIONS, PRESETS, type ArchOptimizer, type Nb201Derivation } from './presets.js';
import { STRATEGY_NAMES, type StrategyName } from './strategies.js';
import { runSearch, type EpochRecord } from './trainer.js';
import { writeAlphaPlot } from './plot.js';
import { currentRun, stopRequested, withGracefulStop } from '../../cli/tracking.js';

export interface DiffFlags {
  space: 'nb201' | 'darts';
  strategy: string;
  preset?: string;
  epochs?: number;
  channels?: number;
  depth?: number;
  imageSize?: number;
  archLr?: number;
  archOptimizer?: string;
  derive?: string;
  warmupEpochs?: number;
  cropPadding?: number;
  flip?: boolean;
  opAffine?: boolean;
  resume?: boolean;
  /** false: no progress bar (--no-progress). */
  progress?: boolean;
  plot?: string;
  dataset?: string;
  dataDir?: string;
  dataLimit?: number;
  bench?: string;
  seed: number;
  out?: string;
  json?: boolean;
  backend: string;
}

export interface DiffHost {
  startBackend(o: DiffFlags): Promise<unknown>;
  log(msg: string): void;
}

type DiffStrategy = (o: DiffFlags) => Promise<{ result: Record<string, unknown>; human: string }>;

function hasFlag(cmd: Command, long: string): boolean {
  return cmd.options.some((o) => o.long === long);
}

/** Add --preset, --epochs, --resume, --plot unless another strategy family already defined them. */
export function withDiffFlags(cmd: Command): Command {
  if (!hasFlag(cmd, '--preset')) cmd.addOption(new Option('--preset <name>', 'differentiable strategies: cpu-small (default) or paper').choices([...PRESETS]));
  if (!hasFlag(cmd, '--epochs')) {
    cmd.option('--epochs <n>', 'differentiable strategies: search epochs (overrides the preset)', intArg('epochs', 1, 10000));
  }
  cmd.option('--channels <c>', 'differentiable strategies: supernet width C (overrides the preset)', intArg('channels', 1, 512));
  cmd.option('--depth <n>', 'differentiable strategies: NB201 cells per stage N, or DARTS cells (overrides the preset)', intArg('depth', 1, 64));
  cmd.option('--image-size <px>', 'differentiable strategies: square image side; 16 = 2×2 average pool of CIFAR (overrides the preset)', intArg('image-size', 4, 256));
  cmd.option('--arch-lr <lr>', 'differentiable strategies: Adam learning rate of α (overrides the preset)', (v: string) => {
    const x = Number(v);
    if (!Number.isFinite(x) || x <= 0 || x > 10) throw new TsnasError(`--arch-lr must be a number in (0, 10], got '${v}'`);
    return x;
  });
  cmd.addOption(
    new Option('--arch-optimizer <name>', 'differentiable strategies: adam (default: Adam at --arch-lr) or sgd (α steps like w: SGD with its momentum, weight decay and cosine lr)').choices([...ARCH_OPTIMIZERS]),
  );
  cmd.option('--warmup-epochs <n>', 'differentiable strategies: epochs of weight-only training before α moves (default: pc-darts 30 %, ms-darts 12.5 % of the epochs, others 0)', intArg('warmup-epochs', 0, 10000));
  if (!hasFlag(cmd, '--crop-padding')) cmd.option('--crop-padding <px>', 'differentiable strategies: random-crop padding of the search batches (default 4 px at 32 px, scaled with --image-size; 0 = off)', intArg('crop-padding', 0, 64));
  if (!hasFlag(cmd, '--no-flip')) cmd.option('--no-flip', 'differentiable strategies: no random horizontal flip of the search batches');
  cmd.option('--op-affine', 'differentiable strategies, NB201: affine BN (γ, β) in the candidate ops, a diagnostic (NB201\'s search code uses non-affine BN)');
  cmd.addOption(new Option('--derive <rule>', 'differentiable strategies, NB201: argmax over all ops per edge (default) or over all but none').choices([...NB201_DERIVATIONS]));
  if (!hasFlag(cmd, '--resume')) cmd.option('--resume', 'differentiable strategies: continue from the checkpoint in --out');
  if (!hasFlag(cmd, '--plot')) cmd.option('--plot <file>', 'differentiable strategies: write α heatmaps over epochs (SVG)');
  return cmd;
}

function edgeNames(space: 'nb201' | 'darts'): string[][] {
  if (space === 'nb201') return [NB201_EDGES.map(([to, from]) => `node ${to} ← ${from}`)];
  const names = DARTS_EDGES.map(([to, from]) => `node ${to} ← ${from}`);
  return [names, names];
}

/**
 * One epoch as a metrics row of the experiment store (scope 'search'): softmax(α) per cell with
 * the names of its edges and ops, derived genotype, accuracies, NB201 ground truth, collapse counts.
 */
function epochMetrics(r: EpochRecord, space: 'nb201' | 'darts', strategy: string): Record<string, unknown> {
  const { numTensors: _n, ...rest } = r;
  return {
    ...rest,
    strategy,
    space,
    ops: space === 'nb201' ? [...NB201_OPS] : [...DARTS_OPS],
    edges: edgeNames(space),
    cells: space === 'nb201' ? ['cell'] : ['normal', 'reduce'],
  };
}

/** Record epochs in the store of the current run (each row in its own transaction). */
function storeEpochs(recs: readonly EpochRecord[], space: 'nb201' | 'darts', strategy: string): void {
  const run = currentRun();
  if (!run) return;
  for (const r of recs) run.store.atomically(() => run.store.putMetrics(run.id, 'search', r.epoch, epochMetrics(r, space, strategy)));
}

export function diffStrategies(host: DiffHost): Record<StrategyName, DiffStrategy> {
  const run: DiffStrategy = async (o) => {
    const strategy = o.strategy as StrategyName;
    const preset = checkPreset(o.preset ?? 'cpu-small');
    // commander defaults --no-flip's `flip` to true: only an explicit --no-flip overrides the preset
    const cfg = buildConfig(o.space, strategy, preset, o.seed, { epochs: o.epochs, dataLimit: o.dataLimit, channels: o.channels, depth: o.depth, imageSize: o.imageSize, archLr: o.archLr, archOptimizer: o.archOptimizer as ArchOptimizer | undefined, derive: o.derive as Nb201Derivation | undefined, warmupEpochs: o.warmupEpochs, cropPadding: o.cropPadding, flip: o.flip === false ? false : undefined, opAffine: o.opAffine });
    if (o.resume && !o.out) throw new TsnasError('--resume needs --out DIR (where the checkpoint is)');
    let table: Nb201Table | undefined;
    if (o.space === 'nb201') {
      try {
        table = await loadNb201Table(o.bench ?? defaultNb201Path());
      } catch (e) {
        if (o.bench) throw e;
        host.log(`note: no NB201 table (${(e as Error).message.split('\n')[0]}); bench accuracies are omitted`);
      }
    }
    await host.startBackend(o);
    const dataset = o.dataset ?? 'cifar10';
    const data = loadDataset(dataset, {
      dataDir: o.dataDir,
      split: 'train',
      limit: cfg.dataLimit,
      seed: o.seed,
      synthetic: { height: cfg.imageSize },
    });
    if (o.out) mkdirSync(o.out, { recursive: true });
    const bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format: '{strategy} epoch {epoch}/{epochs} |{bar}| {value}/{total} | loss {loss} acc {acc} | epoch ETA {eta_formatted} | run ETA {runEta}',
        hideCursor: false,
        clearOnComplete: false,
      },
      cliProgress.Presets.shades_classic,
    );
    const quiet = o.progress === false || (Boolean(o.json) && !process.stderr.isTTY);
    let stepTimes = 0;
    let stepCount = 0;
    let last = performance.now();
    let barEpoch = -1;
    const onEpoch = (r: EpochRecord) => {
      storeEpochs([r], o.space, strategy);
      if (barEpoch >= 0) bar.stop();
      barEpoch = -1;
      const b = r.bench?.['cifar10_test_acc'];
      host.log(
        `epoch ${r.epoch}/${cfg.epochs}: train ${r.trainLoss.toFixed(3)}/${(100 * r.trainAcc).toFixed(1)}% val ${r.valLoss.toFixed(3)}/${(100 * r.valAcc).toFixed(1)}% ` +
          `${r.seconds.toFixed(1)} s skip=${r.skipCount} free=${r.paramFreeCount}${b !== undefined ? ` c10=${b.toFixed(2)}` : ''} ${r.genotype}`,
      );
    };
    const res = await withGracefulStop(() => runSearch(cfg, data, {
      outDir: o.out,
      resume: o.resume,
      table,
      onStep: quiet
        ? undefined
        : (p) => {
            const now = performance.now();
            stepTimes += now - last;
            stepCount++;
            last = now;
            const left = (cfg.epochs - p.epoch - 1) * p.steps + (p.steps - p.step);
            const runEta = `${Math.round(((stepTimes / stepCount) * left) / 1000)}s`;
            const payload = { strategy, epoch: p.epoch + 1, epochs: cfg.epochs, loss: p.loss.toFixed(3), acc: `${(100 * p.acc).toFixed(1)}%`, runEta };
            if (barEpoch !== p.epoch) {
              if (barEpoch >= 0) bar.stop();
              bar.start(p.steps, p.step, payload);
              barEpoch = p.epoch;
            } else bar.update(p.step, payload);
          },
      onEpoch,
      shouldStop: stopRequested,
    }));
    if (barEpoch >= 0) bar.stop();
    // A resumed run's earlier epochs come from the checkpoint: make sure the store has them too.
    storeEpochs(res.history.slice(0, res.resumedFrom), o.space, strategy);
    const ops = o.space === 'nb201' ? NB201_OPS : DARTS_OPS;
    if (o.plot) writeAlphaPlot(o.plot, res.history, ops, `${strategy} on ${o.space} (${preset}, seed ${o.seed})`, edgeNames(o.space));
    const last_ = res.history[res.history.length - 1];
    const result: Record<string, unknown> = {
      genotype: res.genotype,
      epochs: res.epochs,
      wall_s: Math.round(res.wall_s * 100) / 100,
      bench: res.bench ?? (o.space === 'nb201' ? null : undefined),
      strategy,
      space: o.space,
      preset,
      seed: o.seed,
      dataset,
      skipCount: res.derived.skipCount,
      paramFreeCount: res.derived.paramFreeCount,
      valAcc: last_?.valAcc,
      resumedFrom: res.resumedFrom,
      ...(last_?.altDerive ? { altDerive: last_.altDerive } : {}),
      config: cfg,
    };
    if (o.out) writeFileSync(join(o.out, 'search.json'), JSON.stringify({ ...result, history: res.history }, null, 1));
    const altAcc = last_?.altDerive?.bench?.['cifar10_test_acc'];
    const acc = (res.bench ? `\ncifar10 test acc: ${res.bench['cifar10_test_acc']}` : '') +
      (altAcc !== undefined ? ` (derived ${last_!.altDerive!.derive}: ${last_!.altDerive!.genotype}, ${altAcc})` : '');
    return { result, human: `${res.genotype}${acc}\n${res.epochs} epochs, ${res.wall_s.toFixed(1)} s` };
  };
  return Object.fromEntries(STRATEGY_NAMES.map((s) => [s, run])) as Record<StrategyName, DiffStrategy>;
}
