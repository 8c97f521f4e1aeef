/**
 * TND-NAS (Lyu & Wen, arXiv 2111.03892) on NB201: α optimised directly by policy gradient inside a
 * progressive shrinking of the op set. policy.ts: the categorical policy, REINFORCE, shrinking;
 * reward.ts: reward shaping from the objectives; table.ts: table mode (NB201 table accuracy);
 * supernet.ts: supernet mode (weight-sharing supernet accuracy); presets.ts: supernet presets.
 */
export { ArrayAdam } from '../../optim/index.js';
export { TndPolicy, expectedReward, nb201ArchOfChoice, reinforceGrad, reinforceStep, type TndOutcome, type TndPolicyState, type TndSearchOptions, type TndStepLog } from './policy.js';
export { SCALARISATIONS, TND_EXPONENTS, TND_TARGET_RATIOS, defaultTargets, tndReward, type RewardConfig, type Scalarisation } from './reward.js';
export { TND_PRESETS, type TndSupernetPreset } from './presets.js';
export { TND_IDLE_STEPS, tndNasTable, tndNasTableSteps, type TndTableOptions, type TndTableState } from './table.js';
export { tndNasSupernet, tndNasSupernetSteps, type TndSupernetOptions, type TndSupernetOutcome, type TndSupernetState } from './supernet.js';
