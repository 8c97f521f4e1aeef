/** Whole-dataset transforms: spatial downsampling and channel conversion. */
import { TsnasError } from '../util/errors.js';
import { channelStats } from './core.js';
import type { Dataset } from './types.js';

/**
 * Average-pool every image by `factor` × `factor` (e.g. 2: 32×32 → 16×16). The height and width
 * must be multiples of `factor`. Statistics are recomputed (pooling lowers the std).
 */
export function downsample(ds: Dataset, factor: number): Dataset {
  if (!Number.isInteger(factor) || factor < 1) throw new TsnasError(`downsample factor must be a positive integer, got ${factor}`);
  if (factor === 1) return ds;
  if (ds.height % factor !== 0 || ds.width % factor !== 0) {
    throw new TsnasError(`cannot downsample ${ds.name} images of ${ds.height}×${ds.width} by ${factor}: not a divisor of both sides`);
  }
  const { n, channels: C } = ds;
  const H = ds.height / factor;
  const W = ds.width / factor;
  const inW = ds.width;
  const inPer = ds.height * inW * C;
  const out = new Float32Array(n * H * W * C);
  const scale = 1 / (factor * factor);
  let o = 0;
  for (let i = 0; i < n; i++) {
    const base = i * inPer;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        for (let c = 0; c < C; c++) {
          let s = 0;
          for (let dy = 0; dy < factor; dy++) {
            let p = base + ((y * factor + dy) * inW + x * factor) * C + c;
            for (let dx = 0; dx < factor; dx++, p += C) s += ds.images[p]!;
          }
          out[o++] = s * scale;
        }
      }
    }
  }
  return { ...ds, images: out, height: H, width: W, ...channelStats(out, C) };
}

/**
 * Convert to `channels` channels: 1 → k replicates the grey channel (statistics replicated too);
 * k → 1 averages the channels (statistics recomputed). Same count: returned unchanged.
 */
export function toChannels(ds: Dataset, channels: number): Dataset {
  if (ds.channels === channels) return ds;
  if (!Number.isInteger(channels) || channels < 1) throw new TsnasError(`channel count must be a positive integer, got ${channels}`);
  const pixels = ds.n * ds.height * ds.width;
  if (ds.channels === 1) {
    const out = new Float32Array(pixels * channels);
    for (let p = 0, o = 0; p < pixels; p++) {
      const v = ds.images[p]!;
      for (let c = 0; c < channels; c++) out[o++] = v;
    }
    return { ...ds, images: out, channels, mean: new Array(channels).fill(ds.mean[0]), std: new Array(channels).fill(ds.std[0]) };
  }
  if (channels === 1) {
    const C = ds.channels;
    const out = new Float32Array(pixels);
    for (let p = 0; p < pixels; p++) {
      let s = 0;
      for (let c = 0; c < C; c++) s += ds.images[p * C + c]!;
      out[p] = s / C;
    }
    return { ...ds, images: out, channels: 1, ...channelStats(out, 1) };
  }
  throw new TsnasError(`cannot convert ${ds.name} from ${ds.channels} to ${channels} channels (only 1 → k and k → 1)`);
}
