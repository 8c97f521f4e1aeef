/** Shared shapes of the data layer. */

/**
 * An in-memory image classification set. Images are NHWC float32 with values in [0, 1];
 * `mean`/`std` are per-channel statistics (over all pixels of `images`, or inherited from the set
 * this one was cut from) that batchers use to normalise: x' = (x - mean[c]) / std[c].
 */
export interface Dataset {
  name: string;
  images: Float32Array;
  labels: Int32Array;
  n: number;
  height: number;
  width: number;
  channels: number;
  numClasses: number;
  mean: number[];
  std: number[];
}

/** What the file readers produce: bytes 0..255, NHWC, before conversion to a Dataset. */
export interface RawImageSet {
  images: Uint8Array;
  labels: Int32Array;
  n: number;
  height: number;
  width: number;
  channels: number;
  numClasses: number;
  /** The files the set was read from. */
  files: string[];
}

export type Split = 'train' | 'test';
