/**
 * What the multi-objective strategies (nsga2, evolution, random, tnd-nas) share: their options, the
 * objectives and evaluator set up from them, trials kept in the run, resume from the run's
 * checkpoint, and the result.
 *
 * Resume: every evaluated architecture is a trial in the run (written at least once a second
 * and with every checkpoint), and the algorithm's state is checkpointed in the same transaction
 * as the trials it covers: NSGA-II after the initial population and every generation, evolution after the
 * initial population and every popSize cycles, table-mode
 * TND-NAS after every α step. A resumed run rebuilds the evaluator from the trials, takes the
 * values of architectures evaluated after the checkpoint from the store instead of evaluating
 * them again, and continues from the checkpoint: the result equals the uninterrupted run's, and
 * each architecture is one trial. Random search needs no checkpoint (its state is the seed): it
 * replays with the stored values.
 *
 * Stop (ctx.signal): after the current evaluation (supernet TND-NAS: weight step) the evaluations
 * so far are written as trials (the supernet mode also checkpoints inside the epoch) and a
 * stopped result says how to continue.
 */
import { z } from 'zod';
import { deploymentInput, folderOptionsFrom } from '../data/index.js';
import type { TndPolicyFlags } from './tnd-nas/policy-options.js';
import { defaultNb201Path, loadNb201Table, type Nb201Table } from '../benchmarks/nb201-table.js';
import {
  applyConstraints,
  buildObjective,
  buildObjectives,
  CONSTRAINTS_HELP,
  measuredBackends,
  needsBackend,
  OBJECTIVES_HELP,
  parseConstraints,
  parseObjectives,
  requiredBackend,
  trueParetoFront,
  type ObjectiveContext,
} from '../objectives/index.js';
import type { ArchObjective } from '../objectives/objectives.js';
import { violation } from '../objectives/spec.js';
import { TRAINED_PRESETS, trainedAccuracyHook } from '../objectives/trained.js';
import { dasRuleNames } from '../proxies/index.js';
import { parseArch, type AnyArch } from '../spaces/index.js';
import type { Run } from '../store/run.js';
import type { TrialRecord } from '../store/store.js';
import { TsnasError } from '../util/errors.js';
import { parseDuration } from '../util/flag-parsers.js';
import { MooEvaluator, buildResult, writeParetoPlot, type MooResult } from './moo-common.js';
import type { SearchResult } from './result.js';
import { TrialQueue } from '../queue/coordinator.js';
import { queueOptions } from '../queue/options.js';
import { REMOTE_OBJECTIVE_SOURCES, type TaskPayload } from '../queue/tasks.js';
import type { ObjectiveSpec } from '../objectives/spec.js';
import { dataSettings, scoringContext, scoringOptions, trialKey } from './scoring.js';
import { drainAsync, type Steps } from './steps.js';
import { baseSearchOptions, type SearchContext } from './strategy.js';

/** Options of every multi-objective strategy. */
export const mooOptions = baseSearchOptions.extend(scoringOptions.shape).extend({
  objectives: z.string().optional().describe(OBJECTIVES_HELP),
  constraints: z.string().optional().describe(CONSTRAINTS_HELP),
  budget: z.number().int().min(1).max(10_000_000).default(200).describe('distinct architectures to evaluate'),
  timeLimit: z
    .string()
    .optional()
    .describe('wall-clock limit over all sessions of the run, e.g. 90s, 20m, 1.5h (plain number: seconds): no new generation or batch starts after it (the budget still applies)'),
  preset: z.enum(['cpu-small', 'paper', 'tiny']).optional().describe('accuracy:trained: per-architecture training preset (default cpu-small)'),
  latencyBatch: z.number().int().min(1).max(4096).optional().describe('latency:measured: batch size of the timed inferences (default 1)'),
  latencyReps: z.number().int().min(1).max(1000).optional().describe('measured latencies: timed inferences, median reported (default 5)'),
  latencyWarmup: z.number().int().min(0).max(1000).optional().describe('measured latencies: untimed inferences first (default 2)'),
  browser: z.string().optional().describe('latency:browser: the Chromium binary (default $TSNAS_CHROMIUM or /usr/bin/chromium)'),
  plot: z.string().optional().describe('write the Pareto plot of the first two objectives (SVG)'),
});

