/**
 * Search configurations: each strategy's published defaults (`paper`) and the documented CPU
 * reduction (`cpu-small`). Both presets run the same code; a preset only fills a SearchConfig.
 *
 * paper (docs/methods/differentiable.md and docs/methods/benchmarks.md):
 *   common (DARTS, quark0/darts + paper A.1.1): 50 epochs, batch 64, 50/50 train/val split of the
 *     train set, both splits augmented with random crop (4 px padding) and flip, SGD lr 0.025 cosine → 0.001, momentum 0.9, wd 3e-4 (NB201 space: 5e-4, NB201's
 *     DARTS config), grad clip 5; Adam 3e-4, β (0.5, 0.999), wd 1e-3 on α. 32×32 images.
 *     Supernet: NB201 C 16, N 5; DARTS C 16, 8 cells.
 *   darts2: the same, ξ = w's current lr.
 *   single-darts: the same as darts (its settings are unpublished: an assumption, docs/methods/differentiable.md, Single-DARTS).
 *   pc-darts: K 4, edge normalisation, batch 256, lr 0.1 cosine → 0, arch Adam 6e-4, α/β
 *     updates from epoch 15 (of 50).
 *   ms-darts: 40 epochs, batch 64, lr 0.025, arch 3e-4, T 2 rounds of N 3 samples, bandwidth 1,
 *     ε annealed linearly 0.025 → 0.25 over the epochs; α steps from epoch 5 (our reading of
 *     "from epoch 5" in its code notes).
 *
 * cpu-small (≤ 15 min on 2 cores with the native backend; see BENCHMARKS.md for the measured epoch
 * times): every strategy hyperparameter as in `paper`, except 16×16 images (2×2 average-pooled),
 * C 8, NB201 N 1 / DARTS 5 cells (reductions at cells 2 and 4: layers // 3 and 2·layers // 3), the
 * first 10,000 (NB201: 5,000 / 5,000) or 5,000 (DARTS: 2,500 / 2,500) training images, crop padding
 * 2 px (4 px scaled to 16 px), fewer epochs, and warm-ups scaled with the epochs (pc-darts 30%,
 * ms-darts 12.5%). pc-darts keeps
 * batch 64 with the lr scaled linearly (0.1·64/256 = 0.025) so it takes as many steps as the others.
 *
 * `tiny` (tests and smoke runs only): 8×8 images, C 4, N 1 / 3 cells, 64 images, 2 epochs.
 */
import { TsnasError } from '../../util/errors.js';
import { STRATEGY_NAMES, type StrategyName } from './strategies.js';
import type { SearchSpace } from './model.js';

export const PRESETS = ['cpu-small', 'paper', 'tiny'] as const;
export type PresetName = (typeof PRESETS)[number];

export interface SearchConfig {
  space: SearchSpace;
  strategy: StrategyName;
  preset: PresetName;
  seed: number;
  epochs: number;
  batchSize: number;
  lr: number;
  lrMin: number;
  momentum: number;
  weightDecay: number;
  gradClip: number;
  archLr: number;
  archBeta1: number;
  archBeta2: number;
  archWeightDecay: number;
  /** Epochs without architecture updates. */
  warmupEpochs: number;
  partialK: number;
  edgeNorm: boolean;
  ms?: { T: number; N: number; h: number; epsStart: number; epsEnd: number };
  /** Supernet: C, depth (NB201 N / DARTS cells), square image side. */
  C: number;
  depth: number;
  imageSize: number;
  /** Training images used (undefined: all); split 50/50 into search-train and search-val. */
  dataLimit?: number;
  valFraction: number;
  /** Batch size of the per-epoch validation pass. */
  evalBatch: number;
  /**
   * Augmentation of the search batches, both splits (DARTS' train_search.py and NB201's search
   * code draw both from CIFAR's training transform: random crop with 4 px zero padding and a
   * horizontal flip). The per-epoch validation pass is never augmented. Absent: no augmentation.
   */
  augment?: { cropPadding: number; flip: boolean };
  /** NB201: affine BN (γ, β) in the candidate ops, a diagnostic (NB201's search code: not affine). Absent: false. */
  opAffine?: boolean;
  /**
   * NB201 derivation: `argmax` over all five ops per edge (the NB201 benchmark's rule, default),
   * or `no-none`: argmax over the ops other than `none` (as the DARTS space always derives).
   */
  derive?: Nb201Derivation;
  /**
   * Optimizer of α: `adam` (DARTS' Adam with archLr, default) or `sgd`: α updated exactly like w
   * (SGD with w's momentum, weight decay and cosine lr), the joint step (α, w) −= ξ∇L_train that a
   * third-party note gives for Single-DARTS (docs/methods/differentiable.md). Absent means adam.
   */
  archOptimizer?: ArchOptimizer;
}

