/**
 * The common Dataset type, loading by name, and cutting datasets into pieces.
 *
 * Normalisation statistics (`mean`/`std`) are computed when a set is loaded and are inherited by
 * everything cut from it (`subset`, `splitTrainVal`), so a validation split is normalised with the
 * statistics of the set it came from. Use `withStats` to give a test set the training statistics.
 */
import { Rng } from '../util/rng.js';
import { TsnasError } from '../util/errors.js';
import { readCifar10 } from './cifar10.js';
import { FASHION_MNIST_DEFAULT_DIR, readFashionMnist } from './fashion-mnist.js';
import { makeSynthetic, type SyntheticOptions } from './synthetic.js';
import { fromRaw } from './core.js';
import type { Dataset, Split } from './types.js';

export type { Dataset, Split } from './types.js';
export { channelStats, makeDataset, withStats } from './core.js';

export const DATASET_NAMES = ['cifar10', 'fashion-mnist', 'synthetic'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

/** Where `loadDataset('cifar10')` looks when no dataDir is given: $TSNAS_CIFAR10_DIR, else ./data/cifar10. */
export const CIFAR10_DEFAULT_DIR = 'data/cifar10';

export interface LoadOptions {
  /** Directory with the files (cifar10: default $TSNAS_CIFAR10_DIR or ./data/cifar10; fashion-mnist: default $TSNAS_FASHION_MNIST_DIR or /usr/share/datasets/fashion-mnist). Ignored by synthetic. */
  dataDir?: string;
  split: Split;
  /** Keep only the first `limit` images of the split (the files are already in random order). For synthetic: the size (default 1000 train, 200 test). */
  limit?: number;
  /** Synthetic only: the sample seed (train and test draw different samples of the same classes). */
  seed?: number;
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

/** The images at `indices` (in that order), keeping the parent's normalisation statistics. */
export function subset(ds: Dataset, indices: ArrayLike<number>, name = ds.name): Dataset {
  const per = ds.height * ds.width * ds.channels;
  const n = indices.length;
  const images = new Float32Array(n * per);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const j = indices[i]!;
    if (!Number.isInteger(j) || j < 0 || j >= ds.n) throw new TsnasError(`subset of ${ds.name}: index ${j} outside 0..${ds.n - 1}`);
    images.set(ds.images.subarray(j * per, (j + 1) * per), i * per);
    labels[i] = ds.labels[j]!;
  }
  return { ...ds, name, images, labels, n, mean: [...ds.mean], std: [...ds.std] };
}

/**
 * A seeded, stratified split: `val` is a fraction in (0, 1) or a whole count ≥ 1 of images for the
 * validation part. Each class contributes in proportion to its size (largest remainder), the
 * images of a class being chosen at random; both parts keep the original order of their images
 * and the parent's normalisation statistics.
 */
export function splitTrainVal(ds: Dataset, val: number, seed: number): { train: Dataset; val: Dataset } {
  let count: number;
  if (val > 0 && val < 1) count = Math.round(ds.n * val);
  else if (Number.isInteger(val) && val >= 1) count = val;
  else throw new TsnasError(`validation size must be a fraction in (0, 1) or a whole count ≥ 1, got ${val}`);
  if (count < 1 || count >= ds.n) {
    throw new TsnasError(`cannot split ${count} validation images off ${ds.name} with ${ds.n} images (need 1 ≤ count < ${ds.n})`);
  }
  const rng = new Rng(seed);
  const byClass: number[][] = Array.from({ length: ds.numClasses }, () => []);
  for (let i = 0; i < ds.n; i++) byClass[ds.labels[i]!]!.push(i);
  const exact = byClass.map((ix) => (ix.length * count) / ds.n);
  const take = exact.map(Math.floor);
  let left = count - take.reduce((a, b) => a + b, 0);
  const byRemainder = exact.map((e, k) => ({ k, r: e - Math.floor(e) })).sort((a, b) => b.r - a.r || a.k - b.k);
  for (const { k } of byRemainder) {
    if (left === 0) break;
    if (take[k]! < byClass[k]!.length) {
      take[k]!++;
      left--;
    }
  }
  const isVal = new Uint8Array(ds.n);
  byClass.forEach((ix, k) => {
    const shuffled = rng.shuffle([...ix]);
    for (let i = 0; i < take[k]!; i++) isVal[shuffled[i]!] = 1;
  });
  const trainIx: number[] = [];
  const valIx: number[] = [];
  for (let i = 0; i < ds.n; i++) (isVal[i] ? valIx : trainIx).push(i);
  return { train: subset(ds, trainIx), val: subset(ds, valIx) };
}

/** Images per class. */
export function classCounts(ds: Dataset): number[] {
  const counts = new Array<number>(ds.numClasses).fill(0);
  for (let i = 0; i < ds.n; i++) counts[ds.labels[i]!]!++;
  return counts;
}