/** The options of the multi-objective strategies whose evaluations can run on queue workers (nsga2, random). */
export const queuedMooOptions = mooOptions.extend(queueOptions.shape);

export type MooOptions = z.output<typeof mooOptions> & {
  redis?: string;
  strategy: string;
  popSize?: number;
  sampleSize?: number;
  roundSize?: number;
  weights?: string;
  tndSamples?: number;
  tableAccuracy?: boolean;
  partialChannels?: number;
  rescoreImages?: number;
  fixedDepth?: boolean;
} & Partial<TndPolicyFlags>;

/**
 * An evaluator that records its evaluations as trials of the run: pending ones are written at
 * least once a second (so an expensive evaluation is not lost to a kill) and with every
 * checkpoint, in the checkpoint's transaction.
 */
class StoredEvaluator extends MooEvaluator {
  private flushed = 0;
  private lastFlush = performance.now();

  constructor(
    objectives: ArchObjective[],
    budget: number,
    private readonly ctx: SearchContext,
    constraints: ArchObjective[] = [],
  ) {
    super(objectives, budget, constraints);
  }

  override evaluate(a: AnyArch) {
    const n = this.history.length;
    const r = super.evaluate(a);
    if (this.history.length > n && performance.now() - this.lastFlush >= 1000) this.save();
    return r;
  }

  /** Write the trials not yet written, with `checkpoint` when given, as one transaction. */
  save(checkpoint?: { strategy: string; state: unknown }): void {
    const recs: TrialRecord[] = this.history.slice(this.flushed).map((r) => ({
      idx: r.at - 1,
      arch: r.arch.text,
      status: 'done',
      scores: { violation: r.violation },
      objectives: this.record(r),
    }));
    this.ctx.run?.saveProgress(recs, checkpoint, this.elapsedS);
    this.flushed = this.history.length;
    this.lastFlush = performance.now();
  }

  /** Mark everything evaluated so far as already in the store. */
  markSaved(): void {
    this.flushed = this.history.length;
  }
}

/** The options a multi-objective run's result depends on: a resume with others is refused. */
function mooSettings(o: MooOptions, objectives: string): Record<string, unknown> {
  const specs = parseObjectives(objectives);
  return {
    strategy: o.strategy,
    space: o.space,
    seed: o.seed,
    objectives,
    constraints: o.constraints,
    budget: o.budget,
    timeLimitS: o.timeLimit !== undefined ? parseDuration(o.timeLimit, 'time-limit') : undefined,
    popSize: o.strategy === 'nsga2' || o.strategy === 'evolution' ? (o.popSize ?? 20) : undefined,
    sampleSize: o.strategy === 'evolution' ? o.sampleSize : undefined,
    weights: o.strategy === 'evolution' ? o.weights : undefined,
    // absent for a round of 1, so runs stored before the option existed still resume
    roundSize: o.strategy === 'evolution' && (o.roundSize ?? 1) > 1 ? o.roundSize : undefined,
    tndSamples: o.strategy === 'tnd-nas' ? (o.tndSamples ?? 10) : undefined,
    tableAccuracy: o.strategy === 'tnd-nas' ? Boolean(o.tableAccuracy) : undefined,
    preset: (o.strategy === 'tnd-nas' && !o.tableAccuracy) || specs.some((s) => s.source === 'trained') ? (o.preset ?? 'cpu-small') : undefined,
    // absent for K = 1, so runs stored before the option existed still resume
    partialChannels: o.strategy === 'tnd-nas' && (o.partialChannels ?? 1) > 1 ? o.partialChannels : undefined,
    rescoreImages: o.strategy === 'tnd-nas' ? o.rescoreImages : undefined,
    fixedDepth: o.strategy === 'tnd-nas' && o.fixedDepth ? true : undefined,
    policyLr: o.strategy === 'tnd-nas' ? o.policyLr : undefined,
    reward: o.strategy === 'tnd-nas' ? o.reward : undefined,
    rewardTargets: o.strategy === 'tnd-nas' ? o.rewardTargets : undefined,
    keep: o.strategy === 'tnd-nas' ? o.keep : undefined,
    dataset: o.dataset,
    dataLimit: o.dataLimit,
    batch: o.batch,
    trainSteps: o.trainSteps,
    latencyBatch: o.latencyBatch,
    latencyReps: o.latencyReps,
    latencyWarmup: o.latencyWarmup,
    // the full rule behind a `das` objective: values stored under another default are not reused
    dasRules: dasRuleNames(specs.filter((s) => s.kind === 'das').map((s) => s.arg!)),
  };
}

