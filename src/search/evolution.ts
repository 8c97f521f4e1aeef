/**
 * Regularized evolution (Real et al. 2019, "aging evolution"), the standard single-objective
 * baseline of NASLib and NNI:
 *   - initial population: `popSize` distinct uniform samples;
 *   - every cycle: draw `sampleSize` members uniformly (with replacement), the fittest of them is
 *     the parent; its child (one mutation, re-mutated up to 20 times while already evaluated, so
 *     the budget goes to new architectures) joins the population and the oldest member leaves.
 *     With `roundSize` B > 1, B such children are bred from one population, evaluated as a batch,
 *     then join one by one (B cycles).
 * Fitness is the first objective (in its direction), or a weighted sum of all objectives
 * (`weights`, each objective oriented so that a positive weight rewards improving it); an
 * infeasible architecture (a constraint broken) is less fit than every feasible one, and among
 * infeasible ones the smaller violation wins.
 * Stops when `budget` distinct architectures have been evaluated (or after 50·popSize cycles in a
 * row that found nothing new: a space nearly exhausted).
 *
 * Resumable like NSGA-II: `onCheckpoint` receives the state (cycle, stall count, RNG state, the
 * population oldest first as evaluation numbers, and a stopped round's children not yet added)
 * after the initial population, at the end of every round that completes `popSize` cycles, and
 * at a stop; given back as `resume` with an evaluator holding the same first `evaluations`
 * records, the run continues exactly as if never interrupted.
 */
import { mutateArch, parseArch, sampleArch, type AnyArch, type SpaceName } from '../spaces/index.js';
import { Rng } from '../util/rng.js';
import { TsnasError } from '../util/errors.js';
import { drawNewArchs, type EvalRecord, type MooEvaluator } from './moo-common.js';
import { drain, type Steps } from './steps.js';

export interface EvolutionOptions {
  space: SpaceName;
  seed: number;
  /** Population size P (default 20). */
  popSize?: number;
  /** Tournament size S (default 5; at most P). */
  sampleSize?: number;
  /** Fitness as Σ wᵢ·(±vᵢ) over the objectives (sign: + for max, − for min); default: the first objective. */
  weights?: readonly number[];
  /**
   * Children bred per round from the same population, then evaluated as one batch (side by side
   * on the Redis queue's workers) and added oldest-first; default 1, Real et al.'s one child per
   * cycle. A round of B is the asynchronous variant's view with B workers.
   */
  roundSize?: number;
  /** Initial population (e.g. from a pool); default uniform samples. */
  init?: (rng: Rng) => AnyArch;
  /** Continue from a checkpoint (the evaluator must already hold its first `evaluations` records). */
  resume?: EvolutionState;
  /** Told the state after the initial population and every popSize cycles. */
  onCheckpoint?: (s: EvolutionState) => void;
  /** Called with the cycle count and evaluations at every checkpoint. */
  onProgress?: (cycle: number, evaluations: number) => void;
  /** Polled after every evaluation: true ends the run there, `stopped` in the outcome. */
  shouldStop?: () => boolean;
}

/** What regularized evolution needs to continue: everything else is in the evaluator's history. */
export interface EvolutionState {
  cycle: number;
  stall: number;
  rng: number;
  /** The population, oldest first, as 1-based evaluation numbers (EvalRecord.at). */
  population: number[];
  evaluations: number;
  /** Children of the round a stop cut short, not yet in the population (architecture texts). */
  pending?: string[];
}

export interface EvolutionOutcome {
  cycles: number;
  /** Ended early by `shouldStop` (the evaluator holds the evaluations made so far). */
  stopped?: true;
}

/** The fitness of a record (higher is fitter) for the evaluator's objectives. */
export function evolutionFitness(ev: MooEvaluator, weights?: readonly number[]): (r: EvalRecord) => number {
  if (weights && weights.length !== ev.objectives.length) throw new TsnasError(`evolution: ${weights.length} fitness weights for ${ev.objectives.length} objectives`);
  const sign = ev.directions.map((d) => (d === 'max' ? 1 : -1));
  return weights ? (r) => r.values.reduce((s, v, i) => s + weights[i]! * sign[i]! * v, 0) : (r) => sign[0]! * r.values[0]!;
}

/** Run regularized evolution until the evaluator's budget is spent. */
export function evolution(ev: MooEvaluator, o: EvolutionOptions): EvolutionOutcome {
  return drain(evolutionSteps(ev, o));
}

