/** `tsnas score`: training-free (or k-step) proxy scores for one or more architectures. */
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { loadDataset, type Dataset } from '../../data/index.js';
import { listSpaces, parseArch, type AnyArch, type SpaceName } from '../../spaces/index.js';
import { DEFAULT_FAST_TRAIN, dasRuleNames, parseProxyList, type FastTrainOptions, type ScoreContext } from '../../proxies/index.js';
import { scorePoolAsync, type ScoreProgress } from '../../proxies/run.js';
import { autoWorkers, scorePoolWorkers } from '../../proxies/workers.js';
import { tf } from '../../engine/tf.js';
import { TsnasError } from '../../util/errors.js';
import type { ArchScore } from '../../proxies/index.js';
import { emit, intArg, log, numArg, startBackend, withCommon, type CommonOptions } from '../common.js';
import { currentRun, resumeGuard, resumeHint, stopRequested, withGracefulStop } from '../tracking.js';
import { scoringBar } from '../progress.js';

export interface ScoringFlags extends CommonOptions {
  proxies: string;
  batch: number;
  trainSteps: number;
  trainLr: number;
  trainBatch: number;
  dataLimit?: number;
  workers?: WorkerCount;
}

/** Flags shared by score, correlate and search --strategy naswot. */
export function withScoringFlags(cmd: Command, defaultProxies: string): Command {
  return cmd
    .option('--proxies <list>', `comma-separated proxies: naswot, das (or das:kernel=whole|layer|perlayer,lambda=X,active=Y), dis, units, active, params, flops, synflow, snip, grad_norm, jacob_cov, zen`, defaultProxies)
    .option('--batch <n>', 'scoring minibatch size (NASWOT: 128)', intArg('batch', 2, 4096), 128)
    .option('--train-steps <k>', 'fast-training strategy: SGD steps before scoring (0 = training-free)', intArg('train-steps', 0, 100000), DEFAULT_FAST_TRAIN.steps)
    .option('--train-lr <lr>', 'fast-training learning rate (SGD, momentum 0.9)', numArg('train-lr', 0, 10), DEFAULT_FAST_TRAIN.lr)
    .option('--train-batch <n>', 'fast-training batch size', intArg('train-batch', 1, 4096), DEFAULT_FAST_TRAIN.batch)
    .option('--data-limit <n>', 'use only the first n training images', intArg('data-limit', 1))
    .option('--workers <n|auto>', 'scoring processes side by side, each with cores/n threads (auto: one per core on native/cpu/wasm)', workersArg, 'auto' as WorkerCount);
}

/**
 * The flags a stored score depends on, for resumeGuard: data, batch, seed, fast training and the
 * rule behind every DAS proxy (callers add which proxies).
 */
export function scoringSettings(o: ScoringFlags, proxies: readonly string[]): Record<string, unknown> {
  const dasRules = dasRuleNames(proxies);
  return { seed: o.seed, dataset: o.dataset, dataLimit: o.dataLimit, batch: o.batch, trainSteps: o.trainSteps, trainLr: o.trainLr, trainBatch: o.trainBatch, ...(dasRules ? { dasRules } : {}) };
}

export function scoringContext(o: ScoringFlags): ScoreContext {
  const name = o.dataset ?? 'cifar10';
  const data: Dataset = loadDataset(name, { dataDir: o.dataDir, split: 'train', limit: o.dataLimit, seed: o.seed });
  if (o.batch > data.n) throw new TsnasError(`--batch ${o.batch} exceeds the ${data.n} training images of ${name}`);
  const train: FastTrainOptions = { ...DEFAULT_FAST_TRAIN, steps: o.trainSteps, lr: o.trainLr, batch: o.trainBatch };
  return { data, batch: o.batch, seed: o.seed, train };
}

/**
 * Trials of the current run that match the architecture at their index and carry every requested
 * score (reused by a resumed run). Non-finite scores are stored as null and come back as −∞ (a
 * disconnected cell's NASWOT), which ranks last as before.
 */
export function storedScores(archTexts: readonly string[], proxies: readonly string[]): Map<number, ArchScore> {
  const run = currentRun();
  const out = new Map<number, ArchScore>();
  if (!run) return out;
  for (const t of run.store.trials(run.id)) {
    if (t.status !== 'done' || archTexts[t.idx] !== t.arch || !proxies.every((p) => p in t.scores)) continue;
    const scores = Object.fromEntries(proxies.map((p) => [p, t.scores[p] ?? -Infinity]));
    out.set(t.idx, { arch: t.arch, scores, seconds: 0, timing: {} });
  }
  return out;
}

/**
 * Score the architectures not yet in `done` (Ctrl-C stops after the current one), writing one
 * store trial per architecture (index = its position) as it finishes, so `--resume` scores only
 * the rest. `objectives(i)` adds values to the trial; `onScored` sees each fresh result.
 * Returns the stop notice when Ctrl-C stopped it, undefined when every architecture is scored.
 */
