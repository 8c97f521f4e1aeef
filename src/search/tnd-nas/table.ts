/**
 * Table-mode TND-NAS: the sampled cells are scored by the NB201 table (accuracy and the other
 * objectives from the evaluator), to benchmark the policy gradient and the shrinking cheaply.
 * Stages last `stepsPerStage` α steps (the author's schedule), or, with `stageBy: 'budget'`, an
 * equal share of the evaluator's budget each: at 40 α steps × 10 samples a stage, a budget of a few
 * hundred cells ends before the first shrink (docs/benchmarks/multi-objective.md, regret).
 * The same loop runs over the decisions of any space (`decisionSizes`, `archOfChoice`: the
 * space's decode) with the evaluator's objectives as they are: a training-free score or a
 * trained accuracy first. A choice the space refuses (a code vector that decodes to no valid
 * architecture) gets reward 0 and costs no evaluation.
 * `tndNasTableSteps` yields after every evaluation (and, with `shouldStop`, ends there);
 * `tndNasTable` runs it synchronously.
 */
import type { AnyArch } from '../../spaces/index.js';
import { TsnasError } from '../../util/errors.js';
import type { EvalRecord, MooEvaluator } from '../moo-common.js';
import { drain, type Steps } from '../steps.js';
import { defaultTargets, tndReward } from './reward.js';
import { nb201ArchOfChoice, policyState, reinforceStep, restorePolicy, shrinkStage, tndSetup, type TndOutcome, type TndPolicyState, type TndSearchOptions, type TndStepLog } from './policy.js';

export interface TndTableOptions extends TndSearchOptions {
  /** α steps per stage (table mode default 40; with `stageBy: 'budget'` unused). */
  stepsPerStage?: number;
  /**
   * What ends a stage: `steps` (default), `stepsPerStage` α steps; `budget`, the evaluator having
   * spent (stage + 1)/stages of its budget, the last stage running until the budget is spent; there
   * a stage also ends after `TND_IDLE_STEPS` α steps in a row that evaluate nothing new (the policy
   * resamples cells it has seen), and the last one then ends the run.
   */
  stageBy?: 'steps' | 'budget';
  /** Continue from a checkpoint (the evaluator must already hold its first `evaluations` records). */
  resume?: TndTableState;
  /** Told the state after every α step. */
  onCheckpoint?: (s: TndTableState) => void;
  /** The architecture of a choice (default NB201's cell; another space: its decode). */
  archOfChoice?: (choice: number[]) => AnyArch;
  /** Names a dropped choice in the outcome's `stages` (default NB201's edge and op). */
  describeChoice?: (decision: number, choice: number) => string;
}

/** Everything table-mode TND-NAS needs to continue after an α step. */
export interface TndTableState extends TndPolicyState {
  stage: number;
  /** Next α step within the stage. */
  next: number;
  step: number;
  baseline: number;
  targets: number[][] | null;
  log: TndStepLog[];
  stages: TndOutcome['stages'];
  evaluations: number;
  /** α steps in a row that evaluated nothing new (`stageBy: 'budget'`). */
  idle?: number;
}

/** α steps in a row without a new cell after which a budget-paced stage ends. */
export const TND_IDLE_STEPS = 10;

/**
 * TND-NAS on NB201 with table accuracy: the evaluator's first objective must be an accuracy to
 * maximise (percent); the others enter the reward. Stops at the evaluator's budget (distinct
 * architectures) or after stages × stepsPerStage α steps.
 */
export function tndNasTable(ev: MooEvaluator, o: TndTableOptions): TndOutcome {
  return drain(tndNasTableSteps(ev, o));
}

