/** Supernet-mode TND-NAS presets. */

export interface TndSupernetPreset {
  name: string;
  C: number;
  /** Depth per stage, N0 + stage·dN, in the space's unit (NB201: cells per stage of the skeleton; DARTS: cells). */
  N0: number;
  dN: number;
  imageSize: number;
  /** Training images (split in half: weights / α + final scoring). */
  dataLimit: number;
  batch: number;
  epochsPerStage: number;
  /** Epochs per stage with α frozen (the author: 8 of 16). */
  warmupEpochs: number;
  lr: number;
  /** Weight steps per α step (4). */
  archEvery: number;
}

/**
 * `paper`: the author's schedule on NB201's skeleton (C 16, N 5 → 7 → 9 as P-DARTS grows depth,
 * 32 px, 16 epochs per stage with 8 warm-up, batch 64, lr 0.04). `cpu-small`: C 8, N 1 → 2 → 3,
 * 16 px, 2,000 images, 2 epochs per stage (1 warm-up), batch 32: a few minutes on 2 cores.
 * `tiny`: smoke tests.
 */
export const TND_PRESETS: Record<string, TndSupernetPreset> = {
  paper: { name: 'paper', C: 16, N0: 5, dN: 2, imageSize: 32, dataLimit: 50000, batch: 64, epochsPerStage: 16, warmupEpochs: 8, lr: 0.04, archEvery: 4 },
  'cpu-small': { name: 'cpu-small', C: 8, N0: 1, dN: 1, imageSize: 16, dataLimit: 2000, batch: 32, epochsPerStage: 2, warmupEpochs: 1, lr: 0.04, archEvery: 4 },
  tiny: { name: 'tiny', C: 4, N0: 1, dN: 0, imageSize: 8, dataLimit: 128, batch: 16, epochsPerStage: 2, warmupEpochs: 1, lr: 0.04, archEvery: 2 },
};

/**
 * DARTS-space presets (TND-NAS's own space). `paper`: the author's code (C 24, cells 5 → 11 → 17,
 * 32 px, 16 epochs per stage with 8 warm-up, batch 64, lr 0.04). `cpu-small`: C 8, cells 5 → 7 → 9,
 * 16 px, the 10,000-image subset (5,000 train the weights, 5,000 feed the α steps), batch 64,
 * 6 epochs per stage with 3 warm-up: sized from measured epochs to end well inside an hour on 2
 * busy cores (docs/methods/multi-objective.md, TND-NAS). `tiny`: tests (C 4, 3 cells, 8 px, 128 images).
 */
export const TND_DARTS_PRESETS: Record<string, TndSupernetPreset> = {
  paper: { name: 'paper', C: 24, N0: 5, dN: 6, imageSize: 32, dataLimit: 50000, batch: 64, epochsPerStage: 16, warmupEpochs: 8, lr: 0.04, archEvery: 4 },
  'cpu-small': { name: 'cpu-small', C: 8, N0: 5, dN: 2, imageSize: 16, dataLimit: 10000, batch: 64, epochsPerStage: 6, warmupEpochs: 3, lr: 0.04, archEvery: 4 },
  tiny: { name: 'tiny', C: 4, N0: 3, dN: 0, imageSize: 8, dataLimit: 128, batch: 16, epochsPerStage: 2, warmupEpochs: 1, lr: 0.04, archEvery: 2 },
};
