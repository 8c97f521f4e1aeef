/**
 * Minibatches as TF.js tensors.
 *
 * Each batch is built in a Float32Array — augmentation (crop/flip on the [0, 1] pixels, then
 * per-channel normalisation (x - mean[c]) / std[c], then cutout, which therefore zeroes in
 * normalised space, i.e. sets the channel mean) — and only then turned into tensors. Every batch
 * creates exactly two tensors, `x` (float32 [b, h, w, c]) and `y` (int32 [b]); THE CALLER OWNS
 * THEM and must dispose them (`tf.dispose([batch.x, batch.y])`, or build them inside `tf.tidy`).
 *
 * Resumability: all randomness (the epoch's permutation, then every augmentation draw) comes from
 * one seeded Rng. `getState()` returns { epoch, position, epochRngState, rngState } (plain numbers,
 * JSON-safe); a Batcher built with that state (or `setState`) continues exactly where the saved
 * one was — same remaining order, same augmentations, same later epochs.
 */
import { tf } from '../engine/tf.js';
import { Rng } from '../util/rng.js';
import { TsnasError } from '../util/errors.js';
import { applyAugment, drawAugment, isAugmenting, validateAugment, type AugmentOptions } from './augment.js';
import type { Dataset } from './types.js';

export interface BatcherOptions {
  batchSize: number;
  /** Reshuffle every epoch (default true). */
  shuffle?: boolean;
  /** Seed of the order and augmentation (default 0). */
  seed?: number;
  /** Drop the last, smaller batch of an epoch (default false). */
  dropLast?: boolean;
  augment?: AugmentOptions;
  /** Normalise with the dataset's mean/std (default true); false gives [0, 1] pixels. */
  normalize?: boolean;
}

export interface Batch {
  x: tf.Tensor4D;
  y: tf.Tensor1D;
  /** Dataset rows in this batch, in order. A plain array, not a tensor. */
  indices: Int32Array;
}

export interface BatcherState {
  epoch: number;
  /** Images of the current epoch already handed out. */
  position: number;
  /** Rng state at the start of the current epoch (its permutation is regenerated from it). */
  epochRngState: number;
  /** Current Rng state. */
  rngState: number;
  /** Dataset size and batch size, checked on restore. */
  n: number;
  batchSize: number;
}

export interface BatchArrayOptions {
  augment?: AugmentOptions;
  /** Needed when augment is on. */
  rng?: Rng;
  normalize?: boolean;
}

/**
 * The images at `indices` as one NHWC Float32Array (augmented and normalised per `opts`), with
 * their labels. No tensors; `makeBatch` wraps this.
 */
export function batchArrays(ds: Dataset, indices: ArrayLike<number>, opts: BatchArrayOptions = {}): { x: Float32Array; y: Int32Array } {
  const { height: H, width: W, channels: C } = ds;
  const per = H * W * C;
  const b = indices.length;
  const x = new Float32Array(b * per);
  const y = new Int32Array(b);
  const normalize = opts.normalize ?? true;
  const mean = normalize ? ds.mean : undefined;
  const invStd = normalize ? ds.std.map((s) => 1 / s) : undefined;
  const aug = isAugmenting(opts.augment) ? opts.augment! : undefined;
  if (aug && !opts.rng) throw new Error('batchArrays: augmentation needs an rng');
  const cutout = aug?.cutout ?? 0;
  for (let i = 0; i < b; i++) {
    const j = indices[i]!;
    if (j < 0 || j >= ds.n) throw new TsnasError(`batch of ${ds.name}: index ${j} outside 0..${ds.n - 1}`);
    y[i] = ds.labels[j]!;
    const src = ds.images.subarray(j * per, (j + 1) * per);
    const dst = x.subarray(i * per, (i + 1) * per);
    if (!aug) {
      if (mean && invStd) {
        for (let p = 0; p < per; p += C) for (let c = 0; c < C; c++) dst[p + c] = (src[p + c]! - mean[c]!) * invStd[c]!;
      } else dst.set(src);
      continue;
    }
    applyAugment(src, dst, H, W, C, drawAugment(aug, H, W, opts.rng!), cutout, mean, invStd);
  }
  return { x, y };
}

/** One batch of the rows `indices` as two new tensors (caller disposes x and y). */
export function makeBatch(ds: Dataset, indices: ArrayLike<number>, opts: BatchArrayOptions = {}): Batch {
  const { x, y } = batchArrays(ds, indices, opts);
  return {
    x: tf.tensor4d(x, [indices.length, ds.height, ds.width, ds.channels], 'float32'),
    y: tf.tensor1d(y, 'int32'),
    indices: Int32Array.from(indices),
  };
}

