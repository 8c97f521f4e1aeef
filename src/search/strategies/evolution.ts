/** `evolution`: regularized (aging) evolution over the space's architectures with any objective list (see ../evolution.ts). */
import { z } from 'zod';
import { TsnasError } from '../../util/errors.js';
import { evolutionSteps, type EvolutionState } from '../evolution.js';
import { openMooSession, queuedMooOptions, runSearchSteps, stopper, type MooOptions } from '../multi-objective.js';
import type { SearchStrategy } from '../strategy.js';

const options = queuedMooOptions.extend({
  popSize: z.number().int().min(2).max(100000).default(20).describe('population size (P)'),
  sampleSize: z.number().int().min(1).max(100000).optional().describe('tournament size (S, at most P; default min(5, P)): the fittest of S random members is mutated'),
  roundSize: z
    .number()
    .int()
    .min(1)
    .max(100000)
    .default(1)
    .describe('children bred per round from the same population and evaluated side by side (with --redis: one batch of worker jobs; about the number of workers); 1: one child per cycle'),
  weights: z.string().optional().describe('fitness as a weighted sum of the objectives, comma-separated, one per objective (a positive weight rewards improving it); default: the first objective'),
});

/** `--weights 1,0.2` as numbers, one per objective. */
function parseWeights(text: string | undefined, objectives: number): number[] | undefined {
  if (text === undefined) return undefined;
  const w = text.split(',').map((s) => Number(s.trim()));
  if (w.some((x, i) => !Number.isFinite(x) || text.split(',')[i]!.trim() === '')) throw new TsnasError(`--weights '${text}': expected comma-separated numbers`);
  if (w.length !== objectives) throw new TsnasError(`--weights '${text}' has ${w.length} weights for ${objectives} objectives`);
  return w;
}

export const evolutionStrategy: SearchStrategy<z.output<typeof options>> = {
  name: 'evolution',
  summary: 'regularized evolution (Real et al. 2019): tournament selection, mutation, the oldest member leaves (--redis: each round of --round-size children is one batch of worker jobs)',
  options,
  async run(sc, opts) {
    const sampleSize = opts.sampleSize ?? Math.min(5, opts.popSize);
    if (sampleSize > opts.popSize) throw new TsnasError(`--sample-size ${sampleSize} exceeds --pop-size ${opts.popSize}`);
    const o: MooOptions = { ...opts, sampleSize, strategy: 'evolution' };
    const s = await openMooSession<EvolutionState>(sc, o, 'accuracy');
    const weights = parseWeights(opts.weights, s.ev.objectives.length);
    const steps = evolutionSteps(s.ev, {
      space: o.space,
      seed: o.seed,
      popSize: opts.popSize,
      sampleSize,
      roundSize: opts.roundSize,
      weights,
      onProgress: sc.quiet ? undefined : (cycle, n) => sc.log(`cycle ${cycle}: ${n} evaluations`),
      resume: s.state,
      onCheckpoint: s.checkpoint,
      shouldStop: stopper(sc),
    });
    return runSearchSteps(sc, o, s, steps, (g) => ({ cycles: g.cycles, popSize: opts.popSize, sampleSize, roundSize: opts.roundSize }));
  },
};
