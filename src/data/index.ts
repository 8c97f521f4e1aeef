/** The data layer: dataset readers, the Dataset type, splits and transforms, batching. */
export type { Dataset, RawImageSet, Split } from './types.js';
export {
  loadDataset,
  datasetClassNames,
  subset,
  splitTrainVal,
  classCounts,
  channelStats,
  makeDataset,
  withStats,
  DATASET_NAMES,
  CIFAR10_DEFAULT_DIR,
  type DatasetName,
  type LoadOptions,
} from './dataset.js';
export { fromRaw } from './core.js';
export {
  loadImageFolder,
  loadImageFolderAsync,
  loadFolderDataset,
  folderOptionsFrom,
  imageFolderInput,
  type FolderFlags,
  listImageFolder,
  decodeImage,
  decodeBmp,
  resizeBytes,
  rgbToGray,
  grayToRgb,
  parseClassNames,
  IMAGE_EXTENSIONS,
  IMAGE_FOLDER_CACHE_DIR,
  IMAGE_FOLDER_DEFAULT_SIZE,
  type ImageFolderOptions,
  type ImageFolderLoadInfo,
  type FolderDatasetOptions,
  type ColorMode,
  type DecodedImage,
} from './folder.js';
export { downsample, toChannels } from './transforms.js';
export { deploymentInput, type DatasetInput } from './deployment-input.js';
export { readCifar10, readCifar10File, parseCifar10Records, findCifar10Files, CIFAR10_CLASSES, CIFAR10_FILE_NAMES, CIFAR10_RECORD_BYTES } from './cifar10.js';
export { readIdx, parseIdx, readIdxImages, readIdxLabels, readIdxPair, type IdxArray } from './idx.js';
export { readFashionMnist, findFashionMnistFiles, FASHION_MNIST_CLASSES, FASHION_MNIST_DEFAULT_DIR } from './fashion-mnist.js';
export { makeSynthetic, type SyntheticOptions } from './synthetic.js';
export { drawAugment, applyAugment, shiftFlipInto, cutoutInPlace, type AugmentOptions, type AugmentDraw } from './augment.js';
export { Batcher, fixedBatch, makeBatch, batchArrays, type Batch, type BatcherOptions, type BatcherState, type BatchArrayOptions } from './batcher.js';
export { readMaybeGzip, isGzip } from './io.js';
