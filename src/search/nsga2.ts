/**
 * NSGA-II (Deb et al. 2002) over architectures (NB201 cells or DARTS genotypes), with any objective
 * list (table accuracy, DAS, trained accuracy, params, FLOPs, latencies) and Deb's constrained
 * domination. Generational loop:
 *   - initial population: `popSize` distinct uniform samples;
 *   - offspring: binary tournaments (lower constrained-front rank wins, then larger crowding
 *     distance), uniform crossover with probability `crossoverProb` (per NB201 edge / per DARTS
 *     node), then `mutations` single-edge/-gene mutations (mutateArch); a child already evaluated is
 *     re-mutated (up to 20 tries) so the budget goes to new architectures;
 *   - environmental selection on parents ∪ offspring: fronts in order, the last one split by
 *     crowding distance.
 * Stops when `budget` distinct architectures have been evaluated.
 *
 * Resumable: `onCheckpoint` receives the state after the initial population and after every
 * generation (generation, stall count, RNG state, population as evaluation numbers); given back as
 * `resume` with an evaluator holding the same first `evaluations` records, the run continues
 * exactly as if never interrupted.
 *
 * `nsga2Steps` is the same algorithm as a step generator (it yields after every evaluation and,
 * with `shouldStop`, ends early after the current evaluation): `drainAsync` runs it with the
 * event loop getting turns (Ctrl-C in the CLI), `nsga2` runs it synchronously.
 */
import { mutateArch, sampleArch, type AnyArch, type SpaceName } from '../spaces/index.js';
import { crowdingDistance } from '../objectives/pareto.js';
import { Rng } from '../util/rng.js';
import { TsnasError } from '../util/errors.js';
import { constrainedSort, crossoverArch, drawNewArchs, type EvalRecord, type MooEvaluator } from './moo-common.js';
import { drain, type Steps } from './steps.js';

export interface Nsga2Options {
  space: SpaceName;
  seed: number;
  /** Population size (default 20). */
  popSize?: number;
  /** Probability of crossover for a child (default 0.9). */
  crossoverProb?: number;
  /** Mutations applied to every child (default 1). */
  mutations?: number;
  /** Called after each generation with the number of evaluations so far. */
  onGeneration?: (gen: number, evaluations: number) => void;
  /** Initial population (e.g. from a pool); default uniform samples. */
  init?: (rng: Rng) => AnyArch;
  /** Continue from a checkpoint (the evaluator must already hold its first `evaluations` records). */
  resume?: Nsga2State;
  /** Told the state after the initial population and after every generation. */
  onCheckpoint?: (s: Nsga2State) => void;
  /** Polled after every evaluation (nsga2Steps): true ends the run there, `stopped` in the outcome. */
  shouldStop?: () => boolean;
}

export interface Nsga2Outcome {
  generations: number;
  /** Ended early by `shouldStop` (the evaluator holds the evaluations made so far). */
  stopped?: true;
}

/** What NSGA-II needs to continue: everything else is in the evaluator's history. */
export interface Nsga2State {
  generation: number;
  stall: number;
  rng: number;
  /** The population as 1-based evaluation numbers (EvalRecord.at). */
  population: number[];
  evaluations: number;
}

interface Ranked {
  rec: EvalRecord;
  rank: number;
  crowd: number;
}

function rankAndCrowd(recs: EvalRecord[], ev: MooEvaluator): Ranked[] {
  const fronts = constrainedSort(recs, ev.directions);
  const out: Ranked[] = new Array(recs.length);
  fronts.forEach((f, r) => {
    const cd = crowdingDistance(f.map((i) => recs[i]!.values));
    f.forEach((i, k) => (out[i] = { rec: recs[i]!, rank: r, crowd: cd[k]! }));
  });
  return out;
}

function better(a: Ranked, b: Ranked): boolean {
  return a.rank < b.rank || (a.rank === b.rank && a.crowd > b.crowd);
}

/** Run NSGA-II until the evaluator's budget is spent; the evaluator holds the history and front. */
export function nsga2(ev: MooEvaluator, o: Nsga2Options): Nsga2Outcome {
  return drain(nsga2Steps(ev, o));
}