export const ARCH_OPTIMIZERS = ['adam', 'sgd'] as const;
export type ArchOptimizer = (typeof ARCH_OPTIMIZERS)[number];

export const NB201_DERIVATIONS = ['argmax', 'no-none'] as const;
export type Nb201Derivation = (typeof NB201_DERIVATIONS)[number];

export interface ConfigOverrides {
  epochs?: number;
  dataLimit?: number;
  /** Supernet width C, depth (NB201 cells per stage N / DARTS cells) and image side. */
  channels?: number;
  depth?: number;
  imageSize?: number;
  /** Adam learning rate of α. */
  archLr?: number;
  derive?: Nb201Derivation;
  archOptimizer?: ArchOptimizer;
  /** Epochs of weight-only training before α moves (default: the strategy's warm-up fraction). */
  warmupEpochs?: number;
  /** Random-crop padding of the search batches (default: 4 px at 32 px, scaled with the image side; 0 = off). */
  cropPadding?: number;
  /** Random horizontal flip of the search batches (default: on, except the tiny preset). */
  flip?: boolean;
  opAffine?: boolean;
}

export function checkStrategy(s: string): StrategyName {
  if (!(STRATEGY_NAMES as readonly string[]).includes(s)) throw new TsnasError(`unknown differentiable strategy '${s}' (known: ${STRATEGY_NAMES.join(', ')})`);
  return s as StrategyName;
}

export function checkPreset(p: string): PresetName {
  if (!(PRESETS as readonly string[]).includes(p)) throw new TsnasError(`unknown --preset '${p}' (known: ${PRESETS.join(', ')})`);
  return p as PresetName;
}

/** Fraction of the epochs spent in warm-up (paper: 15 of 50, 5 of 40). */
const WARMUP_FRACTION: Partial<Record<StrategyName, number>> = { 'pc-darts': 15 / 50, 'ms-darts': 5 / 40 };

const CPU_SMALL_EPOCHS: Record<SearchSpace, Record<StrategyName, number>> = {
  // NB201: 10,000 images (5,000 / 5,000), 20 epochs, 780 α steps; 10 epochs on 5,000 images was 390
  // (BENCHMARKS.md, "The target table at the current cpu-small: 10,000 images, 20 epochs").
  nb201: { darts: 20, darts2: 8, 'single-darts': 20, 'pc-darts': 20, 'ms-darts': 12 },
  // Sized on the native backend (BENCHMARKS.md): one epoch of the C 8, 5-cell supernet on 2,500
  // images takes 63 s single-darts, 100 s darts, 260 s darts2, 53 s pc-darts, 140 s ms-darts.
  darts: { darts: 7, darts2: 3, 'single-darts': 10, 'pc-darts': 10, 'ms-darts': 5 },
};

