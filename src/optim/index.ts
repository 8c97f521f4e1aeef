/**
 * The optimisers (torch semantics, checkpointable state): SGD with momentum / Nesterov / weight
 * decay / gradient-norm clipping, Adam on tensors and on plain arrays, clip_grad_norm_, and the
 * per-epoch cosine schedule. Every trainer in tsnas uses these.
 */
export { Sgd, type Grads, type OptimStateEntry, type SgdOptions, type StepOptions } from './sgd.js';
export { Adam, ArrayAdam, type AdamOptions, type ArrayAdamOptions, type ArrayAdamState } from './adam.js';
export { clipCoefficient, clipScale, globalNorm } from './clip.js';
export { cosineLr, type CosineLrArgs } from './schedule.js';

/** What the differentiable searches' checkpoints need of an optimiser: a flat state and a step count. */
export interface FlatStateOptimizer {
  steps: number;
  slotShapes(): number[][];
  slotValues(): Float32Array[];
  loadSlotValues(arrays: readonly Float32Array[]): void;
  dispose(): void;
}
