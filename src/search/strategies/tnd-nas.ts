/**
 * `tnd-nas`: TND-NAS (REINFORCE on α over the discrete space, progressive shrinking of the
 * targets), with accuracy from a weight-sharing supernet (NB201 or DARTS space) or, with
 * `tableAccuracy`, from the NB201 table (to study the policy gradient cheaply). See ../tnd-nas/.
 * On any other space (and on DARTS when the first objective is not accuracy:supernet) the policy
 * is over the space's `decisions()` and the first objective is evaluated as given (a
 * training-free score such as naswot, or accuracy:trained).
 */
import { z } from 'zod';
import { downsample, loadDataset } from '../../data/index.js';
import { decodeArch, getSpace, type AnyArch } from '../../spaces/index.js';
import { TsnasError } from '../../util/errors.js';
import { buildResult } from '../moo-common.js';
import { finishedResult, mooOptions, openMooSession, runSteps, stoppedResult, stopper, type MooOptions, type MooSession } from '../multi-objective.js';
import { parseObjectives } from '../../objectives/index.js';
import type { SearchResult } from '../result.js';
import type { SearchContext, SearchStrategy } from '../strategy.js';
import { tndPolicyOptions, tndPolicySettings, parseKeep } from '../tnd-nas/policy-options.js';
import { TND_DARTS_PRESETS, TND_PRESETS, tndNasSupernetSteps, tndNasTableSteps, tndSpace, type TndOutcome, type TndSupernetState, type TndTableState } from '../tnd-nas/index.js';

const options = mooOptions
  .extend({
    tndSamples: z.number().int().min(1).max(1000).default(10).describe('architectures sampled per α step'),
    tableAccuracy: z.boolean().optional().describe('take accuracy from the NB201 table instead of the supernet (benchmarks the policy gradient and shrinking cheaply)'),
    preset: z.enum(['cpu-small', 'paper', 'tiny']).optional().describe('supernet training preset (default cpu-small); accuracy:trained: per-architecture training preset'),
    partialChannels: z.number().int().min(1).max(64).optional().describe("supernet mode: PC-DARTS partial channels K, each edge's op on C/K channels (default 1; must divide the preset's C)"),
    rescoreImages: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .optional()
      .describe("supernet mode: held-out images the final supernet re-scores every sampled architecture on (default: one batch of the preset's size)"),
    fixedDepth: z
      .boolean()
      .optional()
      .describe("supernet mode: keep the first stage's depth, so the supernet's weights carry over from stage to stage (default: a deeper supernet built afresh per stage, as P-DARTS)"),
  })
  .extend(tndPolicyOptions.shape);

export const tndNasStrategy: SearchStrategy<z.output<typeof options>> = {
  name: 'tnd-nas',
  summary: 'TND-NAS: policy gradient on α in the discrete space with progressive shrinking, for non-differentiable objectives',
  options,
  async run(sc, opts) {
    const o: MooOptions = { ...opts, strategy: 'tnd-nas' };
    // the supernet modes: NB201 always, DARTS unless the first objective asks for another accuracy
    const supernetSpace = o.space === 'nb201' || (o.space === 'darts' && (!o.objectives || parseObjectives(o.objectives)[0]?.source === 'supernet'));
    const supernetFlag = opts.partialChannels !== undefined ? '--partial-channels' : opts.rescoreImages !== undefined ? '--rescore-images' : opts.fixedDepth ? '--fixed-depth' : undefined;
    if (!supernetSpace) {
      if (supernetFlag) throw new TsnasError(`${supernetFlag} sets the supernet; --space ${o.space} with these objectives trains none`);
      return evaluatorMode(sc, o);
    }
    const space = tndSpace(o.space);
    const maxOps = space.keep[0]!;
    parseKeep(opts.keep, maxOps); // checked before the run exists
    const tableMode = Boolean(opts.tableAccuracy);
    if (tableMode && space.name !== 'nb201') throw new TsnasError(`--table-accuracy reads the NB201 table; --space ${o.space} has none`);
    if (tableMode && supernetFlag) throw new TsnasError(`${supernetFlag} sets the supernet; --table-accuracy trains none`);
    const preset = (space.name === 'darts' ? TND_DARTS_PRESETS : TND_PRESETS)[o.preset ?? 'cpu-small']!;
    // checked before anything runs (every cell's C is a multiple of the preset's)
    if (!tableMode && preset.C % (opts.partialChannels ?? 1) !== 0) throw new TsnasError(`--partial-channels ${opts.partialChannels} must divide the ${preset.name} preset's C (${preset.C})`);
    let hook: ((a: AnyArch) => number) | undefined;
    const defaultObjectives = tableMode ? 'accuracy,latency:pixel3' : space.name === 'nb201' ? 'accuracy:supernet,latency:pixel3' : 'accuracy:supernet,params';
    const s = await openMooSession<TndTableState | TndSupernetState>(sc, o, defaultObjectives, (specs, ctx) => {
      if (tableMode && specs[0]!.source !== 'table') throw new TsnasError('--table-accuracy: the first objective must be a table accuracy (e.g. accuracy)');
      if (!tableMode && specs[0]!.source !== 'supernet') throw new TsnasError("tnd-nas: the first objective must be accuracy:supernet (or pass --table-accuracy with 'accuracy')");
      ctx.supernetAccuracy = (a) => hook!(a);
    });
    const t0 = performance.now();
    const samples = opts.tndSamples;
    const pol = tndPolicySettings(opts, s.ev.objectives, space.keep, maxOps);
    if (tableMode) {
      const out = await runSteps(tndNasTableSteps(s.ev, { seed: o.seed, samples, ...pol, resume: s.state as TndTableState | undefined, onCheckpoint: s.checkpoint, shouldStop: stopper(sc) }));
      return policyResult(sc, o, s, t0, out, { mode: 'table' });
    }
    let data = loadDataset(o.dataset ?? 'cifar10', { dataDir: o.dataDir, split: 'train', limit: preset.dataLimit, seed: o.seed });
    if (data.height !== preset.imageSize) {
      if (data.height % preset.imageSize !== 0) throw new TsnasError(`tnd-nas preset ${preset.name}: ${data.height}-px images cannot be pooled to ${preset.imageSize} px`);
      data = downsample(data, data.height / preset.imageSize);
    }
    const out = await runSteps(
      tndNasSupernetSteps(
        s.ev,
        {
          seed: o.seed,
          samples,
          ...pol,
          space,
          preset,
          partialChannels: opts.partialChannels,
          rescoreImages: opts.rescoreImages,
          fixedDepth: opts.fixedDepth,
          data,
          onLog: sc.quiet ? undefined : sc.log,
          resume: s.state as TndSupernetState | undefined,
          onCheckpoint: s.checkpoint,
          shouldStop: stopper(sc),
        },
        (f) => (hook = f),
      ),
    );
    if (out.stopped) return stoppedResult(sc, o, s, ', supernet checkpointed');
    const res = buildResult('tnd-nas', o.space, s.ev, o.seed, (performance.now() - t0) / 1000, out.frontRecords, {
      mode: 'supernet',
      preset: preset.name,
      ...(opts.partialChannels !== undefined ? { partialChannels: opts.partialChannels } : {}),
      ...(opts.fixedDepth ? { fixedDepth: true } : {}),
      ...policySummary(out),
      note: `accuracy:supernet values are one-hot subnet accuracies of the final supernet on ${opts.rescoreImages !== undefined ? `${opts.rescoreImages} held-out images` : 'a fixed validation batch'}`,
    });
    return finishedResult(sc, o, s, res);
  },
};