/**
 * The objectives, answering from the run's stored trials where an architecture already has all
 * its values (a resumed run: no architecture is evaluated twice, and measured values stay the ones
 * recorded first). Non-finite values are stored as null; such architectures are evaluated again.
 */
function storedValues(objs: readonly ArchObjective[], trials: readonly TrialRecord[], also: readonly ArchObjective[] = []): Map<string, number[]> {
  const known = new Map<string, number[]>();
  for (const t of trials) {
    if (t.status !== 'done') continue;
    const v = objs.map((ob) => t.objectives[ob.key]);
    if (v.every((x) => typeof x === 'number') && also.every((ob) => typeof t.objectives[ob.key] === 'number')) known.set(t.arch, v as number[]);
  }
  return known;
}

function withStoredValues(objs: ArchObjective[], known: ReadonlyMap<string, number[]>): ArchObjective[] {
  if (known.size === 0) return objs;
  return objs.map((ob, i) => {
    const w = Object.create(ob) as ArchObjective & { evaluate: ArchObjective['evaluate'] };
    w.evaluate = (a: AnyArch) => known.get(a.text)?.[i] ?? ob.evaluate(a);
    return w;
  });
}

/** A multi-objective search being set up: evaluator, objectives, the checkpoint to resume from. */
export interface MooSession<S> {
  ev: StoredEvaluator;
  state: S | undefined;
  checkpoint: (state: S) => void;
  table: Nb201Table | undefined;
  ctx: ObjectiveContext;
  specs: ReturnType<typeof parseObjectives>;
  /** With --redis: evaluate a batch on the queue's workers before the algorithm looks its values up. */
  prefetch?: (archs: readonly AnyArch[]) => Promise<void>;
  /** Close the queue connection, if any. */
  close(): Promise<void>;
}

/** Whether a worker evaluates this objective (it builds or trains a network); table and user objectives stay here. */
function isRemote(spec: ObjectiveSpec): boolean {
  return (REMOTE_OBJECTIVE_SOURCES as readonly string[]).includes(spec.source ?? '');
}

/**
 * The objectives a queue's workers evaluate, read from the values a batch brought back (see
 * MooSession.prefetch): `fetched` maps an architecture to the values of the remote specs in order.
 */
function fetchedObjective(spec: ObjectiveSpec, k: number, fetched: ReadonlyMap<string, number[]>): ArchObjective {
  return {
    spec,
    key: spec.key,
    direction: spec.direction,
    evaluate(a: AnyArch): number {
      const v = fetched.get(a.text);
      if (!v) throw new Error(`objective ${spec.key} of ${a.text} was not evaluated on the queue`);
      return v[k]!;
    },
    violation: (v: number) => violation(spec, v),
  };
}

