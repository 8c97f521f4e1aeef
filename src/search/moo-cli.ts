/**
 * The multi-objective strategies of `tsnas search` (nsga2, random, tnd-nas) and their flags:
 *
 *   tsnas search --strategy nsga2|random|tnd-nas --objectives accuracy,latency:pixel3 --space nb201
 *                --bench FILE --budget N --seed S [--pop-size 20] [--preset cpu-small] [--plot out.svg] --json
 *
 * --json prints {"pareto":[{"arch","objectives":{...},"evaluation","feasible"}],"evaluations","wall_s",...}.
 *
 * Resume (`--resume --run-id RUN`, or `tsnas runs resume RUN`): every evaluated architecture is a
 * trial in the store (written at least once a second and with every checkpoint), and the
 * algorithm's state is checkpointed in the same transaction as the trials it covers: NSGA-II after
 * the initial population and every generation, table-mode TND-NAS after every α step. A resumed
 * run rebuilds the evaluator from the trials, takes the values of architectures evaluated after
 * the checkpoint from the store instead of evaluating them again, and continues from the
 * checkpoint: the result equals the uninterrupted run's, and each architecture is one trial.
 * Random search needs no checkpoint (its state is the seed): it replays with the stored values.
 *
 * Ctrl-C (SIGINT) stops after the current evaluation (supernet TND-NAS: weight step): the
 * evaluations made so far are written as trials (the supernet mode also checkpoints inside the
 * epoch), the run is marked `stopped`, one line says how to continue, and the exit status is 0.
 * The algorithms run as step generators that give the event loop a turn between evaluations.
 */
import { intArg } from '../util/flag-parsers.js';
import { Option, type Command } from 'commander';
import { defaultNb201Path, loadNb201Table, type Nb201Table } from '../benchmarks/nb201-table.js';
import { buildObjectives, needsBackend, OBJECTIVES_HELP, parseObjectives, requiredBackend, trueParetoFront, type ObjectiveContext } from '../objectives/index.js';
import type { SpaceName } from '../spaces/index.js';
import { dasRuleNames, type ScoreContext } from '../proxies/index.js';
import { TsnasError } from '../util/errors.js';
import { buildResult, MooEvaluator, writeParetoPlot, type MooResult } from './moo-common.js';
import { nsga2Steps } from './nsga2.js';
import { randomSearchSteps } from './random-search.js';
import { TND_PRESETS, tndNasSupernetSteps, tndNasTableSteps } from './tnd-nas/index.js';
import { drainAsync, type Steps } from './steps.js';
import { downsample, loadDataset } from '../data/index.js';
import type { AnyArch } from '../spaces/index.js';
import { objectiveRecord } from '../objectives/objectives.js';
import { TRAINED_PRESETS, trainedAccuracyHook } from '../objectives/trained.js';
import { currentRun, loadCheckpoint, refuseResume, resumeGuard, resumeHint, runTrials, saveProgress, stopRequested, withGracefulStop } from '../cli/tracking.js';
import type { ArchObjective } from '../objectives/objectives.js';
import type { TrialRecord } from '../store/store.js';
import { parseArch } from '../spaces/index.js';
import type { Nsga2State } from './nsga2.js';
import type { TndSupernetState, TndTableState } from './tnd-nas/index.js';

export interface MooFlags {
  space: SpaceName;
  strategy: string;
  seed: number;
  json?: boolean;
  backend: string;
  bench?: string;
  objectives?: string;
  budget?: number;
  popSize?: number;
  preset?: string;
  plot?: string;
  latencyBatch?: number;
  latencyReps?: number;
  tndSamples?: number;
  tableAccuracy?: boolean;
  resume?: boolean;
  runId?: string;
}

type Flags = MooFlags & Record<string, unknown>;
export type MooStrategy = (o: Flags) => Promise<{ result: Record<string, unknown>; human: string }>;

/** Hooks the host command gives the strategies (so this module does not depend on the CLI). */
export interface MooHost {
  startBackend: (o: Flags, backend: string) => Promise<unknown>;
  scoringContext: (o: Flags) => ScoreContext;
  log: (msg: string) => void;
}