/**
 * TND-NAS over the decisions of a space other than NB201: each sampled code vector is decoded by
 * the space and evaluated by the objectives (the first, to maximise, plays the accuracy).
 */
async function evaluatorMode(sc: SearchContext, o: MooOptions): Promise<SearchResult> {
  if (o.tableAccuracy) throw new TsnasError(`--table-accuracy reads the NB201 table; --space ${o.space} has none`);
  const space = getSpace(o.space);
  const decisions = space.decisions();
  parseKeep(o.keep, Math.max(...decisions.map((d) => d.choices.length))); // checked before the run exists
  const s = await openMooSession<TndTableState>(sc, o, 'naswot,params', (specs) => {
    if (specs[0]!.source === 'supernet') throw new TsnasError(`tnd-nas: accuracy:supernet needs a supernet, and --space ${o.space} has none wired up; use naswot, das or accuracy:trained first`);
    if (specs[0]!.direction !== 'max') throw new TsnasError(`tnd-nas: the first objective (${specs[0]!.key}) must be one to maximise (an accuracy or a training-free score)`);
  });
  const t0 = performance.now();
  const sizes = decisions.map((d) => d.choices.length);
  const out = await runSteps(
    tndNasTableSteps(s.ev, {
      seed: o.seed,
      samples: o.tndSamples ?? 10,
      ...tndPolicySettings(o, s.ev.objectives, [Math.max(...sizes), 3, 2], Math.max(...sizes)),
      decisionSizes: sizes,
      archOfChoice: (c) => decodeArch(o.space, c),
      describeChoice: (e, k) => `${decisions[e]!.label}: ${decisions[e]!.choices[k]}`,
      resume: s.state,
      onCheckpoint: s.checkpoint,
      shouldStop: stopper(sc),
    }),
  );
  return policyResult(sc, o, s, t0, out, { mode: 'evaluator', decisions: decisions.map((d) => d.label) });
}

/** The result of a table- or evaluator-mode run (the loop of tndNasTableSteps): stopped, or the evaluations with the policy's summary. */
function policyResult<S>(sc: SearchContext, o: MooOptions, s: MooSession<S>, t0: number, out: TndOutcome, mode: Record<string, unknown>): SearchResult {
  if (out.stopped) return stoppedResult(sc, o, s, ` (α step ${out.log.length + 1})`);
  const res = buildResult('tnd-nas', o.space, s.ev, o.seed, (performance.now() - t0) / 1000, undefined, {
    ...mode,
    ...policySummary(out),
    finalMeanReward: out.log.at(-1)?.meanReward,
  });
  return finishedResult(sc, o, s, res);
}

/** What every mode reports of its policy at the end: the argmax, the shrinking, α and how undecided it still is. */
function policySummary(out: Pick<TndOutcome, 'argmax' | 'targets' | 'stages' | 'log' | 'policy'>): Record<string, unknown> {
  return { argmax: out.argmax, targets: out.targets, stages: out.stages, alphaSteps: out.log.length, alpha: out.policy.alpha, entropy: out.policy.normalizedEntropy() };
}
