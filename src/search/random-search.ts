/**
 * Random search baseline for multi-objective search: distinct uniform samples until the budget is
 * spent; the result is the (constrained) non-dominated set of everything evaluated. Same budget API
 * as NSGA-II (an evaluator with a budget).
 */
import { sampleArch, type AnyArch, type SpaceName } from '../spaces/index.js';
import { Rng } from '../util/rng.js';
import type { MooEvaluator } from './moo-common.js';

export interface RandomSearchOptions {
  space: SpaceName;
  seed: number;
  sample?: (rng: Rng) => AnyArch;
}

export function randomSearch(ev: MooEvaluator, o: RandomSearchOptions): void {
  const rng = new Rng(o.seed);
  const sample = o.sample ?? ((r: Rng) => sampleArch(o.space, r));
  for (let tries = 0; !ev.exhausted && tries < 100 * ev.budget; tries++) {
    const a = sample(rng);
    if (!ev.has(a)) ev.evaluate(a);
  }
}