/** Add the multi-objective flags to a command (all optional; other strategies ignore them). */
export function withMooFlags(cmd: Command): Command {
  return cmd
    .option('--objectives <list>', `multi-objective strategies (nsga2, random, tnd-nas): ${OBJECTIVES_HELP}`)
    .option('--budget <n>', 'multi-objective strategies: distinct architectures to evaluate (default 200; tnd-nas: sampled architectures)', intArg('budget', 1, 10_000_000))
    .option('--pop-size <n>', 'nsga2: population size (default 20)', intArg('pop-size', 2, 100000))
    .addOption(new Option('--preset <name>', 'tnd-nas: supernet training preset; accuracy:trained: per-architecture training preset (default cpu-small)').choices(['cpu-small', 'paper', 'tiny']))
    .option('--table-accuracy', 'tnd-nas: take accuracy from the NB201 table instead of the supernet (benchmarks the policy gradient and shrinking cheaply)')
    .option('--tnd-samples <n>', 'tnd-nas: architectures sampled per α step (default 10)', intArg('tnd-samples', 1, 1000))
    .option('--latency-batch <n>', 'latency:measured: batch size of the timed inferences (default 1)', intArg('latency-batch', 1, 4096))
    .option('--latency-reps <n>', 'latency:measured: timed inferences, median reported (default 5)', intArg('latency-reps', 1, 1000))
    .option('--plot <file>', 'multi-objective strategies: write the Pareto plot of the first two objectives (SVG)');
}

/**
 * An evaluator that records its evaluations as trials of the current run: pending ones are written
 * at least once a second (so an expensive evaluation is not lost to a kill) and with every
 * checkpoint, in the checkpoint's transaction.
 */
class StoredEvaluator extends MooEvaluator {
  private flushed = 0;
  private lastFlush = performance.now();

  override evaluate(a: AnyArch) {
    const n = this.history.length;
    const r = super.evaluate(a);
    if (this.history.length > n && performance.now() - this.lastFlush >= 1000) this.save();
    return r;
  }

  /** Write the trials not yet written, with `checkpoint` when given, as one transaction. */
  save(checkpoint?: { strategy: string; state: unknown }): void {
    const recs: TrialRecord[] = this.history.slice(this.flushed).map((r) => ({
      idx: r.at - 1, arch: r.arch.text, status: 'done', scores: { violation: r.violation }, objectives: objectiveRecord(this.objectives, r.values),
    }));
    saveProgress(recs, checkpoint);
    this.flushed = this.history.length;
    this.lastFlush = performance.now();
  }

  /** Mark everything evaluated so far as already in the store. */
  markSaved(): void {
    this.flushed = this.history.length;
  }
}

/** The flags a multi-objective run's result depends on: a resume with others is refused. */
function mooSettings(o: Flags, objectives: string): Record<string, unknown> {
  const x = o as Record<string, unknown>;
  const specs = parseObjectives(objectives);
  return {
    strategy: o.strategy, space: o.space, seed: o.seed, objectives, budget: o.budget ?? 200,
    popSize: o.strategy === 'nsga2' ? (o.popSize ?? 20) : undefined,
    tndSamples: o.strategy === 'tnd-nas' ? (o.tndSamples ?? 10) : undefined,
    tableAccuracy: o.strategy === 'tnd-nas' ? Boolean(o.tableAccuracy) : undefined,
    preset: (o.strategy === 'tnd-nas' && !o.tableAccuracy) || specs.some((s) => s.source === 'trained') ? (o.preset ?? 'cpu-small') : undefined,
    dataset: x['dataset'], dataLimit: x['dataLimit'], batch: x['batch'], trainSteps: x['trainSteps'],
    latencyBatch: o.latencyBatch, latencyReps: o.latencyReps,
    // the full rule behind a `das` objective: values stored under another default are not reused
    dasRules: dasRuleNames(specs.filter((s) => s.kind === 'das').map((s) => s.arg!)),
  };
}

/**
 * The objectives, answering from the run's stored trials where an architecture already has all
 * its values (a resumed run: no architecture is evaluated twice, and measured values stay the ones
 * recorded first). Non-finite values are stored as null; such architectures are evaluated again.
 */
