/**
 * Per-image augmentation on NHWC Float32Array data, with no tensor ops. A random draw
 * (`drawAugment`) is separated from its application so that the primitives can be tested on
 * hand-made images and so that all randomness goes through one seeded Rng in a fixed order:
 * crop offsets (dy, then dx), flip, cutout centre (y, then x) — each only when enabled.
 *
 *  - random crop with zero padding p: the image is padded by p zero pixels on every side and a
 *    window of the original size is cut at a random offset, i.e. it is shifted by (dy, dx) with
 *    -p ≤ dy, dx ≤ p, and pixels shifted in from outside are 0;
 *  - horizontal flip with probability 1/2 (after the crop);
 *  - cutout (DeVries & Taylor 2017): a size×size square centred at a uniformly random pixel
 *    (clipped at the borders, so it may be partly outside) is set to 0.
 */
import type { Rng } from '../util/rng.js';
import { TsnasError } from '../util/errors.js';

export interface AugmentOptions {
  /** Random crop with this much zero padding (e.g. 4); 0/undefined: off. */
  cropPadding?: number;
  /** Random horizontal flip. */
  flip?: boolean;
  /** Cutout square side (e.g. 16 for CIFAR-10); 0/undefined: off. */
  cutout?: number;
}

/** One image's random choices. cutoutY/X are -1 when cutout is off. */
export interface AugmentDraw {
  dy: number;
  dx: number;
  flip: boolean;
  cutoutY: number;
  cutoutX: number;
}

export const NO_AUGMENT: AugmentDraw = { dy: 0, dx: 0, flip: false, cutoutY: -1, cutoutX: -1 };

export function validateAugment(a: AugmentOptions | undefined): void {
  if (!a) return;
  for (const k of ['cropPadding', 'cutout'] as const) {
    const v = a[k];
    if (v !== undefined && !(Number.isInteger(v) && v >= 0)) throw new TsnasError(`augment.${k} must be a non-negative integer, got ${v}`);
  }
}

export function isAugmenting(a: AugmentOptions | undefined): boolean {
  return !!a && ((a.cropPadding ?? 0) > 0 || !!a.flip || (a.cutout ?? 0) > 0);
}

export function drawAugment(a: AugmentOptions, height: number, width: number, rng: Rng): AugmentDraw {
  const p = a.cropPadding ?? 0;
  const dy = p > 0 ? rng.int(2 * p + 1) - p : 0;
  const dx = p > 0 ? rng.int(2 * p + 1) - p : 0;
  const flip = a.flip ? rng.next() < 0.5 : false;
  let cutoutY = -1;
  let cutoutX = -1;
  if ((a.cutout ?? 0) > 0) {
    cutoutY = rng.int(height);
    cutoutX = rng.int(width);
  }
  return { dy, dx, flip, cutoutY, cutoutX };
}

/**
 * dst[y, x] = src[y + dy, x' + dx] with x' = (flip ? width-1-x : x), 0 outside the image, then
 * mapped through (v - mean[c]) * invStd[c] (pass mean 0 / invStd 1 for raw values). `src` and
 * `dst` are single images (height × width × channels) and must not overlap.
 */
export function shiftFlipInto(
  src: Float32Array,
  dst: Float32Array,
  height: number,
  width: number,
  channels: number,
  dy: number,
  dx: number,
  flip: boolean,
  mean?: ArrayLike<number>,
  invStd?: ArrayLike<number>,
): void {
  const C = channels;
  for (let y = 0; y < height; y++) {
    const sy = y + dy;
    const rowInside = sy >= 0 && sy < height;
    for (let x = 0; x < width; x++) {
      const sx = (flip ? width - 1 - x : x) + dx;
      const d = (y * width + x) * C;
      const inside = rowInside && sx >= 0 && sx < width;
      const s = (sy * width + sx) * C;
      for (let c = 0; c < C; c++) {
        const v = inside ? src[s + c]! : 0;
        dst[d + c] = mean && invStd ? (v - mean[c]!) * invStd[c]! : v;
      }
    }
  }
}

/** Set the size×size square centred at (cy, cx) (clipped to the image) to `value`, in place. */
export function cutoutInPlace(img: Float32Array, height: number, width: number, channels: number, cy: number, cx: number, size: number, value = 0): void {
  const y0 = Math.max(0, cy - Math.floor(size / 2));
  const y1 = Math.min(height, cy - Math.floor(size / 2) + size);
  const x0 = Math.max(0, cx - Math.floor(size / 2));
  const x1 = Math.min(width, cx - Math.floor(size / 2) + size);
  for (let y = y0; y < y1; y++) {
    img.fill(value, (y * width + x0) * channels, (y * width + x1) * channels);
  }
}

/** Apply a draw to one image: crop/flip then cutout. Raw values unless mean/invStd given. */
export function applyAugment(
  src: Float32Array,
  dst: Float32Array,
  height: number,
  width: number,
  channels: number,
  draw: AugmentDraw,
  cutoutSize: number,
  mean?: ArrayLike<number>,
  invStd?: ArrayLike<number>,
): void {
  shiftFlipInto(src, dst, height, width, channels, draw.dy, draw.dx, draw.flip, mean, invStd);
  if (cutoutSize > 0 && draw.cutoutY >= 0) cutoutInPlace(dst, height, width, channels, draw.cutoutY, draw.cutoutX, cutoutSize, 0);
}
