/**
 * Fashion-MNIST from its four official IDX files (as the Debian/Ubuntu package
 * `dataset-fashion-mnist` installs them, gzipped, under /usr/share/datasets/fashion-mnist):
 * `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`,
 * `t10k-labels-idx1-ubyte`, each plain or `.gz` (the `…-idx3.ubyte` spelling is accepted too).
 * 28×28 grey images, 10 classes, 60,000 train and 10,000 test.
 */
import { TsnasError } from '../util/errors.js';
import { readIdxPair } from './idx.js';
import { findFirst, isDir } from './io.js';
import type { RawImageSet, Split } from './types.js';

export const FASHION_MNIST_DEFAULT_DIR = '/usr/share/datasets/fashion-mnist';
export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'] as const;

export function fashionMnistHelp(): string {
  return (
    'Install it with `apt-get install dataset-fashion-mnist` (files go to /usr/share/datasets/fashion-mnist), or download the four ' +
    '*-ubyte.gz files from https://github.com/zalandoresearch/fashion-mnist and pass their directory as the data dir (or set TSNAS_FASHION_MNIST_DIR).'
  );
}

/** The image and label files for `split` in `dir`, or a TsnasError naming what is missing. */
export function findFashionMnistFiles(dir: string, split: Split): { images: string; labels: string } {
  if (!isDir(dir)) throw new TsnasError(`Fashion-MNIST data directory not found: ${dir}. ${fashionMnistHelp()}`);
  const prefix = split === 'train' ? 'train' : 't10k';
  const imageNames = [`${prefix}-images-idx3-ubyte`, `${prefix}-images.idx3-ubyte`];
  const labelNames = [`${prefix}-labels-idx1-ubyte`, `${prefix}-labels.idx1-ubyte`];
  const images = findFirst(dir, imageNames);
  const labels = findFirst(dir, labelNames);
  if (!images || !labels) {
    const missing = [!images ? `${imageNames[0]}(.gz)` : null, !labels ? `${labelNames[0]}(.gz)` : null].filter(Boolean).join(' and ');
    throw new TsnasError(`Fashion-MNIST ${split} files missing in ${dir}: ${missing}. ${fashionMnistHelp()}`);
  }
  return { images, labels };
}

export function readFashionMnist(dir: string, split: Split, limit?: number): RawImageSet {
  const f = findFashionMnistFiles(dir, split);
  return readIdxPair(f.images, f.labels, FASHION_MNIST_CLASSES.length, limit);
}