function withStoredValues(objs: ArchObjective[], trials: readonly TrialRecord[]): ArchObjective[] {
  const known = new Map<string, number[]>();
  for (const t of trials) {
    if (t.status !== 'done') continue;
    const v = objs.map((ob) => t.objectives[ob.key]);
    if (v.every((x) => typeof x === 'number')) known.set(t.arch, v as number[]);
  }
  if (known.size === 0) return objs;
  return objs.map((ob, i) => {
    const w = Object.create(ob) as ArchObjective & { evaluate: ArchObjective['evaluate'] };
    w.evaluate = (a: AnyArch) => known.get(a.text)?.[i] ?? ob.evaluate(a);
    return w;
  });
}

/**
 * Settings check, evaluator (with stored values on resume) and the checkpoint of a resumed run,
 * with the evaluator already holding the evaluations the checkpoint covers.
 */
function resumable<S extends { evaluations: number }>(o: Flags, objectives: string, objs: ArchObjective[]): { ev: StoredEvaluator; state: S | undefined; checkpoint: (state: S) => void } {
  const run = resumeGuard(o, mooSettings(o, objectives));
  const trials = run?.resumed ? runTrials() : [];
  const ev = new StoredEvaluator(withStoredValues(objs, trials), o.budget ?? 200);
  const ck = run?.resumed ? loadCheckpoint<{ strategy: string; state: S }>() : undefined;
  if (ck && ck.strategy !== o.strategy) refuseResume(`--resume: run '${run!.id}' holds a ${ck.strategy} checkpoint, not ${o.strategy}`);
  const state = ck?.state;
  if (state) {
    const byIdx = new Map(trials.map((t) => [t.idx, t]));
    for (let i = 0; i < state.evaluations; i++) {
      const t = byIdx.get(i);
      if (!t) refuseResume(`--resume: run '${run!.id}' lacks trial ${i} of its checkpoint (the store was altered); start a new run`);
      const rec = ev.evaluate(parseArch(o.space, t.arch));
      if (!rec || rec.at !== i + 1) refuseResume(`--resume: run '${run!.id}': trial ${i} (${t.arch}) repeats an earlier one (the store was altered); start a new run`);
    }
    ev.markSaved();
  }
  if (run?.resumed && !o.json) {
    process.stderr.write(`resuming run '${run.id}': ${trials.length} architectures evaluated${state ? `, continuing after evaluation ${state.evaluations}` : ', no checkpoint yet (replaying with the stored values)'}\n`);
  }
  return { ev, state, checkpoint: (st) => ev.save({ strategy: o.strategy, state: st }) };
}

async function setup(o: Flags, host: MooHost, defaultObjectives: string) {
  const objectives = o.objectives ?? defaultObjectives;
  const specs = parseObjectives(objectives);
  const wantsTable = specs.some((s) => s.source === 'table') || (o.strategy === 'tnd-nas' && o.tableAccuracy);
  let table: Nb201Table | undefined;
  if (o.space === 'nb201' && (wantsTable || o.bench)) table = await loadNb201Table(o.bench ?? defaultNb201Path());
  const req = requiredBackend(specs);
  if (req && o.backend !== 'auto' && o.backend !== req) throw new TsnasError(`--backend ${o.backend} conflicts with objective latency:measured:${req}`);
  if (needsBackend(specs) || (o.strategy === 'tnd-nas' && !o.tableAccuracy)) await host.startBackend(o, req ?? o.backend);
  const ctx: ObjectiveContext = {
    space: o.space,
    table,
    scoreContext: () => host.scoringContext(o),
    latency: { batch: o.latencyBatch ?? 1, reps: o.latencyReps ?? 5 },
  };
  if (specs.some((s) => s.source === 'trained')) {
    const x = o as Record<string, unknown>;
    const preset = TRAINED_PRESETS[o.preset ?? 'cpu-small'];
    if (!preset) throw new TsnasError(`accuracy:trained: unknown --preset '${o.preset}' (${Object.keys(TRAINED_PRESETS).join(', ')})`);
    ctx.trainedAccuracy = trainedAccuracyHook({ space: o.space, preset, dataset: (x['dataset'] as string | undefined) ?? 'cifar10', dataDir: x['dataDir'] as string | undefined, seed: o.seed });
  }
  return { specs, table, ctx, objectives };
}

