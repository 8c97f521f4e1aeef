/** Loading a dataset for training: train and test splits at a chosen image size, test normalised with the training statistics. */
import { downsample, loadDataset, withStats, type Dataset } from '../data/index.js';
import { TsnasError } from '../util/errors.js';

export interface TrainDataOptions {
  dataset: string;
  dataDir?: string;
  /** Target side in pixels (the images are average-pooled down to it); default: the native size (synthetic: 16). */
  imageSize?: number;
  /** Use only the first n training / test images. */
  trainLimit?: number;
  testLimit?: number;
  /** Synthetic only: the sample seed and class count. */
  seed?: number;
  numClasses?: number;
}

export function loadTrainData(o: TrainDataOptions): { train: Dataset; test: Dataset } {
  const synth = o.dataset === 'synthetic' ? { height: o.imageSize ?? 16, numClasses: o.numClasses } : undefined;
  let train = loadDataset(o.dataset, { dataDir: o.dataDir, split: 'train', limit: o.trainLimit, seed: o.seed ?? 0, synthetic: synth });
  let test = loadDataset(o.dataset, { dataDir: o.dataDir, split: 'test', limit: o.testLimit, seed: o.seed ?? 0, synthetic: synth });
  if (o.imageSize && o.imageSize !== train.height) {
    const f = train.height / o.imageSize;
    if (!Number.isInteger(f)) throw new TsnasError(`--image-size ${o.imageSize} does not divide the ${train.height}-pixel images of ${o.dataset}`);
    train = downsample(train, f);
    test = downsample(test, f);
  }
  test = withStats(test, train);
  return { train, test };
}
