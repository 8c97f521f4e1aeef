/** A whole training run from a plain configuration: data, network, trainer. Shared by `tsnas train`, `tsnas dtb` and `tsnas export`. */
import { join } from 'node:path';
import { buildEvalNetwork, parseArch, checkSpace, getSpace, type AnyArch, type SpaceName } from '../spaces/index.js';
import type { Network } from '../nn/network.js';
import type { Dataset, FolderDatasetOptions } from '../data/index.js';
import { Rng } from '../util/rng.js';
import { TsnasError } from '../util/errors.js';
import { loadTrainData } from './data.js';
import { CHECKPOINT_FILE, loadWeights, readRunConfig, runToEnd, runYielding, trainSteps, type EpochRecord, type TrainProgress, type TrainRecipe, type TrainResult } from './trainer.js';

export interface NetSpec {
  space: SpaceName;
  arch: string;
  C?: number;
  N?: number;
  layers?: number;
  auxiliary?: boolean;
  /** Seed of the weight initialisation. */
  initSeed: number;
}

export interface DataSpec {
  dataset: string;
  dataDir?: string;
  imageSize?: number;
  trainLimit?: number;
  testLimit?: number;
  /** Folder only: test folder, held-out part, colour, class order. */
  folder?: FolderDatasetOptions;
}

export interface RunConfig {
  net: NetSpec;
  data: DataSpec;
  recipe: TrainRecipe;
}

export function buildNet(spec: NetSpec, shape: readonly [number, number, number], numClasses: number): { net: Network; arch: AnyArch } {
  const arch = parseArch(checkSpace(spec.space), spec.arch);
  const net = buildEvalNetwork(arch.space, arch, new Rng(spec.initSeed), {
    C: spec.C,
    N: spec.N,
    layers: spec.layers,
    auxiliary: spec.auxiliary,
    numClasses,
    inputShape: shape,
  });
  return { net, arch };
}

export function loadRunData(d: DataSpec): { train: Dataset; test: Dataset } {
  return loadTrainData({ dataset: d.dataset, dataDir: d.dataDir, imageSize: d.imageSize, trainLimit: d.trainLimit, testLimit: d.testLimit, ...(d.folder ? { folder: d.folder } : {}) });
}

export interface RunOutcome extends TrainResult {
  arch: string;
  params: number;
  flops: number;
  last: EpochRecord | undefined;
}

/**
 * Train one configuration in `runDir` (resuming from its checkpoint when `resume`). Evaluation
 * set: the dataset's test split, recorded as `<evalName>_loss/_acc` (default `test`).
 */
export interface RunTrainingOptions {
  runDir?: string;
  resume?: boolean;
  /** Told the training progress (see TrainProgress). */
  onProgress?: (p: TrainProgress) => void;
  label?: string;
  evalName?: string;
  data?: { train: Dataset; test: Dataset };
  onEpoch?: (r: EpochRecord) => boolean | void;
  /** Polled after every step; true stops after a (mid-epoch) checkpoint. See trainNetworkAsync. */
  shouldStop?: () => boolean;
}

export function runTraining(cfg: RunConfig, o: RunTrainingOptions): RunOutcome {
  return runToEnd(runTrainingSteps(cfg, o));
}

/** runTraining, yielding to the event loop after every step (so a Ctrl-C handler can set shouldStop). */
export function runTrainingAsync(cfg: RunConfig, o: RunTrainingOptions): Promise<RunOutcome> {
  return runYielding(runTrainingSteps(cfg, o));
}

/** runTraining as a generator that yields after every training step. */
export function* runTrainingSteps(cfg: RunConfig, o: RunTrainingOptions): Generator<void, RunOutcome> {
  const data = o.data ?? loadRunData(cfg.data);
  if (getSpace(cfg.net.space).netOptions.includes('auxiliary') && cfg.net.auxiliary !== false && (data.train.height !== 32 || data.train.width !== 32)) {
    // An auxiliary head (DARTS's: avgpool 5/3, conv 2×2, linear 768) only fits 8×8 features, i.e. 32-px input.
    if (cfg.recipe.auxWeight > 0) process.stderr.write(`note: auxiliary head disabled (it needs 32×32 input, images are ${data.train.height}×${data.train.width})\n`);
    cfg = { ...cfg, net: { ...cfg.net, auxiliary: false }, recipe: { ...cfg.recipe, auxWeight: 0 } };
  }
  const { net, arch } = buildNet(cfg.net, [data.train.height, data.train.width, data.train.channels], data.train.numClasses);
  try {
    const params = net.paramCount();
    const flops = net.flopsPerImage();
    const res: TrainResult = yield* trainSteps({
      net,
      train: data.train,
      evalSets: { [o.evalName ?? 'test']: data.test },
      recipe: cfg.recipe,
      runDir: o.runDir,
      resume: o.resume,
      onProgress: o.onProgress,
      label: o.label,
      onEpoch: o.onEpoch,
      shouldStop: o.shouldStop,
      config: {
        net: { ...cfg.net, arch: arch.text },
        data: cfg.data,
        params,
        flops,
        shape: [data.train.height, data.train.width, data.train.channels],
        numClasses: data.train.numClasses,
        normalization: { mean: data.train.mean, std: data.train.std },
      },
    });
    return { ...res, arch: arch.text, params, flops, last: res.history[res.history.length - 1] };
  } finally {
    net.dispose();
  }
}

/** What config.json of a run directory holds. */
export type RunFileConfig = RunConfig & {
  params: number;
  flops: number;
  shape?: [number, number, number];
  numClasses?: number;
  normalization?: { mean: number[]; std: number[] };
};

/** Rebuild a finished (or checkpointed) run's network with its trained weights. */
export function loadRun(
  dir: string,
  shapeOverride?: { shape: readonly [number, number, number]; numClasses: number },
): {
  net: Network;
  arch: AnyArch;
  config: RunFileConfig;
  history: EpochRecord[];
  shape: readonly [number, number, number];
  numClasses: number;
} {
  const config = readRunConfig(dir) as unknown as RunFileConfig;
  const shape = shapeOverride?.shape ?? config.shape!;
  const numClasses = shapeOverride?.numClasses ?? config.numClasses!;
  const { net, arch } = buildNet(config.net, shape, numClasses);
  const meta = loadWeights(net, join(dir, CHECKPOINT_FILE));
  if (meta.partial) {
    net.dispose();
    throw new TsnasError(`${dir} was stopped inside epoch ${meta.epoch + 1} (step ${meta.partial.step}): its weights belong to no recorded epoch; continue it with --resume first`);
  }
  return { net, arch, config, history: meta.history, shape, numClasses };
}
