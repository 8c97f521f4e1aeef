/** `evolution`: regularized (aging) evolution over the space's architectures with any objective list (see ../evolution.ts). */
import { z } from 'zod';
import { TsnasError } from '../../util/errors.js';
import { evolutionSteps, type EvolutionState } from '../evolution.js';
import { buildResult } from '../moo-common.js';
import { finishedResult, mooOptions, openMooSession, runSteps, stoppedResult, stopper, type MooOptions } from '../multi-objective.js';
import type { SearchStrategy } from '../strategy.js';

const options = mooOptions.extend({
  popSize: z.number().int().min(2).max(100000).default(20).describe('population size (P)'),
  sampleSize: z.number().int().min(1).max(100000).optional().describe('tournament size (S, at most P; default min(5, P)): the fittest of S random members is mutated'),
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
  summary: 'regularized evolution (Real et al. 2019): tournament selection, mutation, the oldest member leaves',
  options,
  async run(sc, opts) {
    const sampleSize = opts.sampleSize ?? Math.min(5, opts.popSize);
    if (sampleSize > opts.popSize) throw new TsnasError(`--sample-size ${sampleSize} exceeds --pop-size ${opts.popSize}`);
    const o: MooOptions = { ...opts, sampleSize, strategy: 'evolution' };
    const s = await openMooSession<EvolutionState>(sc, o, 'accuracy');
    const weights = parseWeights(opts.weights, s.ev.objectives.length);
    const t0 = performance.now();
    const g = await runSteps(
      evolutionSteps(s.ev, {
        space: o.space,
        seed: o.seed,
        popSize: opts.popSize,
        sampleSize,
        weights,
        onProgress: sc.quiet ? undefined : (cycle, n) => sc.log(`cycle ${cycle}: ${n} evaluations`),
        resume: s.state,
        onCheckpoint: s.checkpoint,
        shouldStop: stopper(sc),
      }),
    );
    if (g.stopped) return stoppedResult(sc, o, s);
    const res = buildResult('evolution', o.space, s.ev, o.seed, (performance.now() - t0) / 1000, undefined, { cycles: g.cycles, popSize: opts.popSize, sampleSize });
    return finishedResult(sc, o, s, res);
  },
};
