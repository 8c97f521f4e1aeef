/** Shared shapes of the data layer. */

/** Labels and geometry shared by decoded datasets and raw file contents (NHWC images). */
export interface ImageSetShape {
  labels: Int32Array;
  n: number;
  height: number;
  width: number;
  channels: number;
  numClasses: number;
  /** The name of each label (index = label), where the source names its classes (e.g. an image folder's class folders). */
  classNames?: string[];
}

/**
 * An in-memory image classification set. Images are NHWC float32 with values in [0, 1];
 * `mean`/`std` are per-channel statistics (over all pixels of `images`, or inherited from the set
 * this one was cut from) that batchers use to normalise: x' = (x - mean[c]) / std[c].
 */
export interface Dataset extends ImageSetShape {
  name: string;
  images: Float32Array;
  mean: number[];
  std: number[];
}

/** What the file readers produce: bytes 0..255, NHWC, before conversion to a Dataset. */
export interface RawImageSet extends ImageSetShape {
  images: Uint8Array;
  /** The files the set was read from. */
  files: string[];
}

export type Split = 'train' | 'test';
