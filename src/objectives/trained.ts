/**
 * `accuracy:trained`: train each architecture briefly and take its validation accuracy, the
 * per-candidate cost that NSGA-Net pays and that TND-NAS's shared supernet avoids.
 *
 * The validation images are a seeded, stratified part of the *training* split (never the test
 * split: a search must not see the data it is finally judged on). Every architecture is trained
 * from the same seed with the same recipe and batch order, so a value is a deterministic function
 * of the architecture (resumed runs take it from the store anyway).
 */
import { splitTrainVal, type Dataset, type FolderDatasetOptions } from '../data/index.js';
import { loadTrainSplit } from '../train/data.js';
import { buildNet } from '../train/run.js';
import { DEFAULT_RECIPE, spaceRecipe, trainNetwork, type TrainRecipe } from '../train/trainer.js';
import { getSpace, type AnyArch, type SpaceName } from '../spaces/index.js';
import { TsnasError } from '../util/errors.js';

export interface TrainedAccuracyPreset {
  name: string;
  /** Network width and depth (NB201: cells per stage N; DARTS: cells). */
  C: number;
  N: number;
  layers: number;
  imageSize: number;
  /** Training images taken from the training split (before the validation part is split off). */
  dataLimit: number;
  /** Images of that subset held out for validation. */
  valImages: number;
  epochs: number;
  batch: number;
}

/**
 * `cpu-small`: the DTB's small NB201 network (C 8, N 1; DARTS: C 8, 5 cells) on 16-px images,
 * 4,000 training + 1,000 validation images, 3 epochs: about 3 s per NB201 architecture on the
 * native backend (2 cores). `paper`: NSGA-Net's proxy training (C 16, 32 px, 25 epochs on a
 * 45,000 / 5,000 split; NB201 N 1, DARTS 8 cells). `tiny`: tests (the synthetic set is learnt in it:
 * a conv cell reaches ~100 %, an all-`none` cell stays at chance).
 */
export const TRAINED_PRESETS: Record<string, TrainedAccuracyPreset> = {
  'cpu-small': { name: 'cpu-small', C: 8, N: 1, layers: 5, imageSize: 16, dataLimit: 5000, valImages: 1000, epochs: 3, batch: 64 },
  paper: { name: 'paper', C: 16, N: 1, layers: 8, imageSize: 32, dataLimit: 50000, valImages: 5000, epochs: 25, batch: 128 },
  tiny: { name: 'tiny', C: 8, N: 1, layers: 2, imageSize: 16, dataLimit: 640, valImages: 128, epochs: 4, batch: 32 },
};

export interface TrainedAccuracyOptions {
  space: SpaceName;
  preset: TrainedAccuracyPreset;
  dataset: string;
  dataDir?: string;
  /** Folder dataset: held-out test part, colour, class order (the images are resized to the preset's size). */
  folder?: FolderDatasetOptions;
  seed: number;
}

/**
 * The recipe of a preset: the space's training recipe (spaceRecipe, docs/methods/benchmarks.md) at the
 * preset's epochs and batch, without the DARTS evaluation extras (cutout, drop-path, auxiliary head).
 */
export function trainedRecipe(space: SpaceName, p: TrainedAccuracyPreset, seed: number): TrainRecipe {
  return { ...DEFAULT_RECIPE, ...spaceRecipe(space), epochs: p.epochs, batch: p.batch, cutout: 0, dropPath: 0, auxWeight: 0, seed };
}

/**
 * Validation images held out of `n` training images: the preset's count, or its share of the
 * preset's data limit when there are fewer images than that (a small folder of your own photos).
 */
export function validationCount(p: TrainedAccuracyPreset, n: number): number {
  return Math.min(p.valImages, Math.max(1, Math.round((n * p.valImages) / p.dataLimit)));
}

/**
 * A hook for `ObjectiveContext.trainedAccuracy`: validation accuracy (percent) after training the
 * architecture's network with the preset. Data are loaded once, on the first call.
 */
export function trainedAccuracyHook(o: TrainedAccuracyOptions): (a: AnyArch) => number {
  let split: { train: Dataset; val: Dataset } | undefined;
  const recipe = trainedRecipe(o.space, o.preset, o.seed);
  return (a: AnyArch) => {
    if (a.space !== getSpace(o.space).name) throw new TsnasError(`accuracy:trained: architecture of space ${a.space} in a ${o.space} search`);
    if (!split) {
      const train = loadTrainSplit({ dataset: o.dataset, dataDir: o.dataDir, imageSize: o.preset.imageSize, trainLimit: o.preset.dataLimit, seed: o.seed, ...(o.folder ? { folder: o.folder } : {}) });
      const val = validationCount(o.preset, train.n);
      if (val >= train.n) throw new TsnasError(`accuracy:trained preset ${o.preset.name}: ${val} validation images from ${train.n} training images`);
      split = splitTrainVal(train, val, o.seed);
    }
    const { net } = buildNet(
      { space: o.space, arch: a.text, C: o.preset.C, N: o.preset.N, layers: o.preset.layers, auxiliary: false, initSeed: o.seed },
      [split.train.height, split.train.width, split.train.channels],
      split.train.numClasses,
    );
    try {
      const res = trainNetwork({ net, train: split.train, evalSets: { val: split.val }, recipe });
      return res.history[res.history.length - 1]!['val_acc']!;
    } finally {
      net.dispose();
    }
  };
}
