/**
 * Where the tests find real data. TSNAS_SHARED_DATA overrides the shared data root (default
 * `<repo>/../shared/data`, which holds cifar10/train_10k.bin.gz and test_2k.bin.gz);
 * TSNAS_CIFAR10_DIR overrides the CIFAR-10 directory alone;
 * TSNAS_FASHION_MNIST_DIR overrides the Fashion-MNIST directory (default where the Debian package
 * dataset-fashion-mnist installs it).
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SHARED_DATA_DIR = process.env.TSNAS_SHARED_DATA ?? resolve(REPO_ROOT, '..', 'shared', 'data');
export const CIFAR10_DIR = process.env.TSNAS_CIFAR10_DIR ?? join(SHARED_DATA_DIR, 'cifar10');
export const FASHION_MNIST_DIR = process.env.TSNAS_FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist';
