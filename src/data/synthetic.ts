/**
 * A deterministic synthetic classification set for tests and quick runs. Each class has a
 * prototype: an oriented sinusoidal grating (its own angle, spatial frequency and phase) tinted by
 * its own per-channel colour weights. A sample is its class's prototype with jittered phase,
 * contrast and brightness plus Gaussian pixel noise, clipped to [0, 1]. Classes are balanced
 * (n / numClasses each, the remainder spread over the first classes) and shuffled.
 *
 * Prototypes depend only on `structureSeed` (and the class count, size and channels), samples on
 * `seed`, so two sets with the same structure and different seeds are train/test draws of the same
 * distribution. A small convnet (and even a nearest-class-mean classifier) learns it easily.
 */
import { Rng } from '../util/rng.js';
import { TsnasError } from '../util/errors.js';
import { makeDataset } from './core.js';
import type { Dataset } from './types.js';

export interface SyntheticOptions {
  /** Number of images (default 1000). */
  n?: number;
  /** Image height (default 16); width defaults to the height. */
  height?: number;
  width?: number;
  /** Channels (default 3). */
  channels?: number;
  /** Classes (default 10). */
  numClasses?: number;
  /** Seed of the samples (default 0). */
  seed?: number;
  /** Seed of the class prototypes (default 0x5eed). */
  structureSeed?: number;
  /** Standard deviation of the pixel noise (default 0.1). */
  noise?: number;
  name?: string;
}

interface Prototype {
  kx: number;
  ky: number;
  phase: number;
  colour: number[];
}

function prototypes(numClasses: number, channels: number, structureSeed: number): Prototype[] {
  const rng = new Rng(structureSeed);
  const out: Prototype[] = [];
  for (let k = 0; k < numClasses; k++) {
    const angle = (Math.PI * k) / numClasses + ((rng.next() - 0.5) * (0.3 * Math.PI)) / numClasses;
    const cycles = 1.5 + 2.5 * rng.next(); // cycles across the image
    const colour = Array.from({ length: channels }, () => 0.3 + 0.7 * rng.next());
    out.push({ kx: cycles * Math.cos(angle), ky: cycles * Math.sin(angle), phase: 2 * Math.PI * rng.next(), colour });
  }
  return out;
}

export function makeSynthetic(opts: SyntheticOptions = {}): Dataset {
  const n = opts.n ?? 1000;
  const height = opts.height ?? 16;
  const width = opts.width ?? height;
  const channels = opts.channels ?? 3;
  const numClasses = opts.numClasses ?? 10;
  const noise = opts.noise ?? 0.1;
  for (const [k, v] of Object.entries({ n, height, width, channels, numClasses })) {
    if (!Number.isInteger(v) || v < 1) throw new TsnasError(`synthetic dataset: ${k} must be a positive integer, got ${v}`);
  }
  if (numClasses < 2) throw new TsnasError('synthetic dataset: numClasses must be at least 2');
  const protos = prototypes(numClasses, channels, opts.structureSeed ?? 0x5eed);
  const rng = new Rng(opts.seed ?? 0);
  const labels = new Int32Array(n);
  const order = Array.from({ length: n }, (_, i) => i % numClasses);
  rng.shuffle(order);
  labels.set(order);
  const images = new Float32Array(n * height * width * channels);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const p = protos[labels[i]!]!;
    const phase = p.phase + (rng.next() - 0.5) * 1.2;
    const contrast = 0.25 + 0.2 * rng.next();
    const brightness = 0.4 + 0.2 * rng.next();
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const wave = Math.cos(2 * Math.PI * ((p.kx * x) / width + (p.ky * y) / height) + phase);
        for (let c = 0; c < channels; c++) {
          const v = brightness + contrast * p.colour[c]! * wave + noise * rng.normal();
          images[at++] = v < 0 ? 0 : v > 1 ? 1 : v;
        }
      }
    }
  }
  return makeDataset({ name: opts.name ?? 'synthetic', images, labels, n, height, width, channels, numClasses });
}
