/** `random`: distinct uniform samples until the budget is spent; the result is their non-dominated set. */
import type { z } from 'zod';
import { queuedMooOptions, openMooSession, runSearchSteps, stopper, type MooOptions } from '../multi-objective.js';
import { randomSearchSteps } from '../random-search.js';
import type { SearchStrategy } from '../strategy.js';

export const randomStrategy: SearchStrategy<z.output<typeof queuedMooOptions>> = {
  name: 'random',
  summary: 'random search: distinct uniform samples, the non-dominated set of everything evaluated (the multi-objective baseline)',
  options: queuedMooOptions,
  async run(sc, opts) {
    const o: MooOptions = { ...opts, strategy: 'random' };
    const s = await openMooSession(sc, o, 'accuracy,latency:pixel3');
    return runSearchSteps(sc, o, s, randomSearchSteps(s.ev, { space: o.space, seed: o.seed, shouldStop: stopper(sc) }));
  },
};
