/**
 * The policy's knobs as `tsnas search tnd-nas` flags: α's learning rate, the reward's
 * scalarisation and targets, and the ops kept per stage. Defaults are the author's; the NB201
 * regret study and the DARTS supernet ranking (docs/benchmarks/multi-objective.md) show why a user
 * steering to a target at a small budget wants others (a bounded reward with T as its target, a
 * faster α, no shrinking before α has moved).
 */
import { z } from 'zod';
import type { ArchObjective } from '../../objectives/objectives.js';
import { TsnasError } from '../../util/errors.js';
import type { TndSearchOptions } from './policy.js';
import { SCALARISATIONS, type Scalarisation } from './reward.js';

export const tndPolicyOptions = z.object({
  policyLr: z.number().gt(0).max(100).optional().describe("Adam learning rate of α (default 0.01, the author's)"),
  reward: z
    .enum(SCALARISATIONS as unknown as [Scalarisation, ...Scalarisation[]])
    .optional()
    .describe("reward scalarisation: product (the author's, acc·(obj/target)^w), mnas-hard (w only past the target: bounded), linear"),
  rewardTargets: z
    .string()
    .optional()
    .describe(
      "reward targets of the objectives after the first: 'constraint' (each objective's own <= or >= bound, at every stage), or per-stage numbers, comma-separated, one ';'-separated group per objective (default: the first samples' median × the author's ratios)",
    ),
  keep: z.string().optional().describe('ops kept per edge in each stage, comma-separated and non-increasing (default NB201 5,3,2; DARTS 7,5,3); one value per stage, so 7,7,7 never shrinks'),
});
export type TndPolicyFlags = z.output<typeof tndPolicyOptions>;

/** `--keep` as numbers, checked against the space's ops per edge. */
export function parseKeep(text: string | undefined, maxOps: number): number[] | undefined {
  if (text === undefined) return undefined;
  const k = text.split(',').map((s) => Number(s.trim()));
  if (k.length === 0 || k.some((v) => !Number.isInteger(v) || v < 1 || v > maxOps)) throw new TsnasError(`--keep '${text}': expected comma-separated integers in [1, ${maxOps}]`);
  if (k.some((v, i) => i > 0 && v > k[i - 1]!)) throw new TsnasError(`--keep '${text}': the ops kept per stage must not increase`);
  return k;
}

/** `--reward-targets` as targets[objective][stage] over `stages` stages, for the objectives after the first. */
export function parseRewardTargets(text: string | undefined, objs: readonly ArchObjective[], stages: number): number[][] | undefined {
  if (text === undefined) return undefined;
  const rest = objs.slice(1);
  if (text.trim() === 'constraint') {
    return rest.map((o) => {
      const c = o.spec.constraint;
      if (!c) throw new TsnasError(`--reward-targets constraint: objective '${o.key}' has no bound (write it as ${o.key}<=T)`);
      return new Array<number>(stages).fill(c.value);
    });
  }
  const groups = text.split(';');
  if (groups.length !== rest.length) throw new TsnasError(`--reward-targets '${text}' has ${groups.length} group(s) for ${rest.length} objective(s) after the first`);
  return groups.map((g, k) => {
    const t = g.split(',').map((s) => Number(s.trim()));
    if (t.some((v) => !Number.isFinite(v) || v <= 0)) throw new TsnasError(`--reward-targets '${g}' (${rest[k]!.key}): expected positive numbers`);
    if (t.length !== 1 && t.length !== stages) throw new TsnasError(`--reward-targets '${g}' (${rest[k]!.key}): give 1 value or one per stage (${stages})`);
    return t.length === 1 ? new Array<number>(stages).fill(t[0]!) : t;
  });
}

/** The TndSearchOptions the flags set (absent flags leave the author's defaults). */
export function tndPolicySettings(f: TndPolicyFlags, objs: readonly ArchObjective[], defaultKeep: readonly number[], maxOps: number): Partial<TndSearchOptions> {
  const keep = parseKeep(f.keep, maxOps) ?? [...defaultKeep];
  const targets = parseRewardTargets(f.rewardTargets, objs, keep.length);
  return {
    ...(f.keep !== undefined ? { keep } : {}),
    ...(f.policyLr !== undefined ? { lr: f.policyLr } : {}),
    ...(f.reward !== undefined ? { scalarisation: f.reward } : {}),
    ...(targets ? { targets } : {}),
  };
}
