/** Loading a dataset for training: train and test splits at a chosen image size, test normalised with the training statistics. */
import { downsample, loadDataset, withStats, type Dataset, type FolderDatasetOptions, type LoadOptions } from '../data/index.js';
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
  /** Folder only: test folder, held-out part, colour, class order (imageSize comes from above: the images are resized to it). */
  folder?: FolderDatasetOptions;
}

function synthOf(o: TrainDataOptions) {
  return o.dataset === 'synthetic' ? { height: o.imageSize ?? 16, numClasses: o.numClasses } : undefined;
}

/** The dataset-specific options of loadDataset. */
function extraOf(o: TrainDataOptions): Pick<LoadOptions, 'synthetic' | 'folder'> {
  if (o.dataset === 'folder') return { folder: { ...o.folder, ...(o.imageSize !== undefined ? { imageSize: o.imageSize } : {}) } };
  return { synthetic: synthOf(o) };
}

/** The pooling factor from the dataset's side to `imageSize` (1: keep the native size). */
function poolFactor(o: TrainDataOptions, side: number): number {
  if (!o.imageSize || o.imageSize === side) return 1;
  const f = side / o.imageSize;
  if (!Number.isInteger(f)) throw new TsnasError(`--image-size ${o.imageSize} does not divide the ${side}-pixel images of ${o.dataset}`);
  return f;
}

/** The training split only, at the chosen size (for callers that hold out their own validation images). */
export function loadTrainSplit(o: TrainDataOptions): Dataset {
  const train = loadDataset(o.dataset, { dataDir: o.dataDir, split: 'train', limit: o.trainLimit, seed: o.seed ?? 0, ...extraOf(o) });
  const f = poolFactor(o, train.height);
  return f === 1 ? train : downsample(train, f);
}

export function loadTrainData(o: TrainDataOptions): { train: Dataset; test: Dataset } {
  const train = loadTrainSplit(o);
  let test = loadDataset(o.dataset, { dataDir: o.dataDir, split: 'test', limit: o.testLimit, seed: o.seed ?? 0, ...extraOf(o) });
  const f = poolFactor(o, test.height);
  if (f !== 1) test = downsample(test, f);
  test = withStats(test, train);
  return { train, test };
}