/**
 * Objectives, backend, evaluator (with stored values on resume) and the checkpoint of a resumed
 * run, with the evaluator already holding the evaluations the checkpoint covers. `hooks` may add
 * objective hooks (TND-NAS's supernet accuracy) before the objectives are built.
 */
export async function openMooSession<S extends { evaluations: number }>(
  sc: SearchContext,
  o: MooOptions,
  defaultObjectives: string,
  hooks?: (specs: ReturnType<typeof parseObjectives>, ctx: ObjectiveContext) => void,
): Promise<MooSession<S>> {
  const objectives = o.objectives ?? defaultObjectives;
  const parsed = applyConstraints(parseObjectives(objectives), o.constraints ? parseConstraints(o.constraints) : []);
  const specs = parsed.objectives;
  const all = [...specs, ...parsed.extra];
  const wantsTable = all.some((s) => s.source === 'table') || (o.strategy === 'tnd-nas' && o.tableAccuracy);
  let table: Nb201Table | undefined;
  if (o.space === 'nb201' && (wantsTable || o.bench)) table = await loadNb201Table(o.bench ?? defaultNb201Path());
  const req = requiredBackend(all);
  if (req && o.backend !== 'auto' && o.backend !== req) throw new TsnasError(`--backend ${o.backend} conflicts with objective latency:measured:${req}`);
  // with --redis the objectives that need a network go to the workers; the rest (and constraint-only values) are evaluated here
  const remoteSpecs = o.redis ? specs.filter(isRemote) : [];
  const local = all.filter((s) => !remoteSpecs.includes(s));
  // backends measured on (latency:wasm) start first, the session's backend last: it stays current
  for (const b of measuredBackends(local)) await sc.startBackend(b);
  if (needsBackend(local) || (o.strategy === 'tnd-nas' && !o.tableAccuracy)) await sc.startBackend(req ?? o.backend);
  const netInput = deploymentInput(o.dataset, o.dataDir, o);
  const ctx: ObjectiveContext = {
    space: o.space,
    table,
    scoreContext: () => scoringContext(o),
    latency: { batch: o.latencyBatch ?? 1, reps: o.latencyReps ?? 5, warmup: o.latencyWarmup ?? 2 },
    ...(o.browser ? { browser: { executablePath: o.browser } } : {}),
    // size, latency, params and FLOPs of the network the dataset trains (its input size, colour and classes)
    ...(netInput ? { netOverrides: netInput } : {}),
  };
  if (local.some((s) => s.source === 'trained')) {
    const preset = TRAINED_PRESETS[o.preset ?? 'cpu-small'];
    if (!preset) throw new TsnasError(`accuracy:trained: unknown --preset '${o.preset}' (${Object.keys(TRAINED_PRESETS).join(', ')})`);
    // a folder's held-out split, colour and class order hold here too: the search never trains on the test images
    const folder = o.dataset === 'folder' ? { folder: folderOptionsFrom(o) } : {};
    ctx.trainedAccuracy = trainedAccuracyHook({ space: o.space, preset, dataset: o.dataset ?? 'cifar10', dataDir: o.dataDir, seed: o.seed, ...folder });
  }
  hooks?.(specs, ctx);
  const fetched = new Map<string, number[]>();
  const objs = specs.map((spec) => (remoteSpecs.includes(spec) ? fetchedObjective(spec, remoteSpecs.indexOf(spec), fetched) : buildObjective(spec, ctx)));
  const extra = buildObjectives(parsed.extra, ctx);
  const timeLimitS = o.timeLimit !== undefined ? parseDuration(o.timeLimit, 'time-limit') : undefined;
  const run: Run | undefined = sc.run?.guard(mooSettings(o, objectives));
  if (!sc.run && o.resume) throw new TsnasError('--resume needs a run in the experiment store (give search() a run, or use the tsnas CLI)');
  const trials = run?.resumed ? run.trials() : [];
  const known = storedValues(objs, trials, extra);
  const ev = new StoredEvaluator(withStoredValues(objs, known), o.budget, sc, withStoredValues(extra, storedValues(extra, trials, objs)));
  const queue = remoteSpecs.length ? await TrialQueue.open(o.redis!) : undefined;
  const settings = { ...dataSettings(o), ...(o.preset ? { preset: o.preset } : {}), latencyBatch: o.latencyBatch, latencyReps: o.latencyReps };
  const runId = run?.id ?? `${o.strategy}-${process.pid}-${Date.now()}`;
  const prefetch = queue
    ? async (archs: readonly AnyArch[]) => {
        const todo = [...new Map(archs.filter((a) => !fetched.has(a.text) && !known.has(a.text) && !ev.has(a)).map((a) => [a.text, a])).values()];
        if (!todo.length) return;
        const trialsOut = todo.map((a) => ({
          key: trialKey('evaluate', 0, a.text),
          kind: 'evaluate' as const,
          payload: { space: a.space, arch: a.text, objectives: remoteSpecs.map((x) => x.key), settings } satisfies TaskPayload<'evaluate'>,
        }));
        await queue.runBatch(runId, trialsOut, { signal: sc.signal, onResult: (t, r) => fetched.set(t.payload.arch, r.values) });
      }
    : undefined;
  const ck = run?.resumed ? run.loadCheckpoint<{ strategy: string; state: S }>() : undefined;
  if (ck && ck.strategy !== o.strategy) run!.refuse(`--resume: run '${run!.id}' holds a ${ck.strategy} checkpoint, not ${o.strategy}`);
  const state = ck?.state;
  if (state) {
    const byIdx = new Map(trials.map((t) => [t.idx, t]));
    for (let i = 0; i < state.evaluations; i++) {
      const t = byIdx.get(i);
      if (!t) return run!.refuse(`--resume: run '${run!.id}' lacks trial ${i} of its checkpoint (the store was altered); start a new run`);
      const rec = ev.evaluate(parseArch(o.space, t.arch));
      if (!rec || rec.at !== i + 1) run!.refuse(`--resume: run '${run!.id}': trial ${i} (${t.arch}) repeats an earlier one (the store was altered); start a new run`);
    }
    ev.markSaved();
  }
  ev.timeLimitS = timeLimitS;
  ev.startClock(run?.resumed ? run.loadWallS() : 0);
  if (run?.resumed && !sc.quiet) {
    sc.log(
      `resuming run '${run.id}': ${trials.length} architectures evaluated${state ? `, continuing after evaluation ${state.evaluations}` : ', no checkpoint yet (replaying with the stored values)'}`,
    );
  }
  return { ev, state, checkpoint: (st) => ev.save({ strategy: o.strategy, state: st }), table, ctx, specs, prefetch, close: async () => queue?.close() };
}