/** Regularized evolution as a step generator: yields after every evaluation. */
export function* evolutionSteps(ev: MooEvaluator, o: EvolutionOptions): Steps<EvolutionOutcome> {
  const P = o.popSize ?? 20;
  const S = o.sampleSize ?? Math.min(5, P);
  const B = o.roundSize ?? 1;
  if (!(Number.isInteger(P) && P >= 2)) throw new TsnasError(`evolution: population size must be an integer >= 2, got ${P}`);
  if (!(Number.isInteger(B) && B >= 1)) throw new TsnasError(`evolution: round size must be an integer >= 1, got ${B}`);
  if (!(Number.isInteger(S) && S >= 1 && S <= P)) throw new TsnasError(`evolution: sample size must be an integer in [1, population size ${P}], got ${S}`);
  const fitness = evolutionFitness(ev, o.weights);
  // feasible beats infeasible, then less violation, then fitness
  const fitter = (a: EvalRecord, b: EvalRecord): boolean => (a.violation !== b.violation ? a.violation < b.violation : fitness(a) > fitness(b));
  const rng = new Rng(o.seed);
  const sample = o.init ?? ((r: Rng) => sampleArch(o.space, r));

  let pop: EvalRecord[] = [];
  let cycle = 0;
  let stall = 0;
  const checkpoint = (rest: readonly AnyArch[] = []) => {
    o.onCheckpoint?.({ cycle, stall, rng: rng.state, population: pop.map((r) => r.at), evaluations: ev.evaluations, ...(rest.length ? { pending: rest.map((a) => a.text) } : {}) });
    o.onProgress?.(cycle, ev.evaluations);
  };
  if (o.resume) {
    const s = o.resume;
    if (ev.evaluations !== s.evaluations) throw new TsnasError(`evolution resume: the evaluator holds ${ev.evaluations} evaluations, the checkpoint ${s.evaluations}`);
    pop = s.population.map((at) => ev.history[at - 1]!);
    cycle = s.cycle;
    stall = s.stall;
    rng.state = s.rng;
  } else {
    // the initial population is drawn first (the draws do not depend on values), announced, then evaluated
    const plan = drawNewArchs(ev, sample, rng, P, 100 * P);
    yield { prefetch: plan };
    if (o.shouldStop?.()) return { cycles: cycle, stopped: true };
    for (const a of plan) {
      pop.push(ev.evaluate(a)!);
      yield;
      if (o.shouldStop?.()) return { cycles: cycle, stopped: true };
    }
    if (pop.length === 0) throw new TsnasError('evolution: could not draw a new architecture for the initial population');
    checkpoint();
  }
  // a round's children are bred from one population (breeding reads only the members' values),
  // announced as one batch, then join the population one by one; a round of 1 is the classic cycle
  let pending = (o.resume?.pending ?? []).map((t) => parseArch(o.space, t));
  let due = false;
  while ((pending.length > 0 || !ev.exhausted) && stall < 50 * P) {
    const round = pending;
    pending = [];
    if (!round.length) {
      const planned = new Set<string>();
      for (let fresh = 0; round.length < B && ev.evaluations + fresh < ev.budget;) {
        let parent = pop[rng.int(pop.length)]!;
        for (let k = 1; k < S; k++) {
          const c = pop[rng.int(pop.length)]!;
          if (fitter(c, parent)) parent = c;
        }
        const known = (a: AnyArch) => ev.has(a) || planned.has(a.text);
        let child = mutateArch(parent.arch, rng);
        for (let t = 0; t < 20 && known(child); t++) child = mutateArch(child, rng);
        if (!known(child)) {
          planned.add(child.text);
          fresh++;
        }
        round.push(child);
      }
    }
    yield { prefetch: round.filter((a) => !ev.has(a)) };
    if (o.shouldStop?.()) {
      checkpoint(round);
      return { cycles: cycle, stopped: true };
    }
    for (let k = 0; k < round.length; k++) {
      const child = round[k]!;
      const isNew = !ev.has(child);
      // an already evaluated child still ages the population (it costs no evaluation)
      pop.push(ev.evaluate(child)!);
      pop.shift();
      cycle++;
      stall = isNew ? 0 : stall + 1;
      if (isNew) yield;
      if (cycle % P === 0) due = true;
      // checkpoints fall between rounds: the RNG has bred the whole round
      if (due && k === round.length - 1) {
        checkpoint();
        due = false;
      }
      if (isNew && o.shouldStop?.()) {
        checkpoint(round.slice(k + 1));
        return { cycles: cycle, stopped: true };
      }
    }
  }
  return { cycles: cycle };
}
