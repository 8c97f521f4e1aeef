/**
 * CIFAR-10 in the binary record format of the official `cifar-10-binary.tar.gz`: each record is
 * 1 label byte (0..9) followed by 3072 pixel bytes, the R, G and B planes of a 32×32 image (each
 * plane row-major). Files may be gzipped; that is detected from their magic bytes.
 *
 * File names looked for in a directory (each also as `<name>.gz`):
 *  - train: `train_10k.bin` (the shared 10,000-image subset), else the official
 *    `data_batch_1.bin` … `data_batch_5.bin` (all of those present, in order);
 *  - test:  `test_2k.bin` (the shared 2,000-image subset), else the official `test_batch.bin`.
 * The directory itself is searched first, then its subdirectories `cifar-10-batches-bin/` (where
 * the official tarball extracts) and `cifar10/`.
 */
import { join } from 'node:path';
import { TsnasError } from '../util/errors.js';
import { findFirst, isDir, readMaybeGzip } from './io.js';
import type { RawImageSet, Split } from './types.js';

export const CIFAR10_SIZE = 32;
export const CIFAR10_CHANNELS = 3;
export const CIFAR10_PIXEL_BYTES = CIFAR10_SIZE * CIFAR10_SIZE * CIFAR10_CHANNELS; // 3072
export const CIFAR10_RECORD_BYTES = 1 + CIFAR10_PIXEL_BYTES; // 3073
export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'] as const;

export const CIFAR10_FILE_NAMES = {
  train: { subset: 'train_10k.bin', official: ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'] },
  test: { subset: 'test_2k.bin', official: ['test_batch.bin'] },
} as const;

const SUBDIRS = ['', 'cifar-10-batches-bin', 'cifar10'];

/**
 * Decode CIFAR-10 records (already decompressed) into NHWC bytes. `file` names the source in
 * errors. `limit` keeps only the first `limit` records.
 */
export function parseCifar10Records(bytes: Uint8Array, file: string, limit?: number): RawImageSet {
  if (bytes.length === 0) throw new TsnasError(`CIFAR-10 file ${file} is empty (0 records)`);
  if (bytes.length % CIFAR10_RECORD_BYTES !== 0) {
    const whole = Math.floor(bytes.length / CIFAR10_RECORD_BYTES);
    throw new TsnasError(
      `CIFAR-10 file ${file} is truncated or not in CIFAR-10 binary format: ${bytes.length} bytes is not a multiple of ` +
        `the ${CIFAR10_RECORD_BYTES}-byte record size (${whole} whole records + ${bytes.length - whole * CIFAR10_RECORD_BYTES} bytes)`,
    );
  }
  const total = bytes.length / CIFAR10_RECORD_BYTES;
  const n = limit === undefined ? total : Math.min(total, Math.max(0, Math.floor(limit)));
  const plane = CIFAR10_SIZE * CIFAR10_SIZE;
  const images = new Uint8Array(n * CIFAR10_PIXEL_BYTES);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const off = i * CIFAR10_RECORD_BYTES;
    const label = bytes[off]!;
    if (label >= CIFAR10_CLASSES.length) {
      throw new TsnasError(`CIFAR-10 file ${file}: record ${i} has label ${label}, outside 0..${CIFAR10_CLASSES.length - 1}`);
    }
    labels[i] = label;
    const src = off + 1;
    const dst = i * CIFAR10_PIXEL_BYTES;
    for (let p = 0; p < plane; p++) {
      const d = dst + p * 3;
      images[d] = bytes[src + p]!;
      images[d + 1] = bytes[src + plane + p]!;
      images[d + 2] = bytes[src + 2 * plane + p]!;
    }
  }
  return { images, labels, n, height: CIFAR10_SIZE, width: CIFAR10_SIZE, channels: 3, numClasses: 10, files: [file] };
}

/** Read one CIFAR-10 record file, plain or gzipped. */
export function readCifar10File(path: string, limit?: number): RawImageSet {
  return parseCifar10Records(readMaybeGzip(path, 'CIFAR-10 file'), path, limit);
}

/**
 * The record files for `split` in `dir` (see the module comment for the names), or a TsnasError
 * saying where it looked and how to get the data.
 */
export function findCifar10Files(dir: string, split: Split): string[] {
  if (!isDir(dir)) {
    throw new TsnasError(`CIFAR-10 data directory not found: ${dir}. ${cifar10Help()}`);
  }
  const names = CIFAR10_FILE_NAMES[split];
  for (const sub of SUBDIRS) {
    const d = sub ? join(dir, sub) : dir;
    if (!isDir(d)) continue;
    const subset = findFirst(d, [names.subset]);
    if (subset) return [subset];
    const official = names.official.map((f) => findFirst(d, [f])).filter((f): f is string => f !== undefined);
    if (official.length > 0) return official;
  }
  const looked = [names.subset, ...names.official].map((f) => `${f}(.gz)`).join(', ');
  throw new TsnasError(`no CIFAR-10 ${split} files in ${dir} (looked for ${looked} there and in its cifar-10-batches-bin/ and cifar10/ subdirectories). ${cifar10Help()}`);
}

export function cifar10Help(): string {
  return (
    'Get the binary version from https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz and extract it ' +
    '(it creates cifar-10-batches-bin/), then pass that directory (or its parent) as the data dir, or set TSNAS_CIFAR10_DIR.'
  );
}

/** Read the `split` files of `dir` and concatenate them; `limit` keeps the first `limit` images. */
export function readCifar10(dir: string, split: Split, limit?: number): RawImageSet {
  const files = findCifar10Files(dir, split);
  const parts: RawImageSet[] = [];
  let remaining = limit;
  for (const f of files) {
    if (remaining !== undefined && remaining <= 0) break;
    const part = readCifar10File(f, remaining);
    parts.push(part);
    if (remaining !== undefined) remaining -= part.n;
  }
  if (parts.length === 1) return parts[0]!;
  const n = parts.reduce((s, p) => s + p.n, 0);
  const images = new Uint8Array(n * CIFAR10_PIXEL_BYTES);
  const labels = new Int32Array(n);
  let at = 0;
  for (const p of parts) {
    images.set(p.images, at * CIFAR10_PIXEL_BYTES);
    labels.set(p.labels, at);
    at += p.n;
  }
  return { images, labels, n, height: 32, width: 32, channels: 3, numClasses: 10, files: parts.flatMap((p) => p.files) };
}
