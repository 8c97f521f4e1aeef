/**
 * TND-NAS reward shaping from the objectives. Default, `product` (MnasNet-style weighted product
 * as in the author's code):
 *   R = acc × Π_k (obj_k / target_k[stage])^{w[stage]}
 * acc in [0, 1]; for each further objective k a per-stage target and exponent. The author's values
 * (params on the DARTS 20-cell network): targets [4.4, 3.2, 2.5] M, w [−0.95, −1, −1]. For other
 * objectives the targets default to the median of the first α step's samples times the author's
 * ratios [1, 3.2/4.4, 2.5/4.4]; w is negated for objectives to maximise.
 * Other scalarisations: `mnas-hard` (w only where obj exceeds its target, MnasNet's hard
 * constraint) and `linear` (acc + Σ_k w_k·(obj_k/target_k − 1), w_k signed by direction).
 * A violated constraint multiplies the reward by (1 + violation/|bound|)^−2.
 */
import type { ArchObjective } from '../../objectives/objectives.js';
import { median } from '../../util/stats.js';

export type Scalarisation = 'product' | 'mnas-hard' | 'linear';
export const SCALARISATIONS: readonly Scalarisation[] = ['product', 'mnas-hard', 'linear'];

/** The author's per-stage exponents and the ratios of their per-stage params targets. */
export const TND_EXPONENTS = [-0.95, -1, -1];
export const TND_TARGET_RATIOS = [1, 3.2 / 4.4, 2.5 / 4.4];

export interface RewardConfig {
  scalarisation: Scalarisation;
  /** Per-stage exponent magnitudes' signed values for objectives to minimise (default TND_EXPONENTS). */
  exponents: number[];
  /** targets[k][stage] for the k-th non-accuracy objective (undefined: set from the first samples). */
  targets?: number[][];
}

/** The TND-NAS reward of one architecture at a stage; `objs[0]` is the accuracy (percent). */
export function tndReward(values: readonly number[], objs: readonly ArchObjective[], targets: readonly number[][], stage: number, cfg: RewardConfig): number {
  const acc = values[0]! / 100;
  let r = acc;
  for (let k = 1; k < objs.length; k++) {
    const o = objs[k]!;
    const T = targets[k - 1]![Math.min(stage, targets[k - 1]!.length - 1)]!;
    const wMin = cfg.exponents[Math.min(stage, cfg.exponents.length - 1)]!;
    const w = o.direction === 'min' ? wMin : -wMin;
    const ratio = Math.max(values[k]!, 1e-9) / T;
    if (cfg.scalarisation === 'product') r *= ratio ** w;
    else if (cfg.scalarisation === 'mnas-hard') r *= (o.direction === 'min' ? ratio > 1 : ratio < 1) ? ratio ** w : 1;
    else r += w * (ratio - 1);
  }
  let viol = 0;
  objs.forEach((o, k) => {
    const v = o.violation(values[k]!);
    if (v > 0) viol += v / Math.max(Math.abs(o.spec.constraint!.value), 1e-9);
  });
  return viol > 0 ? r * (1 + viol) ** -2 : r;
}

/** Default targets: median of the first samples' values × the author's per-stage ratios (inverted for 'max'). */
export function defaultTargets(objs: readonly ArchObjective[], first: readonly (readonly number[])[], stages: number): number[][] {
  return objs.slice(1).map((o, k) => {
    const med = median(first.map((v) => v[k + 1]!));
    const base = med > 0 ? med : 1e-3;
    return Array.from({ length: stages }, (_, s) => {
      const r = TND_TARGET_RATIOS[Math.min(s, TND_TARGET_RATIOS.length - 1)]!;
      return o.direction === 'min' ? base * r : base / r;
    });
  });
}
