/** `nsga2`: NSGA-II over the space's architectures with any objective list (see ../nsga2.ts). */
import { z } from 'zod';
import { queuedMooOptions, openMooSession, runSearchSteps, stopper, type MooOptions } from '../multi-objective.js';
import { nsga2Steps, type Nsga2State } from '../nsga2.js';
import type { SearchStrategy } from '../strategy.js';

const options = queuedMooOptions.extend({
  popSize: z.number().int().min(2).max(100000).default(20).describe('population size'),
});

export const nsga2Strategy: SearchStrategy<z.output<typeof options>> = {
  name: 'nsga2',
  summary: 'NSGA-II (Deb et al. 2002): multi-objective evolution with non-dominated sorting and crowding distance (--redis: each generation is one batch of worker jobs)',
  options,
  async run(sc, opts) {
    const o: MooOptions = { ...opts, strategy: 'nsga2' };
    const s = await openMooSession<Nsga2State>(sc, o, 'accuracy,latency:pixel3');
    const steps = nsga2Steps(s.ev, {
      space: o.space,
      seed: o.seed,
      popSize: opts.popSize,
      onGeneration: sc.quiet ? undefined : (gen, n) => sc.log(`generation ${gen}: ${n} evaluations`),
      resume: s.state,
      onCheckpoint: s.checkpoint,
      shouldStop: stopper(sc),
    });
    return runSearchSteps(sc, o, s, steps, (g) => ({ generations: g.generations, popSize: opts.popSize }));
  },
};