/** Table-mode TND-NAS as a step generator: yields after every evaluation. */
export function* tndNasTableSteps(ev: MooEvaluator, o: TndTableOptions): Steps<TndOutcome> {
  const objs = ev.objectives;
  if (objs[0]!.direction !== 'max') throw new TsnasError('tnd-nas: the first objective must be an accuracy (or score) to maximise');
  const { keep, samples, decay, cfg, rng, policy, opt } = tndSetup(o);
  const steps = o.stepsPerStage ?? 40;
  const byBudget = o.stageBy === 'budget';
  // budget-paced: stage s ends once (s + 1)/stages of the budget is spent; the last one at the budget
  const stageEnd = (stage: number) => (stage === keep.length - 1 ? Infinity : Math.round((ev.budget * (stage + 1)) / keep.length));
  let idle = 0;
  const archOf = o.archOfChoice ?? nb201ArchOfChoice;
  const tryArch = (c: number[]): AnyArch | undefined => {
    try {
      return archOf(c);
    } catch (e) {
      if (e instanceof TsnasError) return undefined;
      throw e;
    }
  };
  const argmaxText = () => tryArch(policy.argmax())?.text ?? `(no valid architecture: choice ${policy.argmax().join(',')})`;
  let baseline = 0;
  let targets = cfg.targets;
  let log: TndStepLog[] = [];
  let stages: TndOutcome['stages'] = [];
  let step = 0;
  let stage0 = 0;
  let next0 = 0;
  if (o.resume) {
    const r = o.resume;
    if (ev.evaluations !== r.evaluations) throw new TsnasError(`TND-NAS resume: the evaluator holds ${ev.evaluations} evaluations, the checkpoint ${r.evaluations}`);
    ({ baseline, step, log, stages } = r);
    targets = r.targets ?? undefined;
    restorePolicy(r, policy, opt, rng);
    stage0 = r.stage;
    next0 = r.next;
    idle = r.idle ?? 0;
  }
  outer: for (let stage = stage0; stage < keep.length; stage++) {
    const resumedStage = o.resume !== undefined && stage === stage0;
    if (!resumedStage) stages.push(shrinkStage(policy, stage, keep[stage]!, o.describeChoice));
    if (!resumedStage) idle = 0;
    for (let s = resumedStage ? next0 : 0; byBudget ? ev.evaluations < stageEnd(stage) && idle < TND_IDLE_STEPS : s < steps; s++) {
      const before = ev.evaluations;
      const choices: number[][] = [];
      const recs: (EvalRecord | undefined)[] = [];
      for (let j = 0; j < samples; j++) {
        const c = policy.sample(rng);
        const a = tryArch(c);
        choices.push(c);
        if (!a) {
          recs.push(undefined);
          continue;
        }
        const rec = ev.evaluate(a);
        if (!rec) break outer; // budget spent
        recs.push(rec);
        yield;
        // the evaluations after the last checkpoint are trials: a resumed run replays this α step with their values
        if (o.shouldStop?.()) return { policy, targets: targets ?? [], log, stages, argmax: argmaxText(), stopped: true };
      }
      const valid = recs.filter((r): r is EvalRecord => r !== undefined);
      if (valid.length === 0) throw new TsnasError(`tnd-nas: none of ${samples} sampled choices is a valid architecture of the space`);
      targets ??= defaultTargets(
        objs,
        valid.map((r) => r.values),
        keep.length,
      );
      const R = recs.map((r) => (r ? tndReward(r.values, objs, targets!, stage, cfg) : 0));
      const upd = reinforceStep(policy, opt, choices, R, baseline, decay);
      baseline = upd.baseline;
      idle = ev.evaluations === before ? idle + 1 : 0;
      const entry = { stage, step: step++, meanReward: upd.meanReward, baseline, evaluations: ev.evaluations, entropy: policy.normalizedEntropy() };
      log.push(entry);
      o.onCheckpoint?.({
        stage,
        next: s + 1,
        step,
        baseline,
        targets: targets ?? null,
        ...policyState(policy, opt, rng),
        log,
        stages,
        evaluations: ev.evaluations,
        ...(byBudget ? { idle } : {}),
      });
      o.onStep?.(entry);
      if (ev.timeUp) break outer; // --time-limit: the α step just made is the last
    }
  }
  return { policy, targets: targets ?? [], log, stages, argmax: argmaxText() };
}