export async function scoreRemaining(
  archs: readonly AnyArch[],
  proxies: string[],
  ctx: ScoreContext,
  done: Map<number, ArchScore>,
  o: { progress: boolean; workers?: WorkerCount; objectives?: (i: number) => Record<string, number>; onScored?: (r: ArchScore, i: number) => void },
): Promise<string | undefined> {
  const todo = archs.map((_, i) => i).filter((i) => !done.has(i));
  const onResult = (r: ArchScore, k: number) => {
    const i = todo[k]!;
    done.set(i, r);
    o.onScored?.(r, i);
    const cur = currentRun();
    if (cur) cur.store.atomically(() => cur.store.putTrial(cur.id, { idx: i, arch: r.arch, status: 'done', scores: r.scores, objectives: o.objectives?.(i) ?? {} }));
  };
  const pending = todo.map((i) => archs[i]!);
  const backend = tf.getBackend();
  const workers = o.workers === undefined || o.workers === 'auto' ? autoWorkers(backend, pending.length) : o.workers;
  const bar = o.progress ? scoringBar(workers > 1 ? ` | ${Math.min(workers, pending.length)} workers` : '') : undefined;
  const onProgress = bar ? (e: ScoreProgress) => bar.update(e) : undefined;
  const { stopped } = await withGracefulStop<{ stopped: boolean }>(() =>
    workers > 1
      ? scorePoolWorkers(pending, proxies, ctx, { workers, backend, onProgress, onResult, shouldStop: stopRequested })
      : scorePoolAsync(pending, proxies, ctx, { onProgress, onResult, shouldStop: stopRequested }),
  ).finally(() => bar?.stop());
  if (!stopped) return undefined;
  const line = `stopped after ${done.size} of ${archs.length} architectures; continue with${resumeHint()}`;
  log(line);
  return line;
}

/** `--workers`: scoring processes, or `auto` (one per core on the CPU backends). */
export type WorkerCount = number | 'auto';

function workersArg(v: string): WorkerCount {
  if (v === 'auto') return 'auto';
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new TsnasError(`--workers must be 'auto' or an integer in [1, 256], got '${v}'`);
  return n;
}

function readArchFile(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new TsnasError(`cannot read --arch-file ${file}: ${(e as Error).message}`);
  }
  return text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
}

export function scoreCommand(): Command {
  return withScoringFlags(
    withCommon(
      new Command('score')
        .description('Score architectures with training-free proxies (NASWOT, DAS, zero-cost suite), optionally after k SGD steps')
        .addOption(new Option('--space <space>', 'search space').choices(listSpaces()).makeOptionMandatory())
        .option('--arch <str>', 'architecture (NB201 string or DARTS Genotype(...))')
        .option('--arch-file <file>', 'file with one architecture per line')
        .option('--resume', 'continue the run named by --run-id (or `tsnas runs resume`), scoring only architectures it has no trial for'),
    ),
    'naswot',
  ).action(async (o: ScoringFlags & { space: SpaceName; arch?: string; archFile?: string; resume?: boolean }) => {
    const texts = [...(o.arch ? [o.arch] : []), ...(o.archFile ? readArchFile(o.archFile) : [])];
    if (!texts.length) throw new TsnasError('give --arch STR or --arch-file FILE');
    const archs: AnyArch[] = texts.map((t) => parseArch(o.space, t));
    const proxies = parseProxyList(o.proxies);
    // Each architecture is a trial of the run (index = its position); --resume scores only the rest.
    const run = resumeGuard(o, { space: o.space, proxies, ...scoringSettings(o, proxies) });
    const done = run?.resumed ? storedScores(archs.map((a) => a.text), proxies) : new Map<number, ArchScore>();
    if (run?.resumed && !o.json) log(`resuming: ${done.size} of ${archs.length} architectures already scored`);
    await startBackend(o);
    const ctx = scoringContext(o);
    const t0 = performance.now();
    const line = await scoreRemaining(archs, proxies, ctx, done, { progress: archs.length > 1, workers: o.workers });
    if (line) {
      emit(o, { stopped: true, complete: false, scored: done.size, total: archs.length, proxies, seed: o.seed, run: currentRun()?.id ?? null }, () => line);
      return;
    }
    const res = archs.map((_, i) => done.get(i)!);
    const wall = (performance.now() - t0) / 1000;
    if (!o.json) log(`scored ${archs.length} architecture(s) in ${wall.toFixed(1)} s`);
    emit(
      o,
      { results: res.map((r) => ({ arch: r.arch, scores: r.scores, seconds: r.seconds })), proxies, batch: o.batch, seed: o.seed, trainSteps: o.trainSteps, wallSeconds: wall },
      () => res.map((r) => `${r.arch}\n${Object.entries(r.scores).map(([k, v]) => `  ${k}: ${v}`).join('\n')}`).join('\n'),
    );
  });
}
