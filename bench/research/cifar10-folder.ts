/**
 * The shared CIFAR-10 training subset written out once as a Keras-layout folder of 32×32 PNGs
 * (`DIR/<class>/<index>.png`), for the benchmarks that load "the CIFAR-10 subset as a folder". A
 * `.complete` marker makes a half-written folder (an interrupted run) be written again.
 * Not run directly: bench/perf/image-folder.ts and bench/research/mobile-*.ts call it.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { CIFAR10_CLASSES, readCifar10 } from '../../src/data/index.js';

/** The shared data's CIFAR-10 folder ($TSNAS_CIFAR10_DIR, else ../shared/data/cifar10 beside the repository). */
export const sharedCifar10Dir = process.env.TSNAS_CIFAR10_DIR ?? join(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'cifar10');

/** Write the first `n` training images of `dataDir` into `dir` unless it is already complete; returns the image count. */
export function writeCifar10Folder(dir: string, dataDir = sharedCifar10Dir, n = 10000): number {
  const done = join(dir, '.complete');
  if (existsSync(done)) return n;
  rmSync(dir, { recursive: true, force: true });
  const raw = readCifar10(dataDir, 'train', n);
  for (const c of CIFAR10_CLASSES) mkdirSync(join(dir, c), { recursive: true });
  for (let i = 0; i < raw.n; i++) {
    const png = new PNG({ width: 32, height: 32 });
    for (let p = 0; p < 1024; p++) {
      png.data[p * 4] = raw.images[i * 3072 + p * 3]!;
      png.data[p * 4 + 1] = raw.images[i * 3072 + p * 3 + 1]!;
      png.data[p * 4 + 2] = raw.images[i * 3072 + p * 3 + 2]!;
      png.data[p * 4 + 3] = 255;
    }
    writeFileSync(join(dir, CIFAR10_CLASSES[raw.labels[i]!]!, `${String(i).padStart(5, '0')}.png`), PNG.sync.write(png, { colorType: 2 }));
  }
  writeFileSync(done, '');
  return raw.n;
}
