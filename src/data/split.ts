/** Cutting datasets into pieces: subsets, a seeded stratified train/validation split, class counts. */
import { Rng } from '../util/rng.js';
import { TsnasError } from '../util/errors.js';
import type { Dataset } from './types.js';

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
