/**
 * The common Dataset type, loading by name, and cutting datasets into pieces.
 *
 * Normalisation statistics (`mean`/`std`) are computed when a set is loaded and are inherited by
 * everything cut from it (`subset`, `splitTrainVal`), so a validation split is normalised with the
 * statistics of the set it came from. Use `withStats` to give a test set the training statistics.
 */
import { Rng } from '../util/rng.js';
import { TsnasError } from '../util/errors.js';
import { CIFAR10_CLASSES, readCifar10 } from './cifar10.js';
import { FASHION_MNIST_CLASSES, FASHION_MNIST_DEFAULT_DIR, readFashionMnist } from './fashion-mnist.js';
import { makeSynthetic, type SyntheticOptions } from './synthetic.js';
import { fromRaw } from './core.js';
import { listImageFolder, loadFolderDataset, parseClassNames, type FolderDatasetOptions } from './folder.js';
import type { Dataset, Split } from './types.js';

export type { Dataset, Split } from './types.js';
export { channelStats, makeDataset, withStats } from './core.js';
export { subset, splitTrainVal, classCounts } from './split.js';

export const DATASET_NAMES = ['cifar10', 'fashion-mnist', 'synthetic', 'folder'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

/** Where `loadDataset('cifar10')` looks when no dataDir is given: $TSNAS_CIFAR10_DIR, else ./data/cifar10. */
export const CIFAR10_DEFAULT_DIR = 'data/cifar10';

/**
 * A dataset's class names in label order: the fixed lists of CIFAR-10 and Fashion-MNIST, a
 * folder's given `classNames` or its sub-folders sorted by name (as the loader orders them);
 * undefined where classes have no names (synthetic) or the folder is gone.
 */
export function datasetClassNames(name: string, o: { dataDir?: string; folder?: { classNames?: string | readonly string[] } } = {}): string[] | undefined {
  if (name === 'cifar10') return [...CIFAR10_CLASSES];
  if (name === 'fashion-mnist') return [...FASHION_MNIST_CLASSES];
  if (name !== 'folder') return undefined;
  if (o.folder?.classNames) return parseClassNames(o.folder.classNames);
  if (!o.dataDir) return undefined;
  try {
    return listImageFolder(o.dataDir).classNames;
  } catch {
    return undefined;
  }
}

export interface LoadOptions {
  /** Directory with the files (folder: required, one sub-folder of images per class; cifar10: default $TSNAS_CIFAR10_DIR or ./data/cifar10; fashion-mnist: default $TSNAS_FASHION_MNIST_DIR or /usr/share/datasets/fashion-mnist). Ignored by synthetic. */
  dataDir?: string;
  split: Split;
  /** Keep only the first `limit` images of the split (the files are already in random order; folder: a seeded, stratified draw). For synthetic: the size (default 1000 train, 200 test). */
  limit?: number;
  /** Synthetic: the sample seed; folder: the seed of the --val-split and limit draws (default 0). */
  seed?: number;
  /** Folder only: test folder, held-out fraction, image size, colour, class order, cache (see folder.ts). */
  folder?: FolderDatasetOptions;
  /** Synthetic only: size, channels, classes, noise. */
  synthetic?: SyntheticOptions;
}

export function loadDataset(name: DatasetName | string, opts: LoadOptions): Dataset {
  if (opts.split !== 'train' && opts.split !== 'test') {
    throw new TsnasError(`unknown split ${JSON.stringify(opts.split)}; use 'train' or 'test'`);
  }
  if (opts.limit !== undefined && !(Number.isInteger(opts.limit) && opts.limit > 0)) {
    throw new TsnasError(`limit must be a positive integer, got ${opts.limit}`);
  }
  switch (name) {
    case 'cifar10': {
      const dir = opts.dataDir ?? process.env.TSNAS_CIFAR10_DIR ?? CIFAR10_DEFAULT_DIR;
      return fromRaw('cifar10', readCifar10(dir, opts.split, opts.limit));
    }
    case 'fashion-mnist': {
      const dir = opts.dataDir ?? process.env.TSNAS_FASHION_MNIST_DIR ?? FASHION_MNIST_DEFAULT_DIR;
      return fromRaw('fashion-mnist', readFashionMnist(dir, opts.split, opts.limit));
    }
    case 'folder':
      return loadFolderDataset(opts.dataDir, opts.split, opts.folder, opts.limit, opts.seed ?? 0);
    case 'synthetic': {
      const base = opts.seed ?? opts.synthetic?.seed ?? 0;
      return makeSynthetic({
        ...opts.synthetic,
        n: opts.limit ?? opts.synthetic?.n ?? (opts.split === 'train' ? 1000 : 200),
        seed: Rng.mix(base) ^ (opts.split === 'train' ? 0 : 0x7e57),
      });
    }
    default:
      throw new TsnasError(`unknown dataset ${JSON.stringify(name)}; known datasets: ${DATASET_NAMES.join(', ')}`);
  }
}
