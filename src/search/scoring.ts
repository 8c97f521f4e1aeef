/**
 * Options and context of training-free scoring shared by the strategies that score (naswot, and
 * the `das` objective of the multi-objective strategies) and by `tsnas score|correlate`.
 */
import { z } from 'zod';
import { downsample, folderOptionsFrom, loadDataset, type Dataset } from '../data/index.js';
import { tf } from '../engine/tf.js';
import { DEFAULT_FAST_TRAIN, dasRuleNames, type ArchScore, type FastTrainOptions, type ScoreContext } from '../proxies/index.js';
import { scorePoolAsync, type ScoreProgress } from '../proxies/run.js';
import { autoWorkers, scorePoolWorkers } from '../proxies/workers.js';
import { createHash } from 'node:crypto';
import type { TrialQueue } from '../queue/coordinator.js';
import type { DataSettings } from '../queue/tasks.js';
import type { AnyArch } from '../spaces/index.js';
import { newRunId, type Run } from '../store/run.js';
import { TsnasError } from '../util/errors.js';

/** `--workers`: scoring processes, or `auto` (one per core on the CPU backends). */
export type WorkerCount = number | 'auto';

/** The scoring options (batch, fast training, data limit, worker processes). */
export const scoringOptions = z.object({
  batch: z.number().int().min(2).max(4096).default(128).describe('scoring minibatch size (NASWOT: 128)'),
  trainSteps: z.number().int().min(0).max(100000).default(DEFAULT_FAST_TRAIN.steps).describe('fast-training strategy: SGD steps before scoring (0 = training-free)'),
  trainLr: z.number().min(0).max(10).default(DEFAULT_FAST_TRAIN.lr).describe('fast-training learning rate (SGD, momentum 0.9)'),
  trainBatch: z.number().int().min(1).max(4096).default(DEFAULT_FAST_TRAIN.batch).describe('fast-training batch size'),
  dataLimit: z.number().int().min(1).optional().describe('use only the first n training images'),
  imageSize: z.number().int().min(1).max(4096).optional().describe('image side: folder dataset: resize to n×n (default 32); others: average-pool down to n×n'),
  workers: z
    .union([z.literal('auto'), z.number().int().min(1).max(256)])
    .default('auto')
    .describe('scoring processes side by side, each with cores/n threads (auto: one per core on native/cpu/wasm)'),
});

/** What scoring reads from a command's or strategy's options. */
export interface ScoringSettingsInput {
  seed: number;
  dataset?: string;
  dataDir?: string;
  dataLimit?: number;
  imageSize?: number;
  testDir?: string;
  valSplit?: number;
  color?: string;
  classNames?: string;
  batch: number;
  trainSteps: number;
  trainLr: number;
  trainBatch: number;
}

/**
 * The settings a stored score depends on, for a resumed run's check: data, batch, seed, fast
 * training and the rule behind every DAS proxy (callers add which proxies).
 */
export function scoringSettings(o: ScoringSettingsInput, proxies: readonly string[]): Record<string, unknown> {
  const dasRules = dasRuleNames(proxies);
  return {
    seed: o.seed,
    dataset: o.dataset,
    dataLimit: o.dataLimit,
    batch: o.batch,
    trainSteps: o.trainSteps,
    trainLr: o.trainLr,
    trainBatch: o.trainBatch,
    ...folderSettings(o),
    ...(dasRules ? { dasRules } : {}),
  };
}

/** The data settings beyond the dataset's name that change the images scored with (only those set, so older runs still match). */
function folderSettings(o: ScoringSettingsInput): Record<string, unknown> {
  const keys = ['imageSize', 'valSplit', 'color', 'classNames'] as const;
  return Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
}

/** The settings a worker needs to load the same images and score the same way (the dataset by name: each worker has its own data directory). */
export function dataSettings(o: ScoringSettingsInput): DataSettings {
  const keep = <K extends keyof ScoringSettingsInput>(k: K) => (o[k] !== undefined ? { [k]: o[k] } : {});
  return {
    seed: o.seed,
    ...(o.dataset !== undefined ? { dataset: o.dataset as DataSettings['dataset'] } : {}),
    ...keep('dataLimit'),
    ...keep('imageSize'),
    ...keep('valSplit'),
    ...(o.color !== undefined ? { color: o.color as DataSettings['color'] } : {}),
    ...keep('classNames'),
    batch: o.batch,
    trainSteps: o.trainSteps,
    trainLr: o.trainLr,
    trainBatch: o.trainBatch,
  };
}

/** A trial's key in the queue: its index and a hash of its architecture (a changed architecture never takes another's result). */
export function trialKey(prefix: string, idx: number, archText: string): string {
  return `${prefix}-${idx}-${createHash('sha256').update(archText).digest('hex').slice(0, 16)}`;
}