/** Run `f`; if it throws, release what the objectives hold open (a browser) first. */
export async function closeOnError<T, S>(s: MooSession<S>, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    s.ev.close();
    throw e;
  }
}

/**
 * The rest of a search whose algorithm is a step generator (random, evolution, NSGA-II): run the
 * steps in the open session (batches to its queue, if any), close it, and report the stopped run
 * or the finished result, with `details` of the algorithm's outcome beside the front.
 */
export async function runSearchSteps<S, G extends { stopped?: boolean }>(
  sc: SearchContext,
  o: MooOptions,
  s: MooSession<S>,
  steps: Steps<G>,
  details?: (g: G) => Record<string, unknown>,
): Promise<SearchResult> {
  const t0 = performance.now();
  const g = await closeOnError(s, () => runSteps(steps, s.prefetch)).finally(() => s.close());
  if (g.stopped) return stoppedResult(sc, o, s);
  return finishedResult(sc, o, s, buildResult(o.strategy, o.space, s.ev, o.seed, (performance.now() - t0) / 1000, undefined, details?.(g)));
}

/** Run an algorithm's steps, ending after the current evaluation once ctx.signal is aborted; batches go to `prefetch` (the queue) when given. */
export function runSteps<T>(steps: Steps<T>, prefetch?: (archs: readonly AnyArch[]) => Promise<void>): Promise<T> {
  return drainAsync(steps, 10, prefetch);
}

