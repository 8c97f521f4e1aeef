/** Building Dataset values: validation, per-channel statistics, conversion from bytes. */
import { TsnasError } from '../util/errors.js';
import type { Dataset, RawImageSet } from './types.js';

/** Per-channel mean and (population) standard deviation of NHWC `images`. */
export function channelStats(images: Float32Array, channels: number): { mean: number[]; std: number[] } {
  const sum = new Float64Array(channels);
  const sq = new Float64Array(channels);
  for (let i = 0; i < images.length; i += channels) {
    for (let c = 0; c < channels; c++) {
      const v = images[i + c]!;
      sum[c]! += v;
      sq[c]! += v * v;
    }
  }
  const count = images.length / channels;
  const mean: number[] = [];
  const std: number[] = [];
  for (let c = 0; c < channels; c++) {
    const m = count > 0 ? sum[c]! / count : 0;
    const v = count > 0 ? Math.max(0, sq[c]! / count - m * m) : 0;
    mean.push(m);
    // A constant channel would divide by zero when normalising; 1 leaves it merely centred.
    std.push(Math.sqrt(v) > 1e-6 ? Math.sqrt(v) : 1);
  }
  return { mean, std };
}

/**
 * A Dataset from its parts, checking that the sizes agree and labels are in range. Statistics are
 * computed from the images unless given.
 */
export function makeDataset(parts: Omit<Dataset, 'mean' | 'std'> & { mean?: number[]; std?: number[] }): Dataset {
  const { name, images, labels, n, height, width, channels, numClasses, classNames } = parts;
  if (images.length !== n * height * width * channels) {
    throw new Error(`dataset ${name}: images has ${images.length} values, expected ${n}×${height}×${width}×${channels}`);
  }
  if (labels.length !== n) throw new Error(`dataset ${name}: ${labels.length} labels for ${n} images`);
  for (let i = 0; i < n; i++) {
    const l = labels[i]!;
    if (l < 0 || l >= numClasses) throw new TsnasError(`dataset ${name}: label ${i} is ${l}, outside 0..${numClasses - 1}`);
  }
  const stats = parts.mean && parts.std ? { mean: parts.mean, std: parts.std } : channelStats(images, channels);
  if (stats.mean.length !== channels || stats.std.length !== channels) {
    throw new Error(`dataset ${name}: mean/std need ${channels} entries`);
  }
  if (classNames && classNames.length !== numClasses) throw new Error(`dataset ${name}: ${classNames.length} class names for ${numClasses} classes`);
  return { name, images, labels, n, height, width, channels, numClasses, ...(classNames ? { classNames: [...classNames] } : {}), mean: [...stats.mean], std: [...stats.std] };
}

/** Bytes 0..255 → floats in [0, 1]. */
export function fromRaw(name: string, raw: RawImageSet): Dataset {
  const images = new Float32Array(raw.images.length);
  const inv = 1 / 255;
  for (let i = 0; i < images.length; i++) images[i] = raw.images[i]! * inv;
  return makeDataset({
    name,
    images,
    labels: raw.labels,
    n: raw.n,
    height: raw.height,
    width: raw.width,
    channels: raw.channels,
    numClasses: raw.numClasses,
    ...(raw.classNames ? { classNames: raw.classNames } : {}),
  });
}

/** The same data with other normalisation statistics (e.g. the training set's, for a test set). */
export function withStats(ds: Dataset, stats: { mean: number[]; std: number[] }): Dataset {
  if (stats.mean.length !== ds.channels || stats.std.length !== ds.channels) {
    throw new TsnasError(`dataset ${ds.name} has ${ds.channels} channels; mean/std with ${stats.mean.length}/${stats.std.length} entries do not fit`);
  }
  return { ...ds, mean: [...stats.mean], std: [...stats.std] };
}
