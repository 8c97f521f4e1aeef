/**
 * Random search baseline for multi-objective search: distinct uniform samples until the budget is
 * spent; the result is the (constrained) non-dominated set of everything evaluated. Same budget API
 * as NSGA-II (an evaluator with a budget).
 */
import { sampleArch, type AnyArch, type SpaceName } from '../spaces/index.js';
import { Rng } from '../util/rng.js';
import type { MooEvaluator } from './moo-common.js';
import { drain, type Steps } from './steps.js';

export interface RandomSearchOptions {
  space: SpaceName;
  seed: number;
  sample?: (rng: Rng) => AnyArch;
  /** Polled after every evaluation (randomSearchSteps): true ends the search there. */
  shouldStop?: () => boolean;
}

/** Samples drawn and announced at a time (a batch of queue jobs). */
const PLAN_CHUNK = 256;

export function randomSearch(ev: MooEvaluator, o: RandomSearchOptions): void {
  drain(randomSearchSteps(ev, o));
}

/** Random search as a step generator: yields after every evaluation; returns whether `shouldStop` ended it. */
export function* randomSearchSteps(ev: MooEvaluator, o: RandomSearchOptions): Steps<{ stopped?: true }> {
  const rng = new Rng(o.seed);
  const sample = o.sample ?? ((r: Rng) => sampleArch(o.space, r));
  let tries = 0;
  while (!ev.exhausted && tries < 100 * ev.budget) {
    // draw a chunk (the draws do not depend on values), announce it, then evaluate it
    const plan: AnyArch[] = [];
    const planned = new Set<string>();
    for (; plan.length < PLAN_CHUNK && ev.evaluations + plan.length < ev.budget && tries < 100 * ev.budget; tries++) {
      const a = sample(rng);
      if (ev.has(a) || planned.has(a.text)) continue;
      plan.push(a);
      planned.add(a.text);
    }
    yield { prefetch: plan };
    if (o.shouldStop?.()) return { stopped: true };
    for (const a of plan) {
      // a time limit ends the chunk early: the evaluated ones stay a prefix of the seeded sequence
      if (ev.timeUp) break;
      ev.evaluate(a);
      yield;
      if (o.shouldStop?.()) return { stopped: true };
    }
  }
  return {};
}