/** NSGA-II as a step generator: yields after every evaluation. */
export function* nsga2Steps(ev: MooEvaluator, o: Nsga2Options): Steps<Nsga2Outcome> {
  const P = o.popSize ?? 20;
  const pc = o.crossoverProb ?? 0.9;
  const nm = o.mutations ?? 1;
  if (!(Number.isInteger(P) && P >= 2)) throw new TsnasError(`NSGA-II population size must be an integer >= 2, got ${P}`);
  const rng = new Rng(o.seed);
  const sample = o.init ?? ((r: Rng) => sampleArch(o.space, r));

  let pop: EvalRecord[] = [];
  let gen = 0;
  let stall = 0;
  const checkpoint = () => o.onCheckpoint?.({ generation: gen, stall, rng: rng.state, population: pop.map((r) => r.at), evaluations: ev.evaluations });
  if (o.resume) {
    const s = o.resume;
    if (ev.evaluations !== s.evaluations) throw new TsnasError(`NSGA-II resume: the evaluator holds ${ev.evaluations} evaluations, the checkpoint ${s.evaluations}`);
    pop = s.population.map((at) => ev.history[at - 1]!);
    gen = s.generation;
    stall = s.stall;
    rng.state = s.rng;
  } else {
    // the population is drawn first (the draws do not depend on values), announced, then evaluated
    const plan = drawNewArchs(ev, sample, rng, P, 100 * P);
    yield { prefetch: plan };
    if (o.shouldStop?.()) return { generations: gen, stopped: true };
    for (const a of plan) {
      pop.push(ev.evaluate(a)!);
      yield;
      if (o.shouldStop?.()) return { generations: gen, stopped: true };
    }
    checkpoint();
  }
  o.onGeneration?.(gen, ev.evaluations);
  while (!ev.exhausted && stall < 50) {
    const ranked = rankAndCrowd(pop, ev);
    const tour = (): EvalRecord => {
      const a = ranked[rng.int(ranked.length)]!;
      const b = ranked[rng.int(ranked.length)]!;
      return (better(a, b) ? a : better(b, a) ? b : rng.next() < 0.5 ? a : b).rec;
    };
    // the generation's children are bred first (breeding reads only the parents' values), announced as one batch, then evaluated
    const plan: AnyArch[] = [];
    const seen = new Set(pop.map((r) => r.arch.text));
    for (let tries = 0; plan.length < P && ev.evaluations + plan.length < ev.budget && tries < 20 * P; tries++) {
      const p1 = tour();
      const p2 = tour();
      let child = rng.next() < pc ? crossoverArch(p1.arch, p2.arch, rng) : p1.arch;
      for (let k = 0; k < nm; k++) child = mutateArch(child, rng);
      for (let t = 0; t < 20 && (ev.has(child) || seen.has(child.text)); t++) child = mutateArch(child, rng);
      if (seen.has(child.text)) continue;
      seen.add(child.text);
      plan.push(child);
    }
    yield { prefetch: plan };
    if (o.shouldStop?.()) return { generations: gen, stopped: true };
    const kids: EvalRecord[] = [];
    for (const child of plan) {
      kids.push(ev.evaluate(child)!);
      yield;
      if (o.shouldStop?.()) return { generations: gen, stopped: true };
    }
    stall = kids.length === 0 ? stall + 1 : 0;
    // environmental selection
    const union = [...pop, ...kids];
    const fronts = constrainedSort(union, ev.directions);
    const next: EvalRecord[] = [];
    for (const f of fronts) {
      if (next.length + f.length <= P) {
        for (const i of f) next.push(union[i]!);
      } else {
        const cd = crowdingDistance(f.map((i) => union[i]!.values));
        const order = f.map((i, k) => ({ i, d: cd[k]! })).sort((a, b) => b.d - a.d || a.i - b.i);
        for (const { i } of order.slice(0, P - next.length)) next.push(union[i]!);
      }
      if (next.length >= P) break;
    }
    pop = next;
    gen++;
    checkpoint();
    o.onGeneration?.(gen, ev.evaluations);
  }
  return { generations: gen };
}
