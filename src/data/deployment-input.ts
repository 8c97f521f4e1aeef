/**
 * The input a dataset's deployed network takes (side, channels, classes): what deployment
 * objectives (latency, download size, params, FLOPs) size their networks by, so that a search on
 * Fashion-MNIST measures 28×28 grey networks and one on a folder measures the folder's networks.
 */
import { folderOptionsFrom, imageFolderInput, type FolderFlags } from './folder.js';

export interface DatasetInput {
  inputShape: [number, number, number];
  numClasses: number;
}

/** Native side and channels of the built-in datasets (their class count is 10). */
const BUILT_IN: Record<string, { side: number; channels: number }> = {
  cifar10: { side: 32, channels: 3 },
  'fashion-mnist': { side: 28, channels: 1 },
  synthetic: { side: 16, channels: 3 },
};

/** The input every space sizes its networks for when none is given (CIFAR-10's). */
const SPACE_DEFAULT = { side: 32, channels: 3 };

/**
 * The deployed input of `dataset` at `flags.imageSize` (default: its native size), or undefined
 * where that is the spaces' own default (32×32×3) or the dataset is unknown here.
 */
export function deploymentInput(dataset: string | undefined, dataDir: string | undefined, flags: FolderFlags = {}): DatasetInput | undefined {
  if (dataset === 'folder') return dataDir ? imageFolderInput(dataDir, folderOptionsFrom(flags)) : undefined;
  const d = BUILT_IN[dataset ?? 'cifar10'];
  if (!d) return undefined;
  const side = flags.imageSize ?? d.side;
  // the spaces size their networks for 32×32×3 by default; only other inputs need saying
  if (side === SPACE_DEFAULT.side && d.channels === SPACE_DEFAULT.channels) return undefined;
  return { inputShape: [side, side, d.channels], numClasses: 10 };
}