/** The true NB201 front of the first two objectives as [second, first] points, when both come from the table. */
function tableTruth(ev: MooEvaluator, table: Nb201Table | undefined): [number, number][] | undefined {
  const [a, b] = ev.objectives;
  if (!(table && a && b && a.spec.source === 'table' && b.spec.source === 'table')) return undefined;
  return trueParetoFront(table, [{ column: a.spec.arg!, direction: a.direction }, { column: b.spec.arg!, direction: b.direction }]).map((r) => [
    r.values[table.resolveColumn(b.spec.arg!)]!,
    r.values[table.resolveColumn(a.spec.arg!)]!,
  ]);
}

/**
 * The experiment store: one trial per evaluated architecture (objectives, constraint violation)
 * and, where the table knows it, the true front of the first two objectives (metrics scope
 * 'pareto-true'); all in one transaction. The found front is in the stored result.
 */
function storeEvaluations(ev: MooEvaluator, table: Nb201Table | undefined): void {
  const run = currentRun();
  if (!run) return;
  const truth = ev.objectives.length >= 2 ? tableTruth(ev, table) : undefined;
  run.store.atomically(() => {
    for (const r of ev.history) {
      run.store.putTrial(run.id, { idx: r.at - 1, arch: r.arch.text, status: 'done', scores: { violation: r.violation }, objectives: objectiveRecord(ev.objectives, r.values) });
    }
    if (truth) run.store.putMetrics(run.id, 'pareto-true', 0, { x: ev.objectives[1]!.key, y: ev.objectives[0]!.key, points: truth });
  });
}

/**
 * Run an algorithm's steps with Ctrl-C stopping it after the current evaluation (the CLI always
 * has a run to keep the evaluations in; without one, Node's default applies).
 */
function runSteps<T>(steps: Steps<T>): Promise<T> {
  return currentRun() ? withGracefulStop(() => drainAsync(steps)) : drainAsync(steps);
}

/** Ctrl-C ended the search: write the evaluations not yet in the store, say how to continue. */
function stopped(o: Flags, ev: StoredEvaluator, host: MooHost, where = ''): { result: Record<string, unknown>; human: string } {
  ev.save();
  const line = `stopped after ${ev.evaluations} of ${ev.budget} evaluations${where}; continue with${resumeHint()}`;
  host.log(line);
  const run = currentRun();
  return { result: { strategy: o.strategy, space: o.space, stopped: true, complete: false, evaluations: ev.evaluations, budget: ev.budget, seed: o.seed, run: run?.id ?? null }, human: line };
}

function finish(o: Flags, ev: MooEvaluator, res: MooResult, table: Nb201Table | undefined): { result: Record<string, unknown>; human: string } {
  storeEvaluations(ev, table);
  if (o.plot) writeParetoPlot(o.plot, ev, res, tableTruth(ev, table));
  const keys = ev.objectives.map((x) => x.key);
  const human = [
    `${res.strategy}: ${res.evaluations} evaluations, ${res.pareto.length} non-dominated, ${res.wall_s.toFixed(1)} s`,
    ...res.pareto.map((p) => `${keys.map((k) => `${k}=${+p.objectives[k]!.toPrecision(5)}`).join('  ')}  ${p.arch}${p.feasible ? '' : '  (infeasible)'}`),
  ].join('\n');
  return { result: res as unknown as Record<string, unknown>, human };
}

