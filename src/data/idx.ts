/**
 * IDX files (the MNIST / Fashion-MNIST format), plain or gzipped (detected from magic bytes).
 * Layout: bytes 0–1 are zero, byte 2 is the element type (0x08 = unsigned byte, the only type
 * supported here), byte 3 the rank; then one big-endian uint32 per dimension; then the data,
 * row-major. Images are rank 3 (n, rows, cols), labels rank 1 (n).
 */
import { TsnasError } from '../util/errors.js';
import { readMaybeGzip } from './io.js';
import type { RawImageSet } from './types.js';

export const IDX_UBYTE = 0x08;

const TYPE_NAMES: Record<number, string> = { 0x08: 'ubyte', 0x09: 'sbyte', 0x0b: 'int16', 0x0c: 'int32', 0x0d: 'float32', 0x0e: 'float64' };

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** Decode an IDX ubyte array (already decompressed); `file` names the source in errors. */
export function parseIdx(bytes: Uint8Array, file: string, expectedRank?: number): IdxArray {
  if (bytes.length === 0) throw new TsnasError(`IDX file ${file} is empty`);
  if (bytes.length < 4) throw new TsnasError(`IDX file ${file} is truncated: ${bytes.length} bytes, shorter than the 4-byte magic number`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = [...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new TsnasError(`IDX file ${file} has a wrong magic number (${magic}): not an IDX file`);
  }
  const type = bytes[2]!;
  if (type !== IDX_UBYTE) {
    const name = TYPE_NAMES[type];
    throw new TsnasError(`IDX file ${file} has element type 0x${type.toString(16).padStart(2, '0')}${name ? ` (${name})` : ' (unknown)'}; only unsigned byte (0x08) is supported`);
  }
  const rank = bytes[3]!;
  if (expectedRank !== undefined && rank !== expectedRank) {
    throw new TsnasError(`IDX file ${file} has rank ${rank}, expected ${expectedRank}`);
  }
  const header = 4 + 4 * rank;
  if (bytes.length < header) {
    throw new TsnasError(`IDX file ${file} is truncated: ${bytes.length} bytes, shorter than its ${header}-byte header`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  const have = bytes.length - header;
  if (have < count) {
    throw new TsnasError(`IDX file ${file} is truncated: dims [${dims.join(', ')}] need ${count} data bytes, found ${have}`);
  }
  if (have > count) {
    throw new TsnasError(`IDX file ${file} has ${have - count} unexpected trailing bytes after the ${count} data bytes of dims [${dims.join(', ')}]`);
  }
  return { dims, data: bytes.subarray(header) };
}

export function readIdx(path: string, expectedRank?: number): IdxArray {
  return parseIdx(readMaybeGzip(path, 'IDX file'), path, expectedRank);
}

/** Rank-3 ubyte images: n × rows × cols. */
export function readIdxImages(path: string): { n: number; height: number; width: number; data: Uint8Array } {
  const a = readIdx(path, 3);
  const [n, height, width] = a.dims as [number, number, number];
  if (n === 0) throw new TsnasError(`IDX image file ${path} holds 0 images`);
  if (height === 0 || width === 0) throw new TsnasError(`IDX image file ${path} has empty images (${height}×${width})`);
  return { n, height, width, data: a.data };
}

/** Rank-1 ubyte labels. */
export function readIdxLabels(path: string): Int32Array {
  const a = readIdx(path, 1);
  if (a.dims[0] === 0) throw new TsnasError(`IDX label file ${path} holds 0 labels`);
  return Int32Array.from(a.data);
}

/**
 * An image file and its label file as one single-channel set. Checks that the counts match and
 * that every label is below `numClasses`. `limit` keeps the first `limit` images.
 */
export function readIdxPair(imagesPath: string, labelsPath: string, numClasses: number, limit?: number): RawImageSet {
  const img = readIdxImages(imagesPath);
  const labels = readIdxLabels(labelsPath);
  if (labels.length !== img.n) {
    throw new TsnasError(`IDX count mismatch: ${imagesPath} has ${img.n} images but ${labelsPath} has ${labels.length} labels`);
  }
  for (let i = 0; i < labels.length; i++) {
    if (labels[i]! >= numClasses) {
      throw new TsnasError(`IDX label file ${labelsPath}: label ${i} is ${labels[i]}, outside 0..${numClasses - 1}`);
    }
  }
  const n = limit === undefined ? img.n : Math.min(img.n, Math.max(0, Math.floor(limit)));
  const per = img.height * img.width;
  return {
    images: img.data.slice(0, n * per),
    labels: labels.slice(0, n),
    n,
    height: img.height,
    width: img.width,
    channels: 1,
    numClasses,
    files: [imagesPath, labelsPath],
  };
}