/**
 * One batch of `size` distinct images chosen at random by `seed` (no augmentation, normalised
 * unless normalize is false), for training-free proxies. The caller disposes x and y.
 */
export function fixedBatch(ds: Dataset, size: number, seed: number, opts: { normalize?: boolean } = {}): Batch {
  if (!Number.isInteger(size) || size < 1 || size > ds.n) {
    throw new TsnasError(`fixed batch of ${size} images from ${ds.name}: need 1 ≤ size ≤ ${ds.n}`);
  }
  const rng = new Rng(seed);
  const all = Int32Array.from({ length: ds.n }, (_, i) => i);
  for (let i = 0; i < size; i++) {
    const j = i + rng.int(ds.n - i);
    const t = all[i]!;
    all[i] = all[j]!;
    all[j] = t;
  }
  return makeBatch(ds, all.subarray(0, size), { normalize: opts.normalize });
}

export class Batcher {
  readonly ds: Dataset;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly augment: AugmentOptions | undefined;
  readonly normalize: boolean;
  /** Batches in every epoch. */
  readonly batchesPerEpoch: number;
  private readonly rng: Rng;
  private order: Int32Array;
  private _epoch = 0;
  private _position = 0;
  private epochRngState = 0;

  constructor(ds: Dataset, opts: BatcherOptions, state?: BatcherState) {
    if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) {
      throw new TsnasError(`batch size must be a positive integer, got ${opts.batchSize}`);
    }
    validateAugment(opts.augment);
    this.ds = ds;
    this.batchSize = opts.batchSize;
    this.shuffle = opts.shuffle ?? true;
    this.dropLast = opts.dropLast ?? false;
    this.augment = opts.augment;
    this.normalize = opts.normalize ?? true;
    this.batchesPerEpoch = this.dropLast ? Math.floor(ds.n / this.batchSize) : Math.ceil(ds.n / this.batchSize);
    if (this.batchesPerEpoch === 0) {
      throw new TsnasError(`dataset ${ds.name} has ${ds.n} images: no full batch of ${this.batchSize} (dropLast is on)`);
    }
    this.rng = new Rng(opts.seed ?? 0);
    this.order = new Int32Array(ds.n);
    if (state) this.setState(state);
    else this.startEpoch();
  }

  get epoch(): number {
    return this._epoch;
  }

  /** Images of the current epoch already handed out. */
  get position(): number {
    return this._position;
  }

  /** Index of the next batch within the current epoch. */
  get batchIndex(): number {
    return Math.ceil(this._position / this.batchSize);
  }

  private startEpoch(): void {
    this.epochRngState = this.rng.state;
    for (let i = 0; i < this.order.length; i++) this.order[i] = i;
    if (this.shuffle) {
      for (let i = this.order.length - 1; i > 0; i--) {
        const j = this.rng.int(i + 1);
        const t = this.order[i]!;
        this.order[i] = this.order[j]!;
        this.order[j] = t;
      }
    }
  }

  /**
   * The next batch; after the last batch of an epoch the next epoch starts (reshuffled), so this
   * never runs dry. The caller disposes `x` and `y`.
   */
  next(): Batch {
    const n = this.ds.n;
    const end = Math.min(n, this._position + this.batchSize);
    const indices = this.order.slice(this._position, end);
    const batch = makeBatch(this.ds, indices, { augment: this.augment, rng: this.rng, normalize: this.normalize });
    this._position = end;
    if (end >= n || (this.dropLast && n - end < this.batchSize)) {
      this._epoch++;
      this._position = 0;
      this.startEpoch();
    }
    return batch;
  }

  /** The remaining batches of the current epoch (all of them at an epoch's start). */
  *epochBatches(): Generator<Batch, void, undefined> {
    const e = this._epoch;
    while (this._epoch === e) yield this.next();
  }

  getState(): BatcherState {
    return {
      epoch: this._epoch,
      position: this._position,
      epochRngState: this.epochRngState,
      rngState: this.rng.state,
      n: this.ds.n,
      batchSize: this.batchSize,
    };
  }

  setState(s: BatcherState): void {
    if (s.n !== this.ds.n || s.batchSize !== this.batchSize) {
      throw new TsnasError(`batcher state is for ${s.n} images in batches of ${s.batchSize}, but this batcher has ${this.ds.n} images in batches of ${this.batchSize}`);
    }
    if (!Number.isInteger(s.position) || s.position < 0 || s.position >= this.ds.n || !Number.isInteger(s.epoch) || s.epoch < 0) {
      throw new TsnasError(`invalid batcher state: epoch ${s.epoch}, position ${s.position}`);
    }
    this.rng.state = s.epochRngState;
    this.startEpoch();
    this.rng.state = s.rngState;
    this._epoch = s.epoch;
    this._position = s.position;
  }
}