export function mooStrategies(host: MooHost): Record<string, MooStrategy> {
  const nsga2Strategy: MooStrategy = async (o) => {
    const { specs, table, ctx, objectives } = await setup(o, host, 'accuracy,latency:pixel3');
    const { ev, state, checkpoint } = resumable<Nsga2State>(o, objectives, buildObjectives(specs, ctx));
    const t0 = performance.now();
    const g = await runSteps(nsga2Steps(ev, {
      space: o.space,
      seed: o.seed,
      popSize: o.popSize ?? 20,
      onGeneration: o.json ? undefined : (gen, n) => host.log(`generation ${gen}: ${n} evaluations`),
      resume: state,
      onCheckpoint: checkpoint,
      shouldStop: stopRequested,
    }));
    if (g.stopped) return stopped(o, ev, host);
    const res = buildResult('nsga2', o.space, ev, o.seed, (performance.now() - t0) / 1000, undefined, { generations: g.generations, popSize: o.popSize ?? 20 });
    return finish(o, ev, res, table);
  };
  const randomStrategy: MooStrategy = async (o) => {
    const { specs, table, ctx, objectives } = await setup(o, host, 'accuracy,latency:pixel3');
    const { ev } = resumable(o, objectives, buildObjectives(specs, ctx));
    const t0 = performance.now();
    const r = await runSteps(randomSearchSteps(ev, { space: o.space, seed: o.seed, shouldStop: stopRequested }));
    if (r.stopped) return stopped(o, ev, host);
    const res = buildResult('random', o.space, ev, o.seed, (performance.now() - t0) / 1000);
    return finish(o, ev, res, table);
  };
  const tndStrategy: MooStrategy = async (o) => {
    if (o.space !== 'nb201') throw new TsnasError('--strategy tnd-nas runs on --space nb201 (its DARTS-space supernet mode is not wired up yet)');
    const tableMode = Boolean(o.tableAccuracy);
    const defaults = tableMode ? 'accuracy,latency:pixel3' : 'accuracy:supernet,latency:pixel3';
    let hook: ((a: AnyArch) => number) | undefined;
    const { specs, table, ctx, objectives } = await setup(o, host, defaults);
    if (tableMode && specs[0]!.source !== 'table') throw new TsnasError('--table-accuracy: the first objective must be a table accuracy (e.g. accuracy)');
    if (!tableMode && specs[0]!.source !== 'supernet') throw new TsnasError("tnd-nas: the first objective must be accuracy:supernet (or pass --table-accuracy with 'accuracy')");
    ctx.supernetAccuracy = (a) => hook!(a);
    const { ev, state, checkpoint } = resumable<TndTableState | TndSupernetState>(o, objectives, buildObjectives(specs, ctx));
    const t0 = performance.now();
    const samples = o.tndSamples ?? 10;
    if (tableMode) {
      const out = await runSteps(tndNasTableSteps(ev, { seed: o.seed, samples, resume: state as TndTableState | undefined, onCheckpoint: checkpoint, shouldStop: stopRequested }));
      if (out.stopped) return stopped(o, ev, host, ` (α step ${out.log.length + 1})`);
      const res = buildResult('tnd-nas', o.space, ev, o.seed, (performance.now() - t0) / 1000, undefined, {
        mode: 'table', argmax: out.argmax, targets: out.targets, stages: out.stages, alphaSteps: out.log.length,
        alpha: out.policy.alpha, finalMeanReward: out.log.at(-1)?.meanReward,
      });
      return finish(o, ev, res, table);
    }
    const preset = TND_PRESETS[o.preset ?? 'cpu-small']!;
    const name = (o as Record<string, unknown>)['dataset'] as string | undefined ?? 'cifar10';
    let data = loadDataset(name, { dataDir: (o as Record<string, unknown>)['dataDir'] as string | undefined, split: 'train', limit: preset.dataLimit, seed: o.seed });
    if (data.height !== preset.imageSize) {
      if (data.height % preset.imageSize !== 0) throw new TsnasError(`tnd-nas preset ${preset.name}: ${data.height}-px images cannot be pooled to ${preset.imageSize} px`);
      data = downsample(data, data.height / preset.imageSize);
    }
    const out = await runSteps(tndNasSupernetSteps(ev, { seed: o.seed, samples, preset, data, onLog: o.json ? undefined : host.log, resume: state as TndSupernetState | undefined, onCheckpoint: checkpoint, shouldStop: stopRequested }, (f) => (hook = f)));
    if (out.stopped) return stopped(o, ev, host, ', supernet checkpointed');
    const res = buildResult('tnd-nas', o.space, ev, o.seed, (performance.now() - t0) / 1000, out.frontRecords, {
      mode: 'supernet', preset: preset.name, argmax: out.argmax, targets: out.targets, stages: out.stages, alphaSteps: out.log.length,
      alpha: out.policy.alpha, note: 'accuracy:supernet values are one-hot subnet accuracies of the final supernet on a fixed validation batch',
    });
    return finish(o, ev, res, table);
  };
  return { nsga2: nsga2Strategy, random: randomStrategy, 'tnd-nas': tndStrategy };
}
