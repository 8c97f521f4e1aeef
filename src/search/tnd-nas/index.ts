/**
 * TND-NAS (Lyu & Wen, arXiv 2111.03892) on NB201 and DARTS: α optimised directly by policy gradient
 * inside a progressive shrinking of the op set. policy.ts: the categorical policies, REINFORCE,
 * shrinking; darts-policy.ts: the DARTS policy (node input pairs, edge ops); spaces.ts: each space's
 * policy and supernet path; reward.ts: reward shaping from the objectives; table.ts: table mode
 * (NB201 table accuracy); supernet.ts: supernet mode (weight-sharing supernet accuracy);
 * presets.ts: supernet presets.
 */
export { ArrayAdam } from '../../optim/index.js';
export {
  CategoricalPolicy,
  TndPolicy,
  expectedReward,
  nb201ArchOfChoice,
  reinforceGrad,
  reinforceStep,
  type TndOutcome,
  type TndPolicyState,
  type TndSearchOptions,
  type TndStepLog,
} from './policy.js';
export { SCALARISATIONS, TND_EXPONENTS, TND_TARGET_RATIOS, defaultTargets, tndReward, type RewardConfig, type Scalarisation } from './reward.js';
export { TND_DARTS_PRESETS, TND_PRESETS, type TndSupernetPreset } from './presets.js';
export { DARTS_INPUT_PAIRS, DARTS_REAL_OPS, DartsTndPolicy, dartsArchOfChoice, dartsChoiceOfGenotype, dartsGenotypeOfChoice } from './darts-policy.js';
export { DARTS_TND, NB201_TND, tndSpace, type TndSpace, type TndSupernetNet, type TndSupernetShape } from './spaces.js';
export { TND_IDLE_STEPS, tndNasTable, tndNasTableSteps, type TndTableOptions, type TndTableState } from './table.js';
export {
  disposeBatches,
  heldOutSample,
  rescoreSeed,
  scoringBatches,
  subnetAccuraciesOn,
  subnetAccuracyOnBatches,
  supernetFromCheckpoint,
  tndNasSupernet,
  tndNasSupernetSteps,
  type TndSupernetOptions,
  type TndSupernetOutcome,
  type TndSupernetState,
  type ScoringBatch,
} from './supernet.js';