/** A stop predicate for the step generators. */
export function stopper(sc: SearchContext): () => boolean {
  return () => Boolean(sc.signal?.aborted);
}

/** The true NB201 front of the first two objectives as [second, first] points, when both come from the table. */
function tableTruth(ev: MooEvaluator, table: Nb201Table | undefined): [number, number][] | undefined {
  const [a, b] = ev.objectives;
  if (!(table && a && b && a.spec.source === 'table' && b.spec.source === 'table')) return undefined;
  return trueParetoFront(table, [
    { column: a.spec.arg!, direction: a.direction },
    { column: b.spec.arg!, direction: b.direction },
  ]).map((r) => [r.values[table.resolveColumn(b.spec.arg!)]!, r.values[table.resolveColumn(a.spec.arg!)]!]);
}

/** The stop signal ended the search: write the evaluations not yet in the store. */
export function stoppedResult<S>(sc: SearchContext, o: MooOptions, s: MooSession<S>, where = ''): SearchResult {
  s.ev.close();
  s.ev.save();
  const line = `stopped after ${s.ev.evaluations} of ${s.ev.budget} evaluations${where}${sc.run ? `; continue with${sc.run.resumeHint()}` : ''}`;
  sc.log(line);
  return {
    strategy: o.strategy,
    space: o.space,
    seed: o.seed,
    stopped: true,
    complete: false,
    genotype: null,
    evaluations: s.ev.evaluations,
    budget: s.ev.budget,
    wall_s: 0,
    bench: null,
    run: sc.run?.id ?? null,
  };
}

/**
 * The finished search: every evaluation as a trial and, where the table knows it, the true front
 * of the first two objectives (metrics scope 'pareto-true'), in one transaction; the plot; the
 * result, whose `genotype` is the front's best in the first objective.
 */
export function finishedResult<S>(sc: SearchContext, o: MooOptions, s: MooSession<S>, res: MooResult): SearchResult {
  const { ev, table } = s;
  ev.close();
  const truth = ev.objectives.length >= 2 ? tableTruth(ev, table) : undefined;
  const run = sc.run;
  if (run) {
    run.store.atomically(() => {
      for (const r of ev.history) {
        run.store.putTrial(run.id, { idx: r.at - 1, arch: r.arch.text, status: 'done', scores: { violation: r.violation }, objectives: ev.record(r) });
      }
      if (truth) run.store.putMetrics(run.id, 'pareto-true', 0, { x: ev.objectives[1]!.key, y: ev.objectives[0]!.key, points: truth });
    });
  }
  if (o.plot) writeParetoPlot(o.plot, ev, res, truth);
  const pick = res.pareto.find((p) => p.feasible) ?? res.pareto[0];
  const bench = pick && table?.has(pick.arch) ? table.get(pick.arch).values : null;
  return { ...res, stopped: false, complete: true, genotype: pick?.arch ?? null, bench, run: run?.id ?? null };
}

/** The human-readable lines of a multi-objective result. */
export function describeMooResult(r: SearchResult): string {
  const pareto = r.pareto ?? [];
  const keys = pareto[0] ? Object.keys(pareto[0].objectives) : [];
  return [
    `${r.strategy}: ${r.evaluations} evaluations${r['ended_by'] === 'time-limit' ? ` (time limit ${String(r['time_limit_s'])} s reached)` : ''}, ${pareto.length} non-dominated, ${r.wall_s.toFixed(1)} s`,
    ...pareto.map((p) => `${keys.map((k) => `${k}=${+(p.objectives[k] ?? NaN).toPrecision(5)}`).join('  ')}  ${p.arch}${p.feasible ? '' : '  (infeasible)'}`),
  ].join('\n');
}