/** The training split and settings the proxies score with. */
export function scoringContext(o: ScoringSettingsInput): ScoreContext {
  const name = o.dataset ?? 'cifar10';
  let data: Dataset = loadDataset(name, { dataDir: o.dataDir, split: 'train', limit: o.dataLimit, seed: o.seed, ...(name === 'folder' ? { folder: folderOptionsFrom(o) } : {}) });
  if (o.imageSize !== undefined && o.imageSize !== data.height) {
    const f = data.height / o.imageSize;
    if (!Number.isInteger(f)) throw new TsnasError(`--image-size ${o.imageSize} does not divide the ${data.height}-pixel images of ${name}`);
    data = downsample(data, f);
  }
  if (o.batch > data.n) throw new TsnasError(`--batch ${o.batch} exceeds the ${data.n} training images of ${name}`);
  const train: FastTrainOptions = { ...DEFAULT_FAST_TRAIN, steps: o.trainSteps, lr: o.trainLr, batch: o.trainBatch };
  return { data, batch: o.batch, seed: o.seed, train };
}

/**
 * Trials of `run` that match the architecture at their index and carry every requested score
 * (reused by a resumed run). Non-finite scores are stored as null and come back as −∞ (a
 * disconnected cell's NASWOT), which ranks last as before.
 */
export function storedScores(run: Run | undefined, archTexts: readonly string[], proxies: readonly string[]): Map<number, ArchScore> {
  const out = new Map<number, ArchScore>();
  if (!run) return out;
  for (const t of run.trials()) {
    if (t.status !== 'done' || archTexts[t.idx] !== t.arch || !proxies.every((p) => p in t.scores)) continue;
    const scores = Object.fromEntries(proxies.map((p) => [p, t.scores[p] ?? -Infinity]));
    out.set(t.idx, { arch: t.arch, scores, seconds: 0, timing: {} });
  }
  return out;
}

/** How scoreRemaining runs: the run to write trials to, the stop signal, worker processes, hooks. */
export interface ScoreRemainingOptions {
  run?: Run;
  signal?: AbortSignal;
  workers?: WorkerCount;
  /** Progress after each architecture (this invocation's only: a resumed run's earlier ones are not counted). */
  onProgress?: (e: ScoreProgress) => void;
  /** Values stored beside the scores in architecture i's trial (e.g. its table accuracy). */
  objectives?: (i: number) => Record<string, number>;
  /** Each fresh result, as it lands. */
  onScored?: (r: ArchScore, i: number) => void;
  /** Score on `tsnas worker` processes through this queue instead of here (the settings go with each job). */
  remote?: { queue: TrialQueue; settings: DataSettings };
}

/**
 * Score the architectures not yet in `done` (an aborted signal stops after the current one),
 * writing one trial per architecture (index = its position) as it finishes, so a resumed run
 * scores only the rest. Returns whether it stopped early.
 */
export async function scoreRemaining(
  archs: readonly AnyArch[],
  proxies: string[],
  ctx: ScoreContext | undefined,
  done: Map<number, ArchScore>,
  o: ScoreRemainingOptions,
): Promise<{ stopped: boolean; workers: number }> {
  const todo = archs.map((_, i) => i).filter((i) => !done.has(i));
  const land = (r: ArchScore, i: number) => {
    done.set(i, r);
    o.onScored?.(r, i);
    o.run?.saveProgress([{ idx: i, arch: r.arch, status: 'done', scores: r.scores, objectives: o.objectives?.(i) ?? {} }]);
  };
  if (o.remote) return { stopped: await scoreOnQueue(archs, todo, proxies, o.remote, land, o), workers: 0 };
  if (!ctx) throw new Error('scoreRemaining: no scoring context (and no queue)');
  const onResult = (r: ArchScore, k: number) => land(r, todo[k]!);
  const pending = todo.map((i) => archs[i]!);
  const backend = tf.getBackend();
  const workers = o.workers === undefined || o.workers === 'auto' ? autoWorkers(backend, pending.length) : o.workers;
  const shouldStop = () => Boolean(o.signal?.aborted);
  const { stopped } =
    workers > 1
      ? await scorePoolWorkers(pending, proxies, ctx, { workers, backend, onProgress: o.onProgress, onResult, shouldStop })
      : await scorePoolAsync(pending, proxies, ctx, { onProgress: o.onProgress, onResult, shouldStop });
  return { stopped, workers };
}

/** The remote half of scoreRemaining: one `score` job per architecture, each result stored as it lands. */
async function scoreOnQueue(
  archs: readonly AnyArch[],
  todo: readonly number[],
  proxies: string[],
  remote: NonNullable<ScoreRemainingOptions['remote']>,
  land: (r: ArchScore, i: number) => void,
  o: ScoreRemainingOptions,
): Promise<boolean> {
  const index = new Map<string, number>();
  const trials = todo.map((i) => {
    const a = archs[i]!;
    const key = trialKey('score', i, a.text);
    index.set(key, i);
    return { key, kind: 'score' as const, payload: { space: a.space, arch: a.text, proxies, settings: remote.settings } };
  });
  const { stopped } = await remote.queue.runBatch(o.run?.id ?? newRunId('score'), trials, {
    signal: o.signal,
    onResult: (t, r) => land({ arch: r.arch, scores: r.scores, seconds: r.seconds, timing: {} }, index.get(t.key)!),
    onProgress: o.onProgress ? (d, total) => o.onProgress!({ done: d, total }) : undefined,
  });
  return stopped;
}

/** The number of worker processes scoreRemaining would use for `n` architectures. */
export function workerCount(workers: WorkerCount | undefined, n: number): number {
  return workers === undefined || workers === 'auto' ? autoWorkers(tf.getBackend(), n) : workers;
}