export function buildConfig(space: SearchSpace, strategy: StrategyName, preset: PresetName, seed: number, o: ConfigOverrides = {}): SearchConfig {
  const paperEpochs = strategy === 'ms-darts' ? 40 : 50;
  const pc = strategy === 'pc-darts';
  const cfg: SearchConfig = {
    space,
    strategy,
    preset,
    seed,
    epochs: paperEpochs,
    batchSize: pc ? 256 : 64,
    lr: pc ? 0.1 : 0.025,
    lrMin: pc ? 0 : 0.001,
    momentum: 0.9,
    weightDecay: space === 'nb201' ? 5e-4 : 3e-4,
    gradClip: 5,
    archLr: pc ? 6e-4 : 3e-4,
    archBeta1: 0.5,
    archBeta2: 0.999,
    archWeightDecay: 1e-3,
    warmupEpochs: 0,
    partialK: pc ? 4 : 1,
    edgeNorm: pc,
    ms: strategy === 'ms-darts' ? { T: 2, N: 3, h: 1, epsStart: 0.025, epsEnd: 0.25 } : undefined,
    C: 16,
    depth: space === 'nb201' ? 5 : 8,
    imageSize: 32,
    dataLimit: undefined,
    valFraction: 0.5,
    evalBatch: 256,
  };
  if (preset === 'cpu-small') {
    Object.assign(cfg, {
      epochs: CPU_SMALL_EPOCHS[space][strategy],
      imageSize: 16,
      C: 8,
      depth: space === 'nb201' ? 1 : 5,
      dataLimit: space === 'nb201' ? 10000 : 5000,
      evalBatch: 250,
    });
    if (space === 'darts' && pc) cfg.partialK = 2; // C 8 / K 2 = 4 channels through each mixed op, as the paper's C 16 / K 4
    if (pc) Object.assign(cfg, { batchSize: 64, lr: 0.025 });
  } else if (preset === 'tiny') {
    Object.assign(cfg, { epochs: 2, imageSize: 8, C: 4, depth: space === 'nb201' ? 1 : 3, dataLimit: 64, batchSize: 16, evalBatch: 32 });
    if (pc) cfg.partialK = 2;
  }
  if (o.epochs !== undefined) cfg.epochs = o.epochs;
  if (o.dataLimit !== undefined) cfg.dataLimit = o.dataLimit;
  if (o.channels !== undefined) cfg.C = o.channels;
  if (o.depth !== undefined) cfg.depth = o.depth;
  if (o.imageSize !== undefined) cfg.imageSize = o.imageSize;
  if (o.archLr !== undefined) {
    if (o.archOptimizer === 'sgd') throw new TsnasError("--arch-lr sets the Adam learning rate of α; with --arch-optimizer sgd, α takes the weights' learning rate");
    cfg.archLr = o.archLr;
  }
  if (o.derive !== undefined && o.derive !== 'argmax') cfg.derive = o.derive;
  if (o.archOptimizer !== undefined && o.archOptimizer !== 'adam') cfg.archOptimizer = o.archOptimizer;
  cfg.warmupEpochs = Math.round((WARMUP_FRACTION[strategy] ?? 0) * cfg.epochs);
  // crop+flip as DARTS searches (4 px at 32 px, scaled: 2 px at cpu-small's 16 px); tiny: none
  const pad = o.cropPadding ?? (preset === 'tiny' ? 0 : Math.max(1, Math.round((4 * cfg.imageSize) / 32)));
  const flip = o.flip ?? preset !== 'tiny';
  if (pad > 0 || flip) cfg.augment = { cropPadding: pad, flip };
  if (o.opAffine) {
    if (space !== 'nb201') throw new TsnasError('--op-affine is an NB201-supernet diagnostic; the DARTS supernet keeps its non-affine BN');
    cfg.opAffine = true;
  }
  if (o.warmupEpochs !== undefined) {
    if (o.warmupEpochs >= cfg.epochs) throw new TsnasError(`--warmup-epochs ${o.warmupEpochs} leaves no epoch for α: it must be below --epochs (${cfg.epochs})`);
    cfg.warmupEpochs = o.warmupEpochs;
  }
  return cfg;
}
