/** `tsnas train`: train one architecture's evaluation network, with checkpoints, resume and curves. */
import { Command } from 'commander';
import { checkSpace, getSpace, type SpaceName } from '../../spaces/index.js';
import { DEFAULT_RECIPE, spaceRecipe, type TrainRecipe } from '../../train/trainer.js';
import { runTrainingAsync, type DataSpec, type NetSpec } from '../../train/run.js';
import { currentRun, stopRequested, withGracefulStop } from '../tracking.js';
import { trainProgressBar } from '../train-progress.js';
import { TsnasError } from '../../util/errors.js';
import { folderOptionsFrom } from '../../data/index.js';
import { emit, intArg, log, numArg, startBackend, spaceOption, withCommon, type CommonOptions } from '../common.js';

export interface RecipeFlags {
  epochs: number;
  batch?: number;
  lr?: number;
  lrMin: number;
  momentum?: number;
  nesterov?: boolean;
  wd?: number;
  gradClip?: number;
  cropPadding: number;
  flip: boolean;
  cutout?: number;
  dropPath?: number;
  auxWeight?: number;
  labelSmoothing: number;
  evalBatch: number;
}

export interface NetFlags {
  C?: number;
  N?: number;
  layers?: number;
  auxiliary?: boolean;
  imageSize?: number;
  trainLimit?: number;
  testLimit?: number;
}

/** Recipe flags shared by train and dtb build; unset ones take the space's defaults. */
export function withRecipeFlags(cmd: Command, epochsDefault?: number): Command {
  return cmd
    .option('--epochs <n>', 'training epochs', intArg('epochs', 1, 100000), epochsDefault)
    .option('--batch <n>', 'batch size (default: nb201 256, darts 96)', intArg('batch', 1, 8192))
    .option('--lr <x>', 'initial learning rate, cosine-annealed per epoch (default: nb201 0.1, darts 0.025)', numArg('lr', 0, 100))
    .option('--lr-min <x>', 'cosine floor', numArg('lr-min', 0, 100), 0)
    .option('--momentum <x>', 'SGD momentum (default 0.9)', numArg('momentum', 0, 1))
    .option('--nesterov', 'Nesterov momentum (default: on for nb201)')
    .option('--no-nesterov', 'plain momentum')
    .option('--wd <x>', 'weight decay (default: nb201 5e-4, darts 3e-4)', numArg('wd', 0, 1))
    .option('--grad-clip <x>', 'max global gradient norm, 0 = off (default: nb201 0, darts 5)', numArg('grad-clip', 0, 1e9))
    .option('--crop-padding <n>', 'random-crop padding, 0 = off', intArg('crop-padding', 0, 64), 4)
    .option('--no-flip', 'no random horizontal flip')
    .option('--cutout <n>', 'cutout side, 0 = off (default: nb201 0, darts 16)', intArg('cutout', 0, 1024))
    .option('--drop-path <p>', 'final drop-path probability, darts only (default 0.2)', numArg('drop-path', 0, 0.99))
    .option('--aux-weight <w>', 'auxiliary-head loss weight, darts only (default 0.4; 0 disables the head)', numArg('aux-weight', 0, 100))
    .option('--label-smoothing <e>', 'label smoothing epsilon', numArg('label-smoothing', 0, 0.99), 0)
    .option('--eval-batch <n>', 'evaluation batch size', intArg('eval-batch', 1, 8192), 256)
    .option('--C <n>', 'initial channels (default: nb201 16, darts 36)', intArg('C', 1, 4096))
    .option('--N <n>', 'nb201: cells per stage (default 5)', intArg('N', 1, 100))
    .option('--layers <n>', 'darts: cells (default 20)', intArg('layers', 3, 200))
    .option('--image-size <n>', 'average-pool the images down to n×n (e.g. 16 for 32-px CIFAR-10)', intArg('image-size', 1, 1024))
    .option('--train-limit <n>', 'use only the first n training images', intArg('train-limit', 1))
    .option('--test-limit <n>', 'use only the first n test images', intArg('test-limit', 1));
}

export function recipeFrom(space: SpaceName, f: RecipeFlags, seed: number): TrainRecipe {
  const d = { ...DEFAULT_RECIPE, ...spaceRecipe(space) };
  const net = getSpace(space).netOptions;
  if (!f.epochs) throw new TsnasError('--epochs is required');
  const r: TrainRecipe = {
    ...d,
    epochs: f.epochs,
    batch: f.batch ?? d.batch,
    lr: f.lr ?? d.lr,
    lrMin: f.lrMin,
    momentum: f.momentum ?? d.momentum,
    nesterov: f.nesterov ?? d.nesterov,
    weightDecay: f.wd ?? d.weightDecay,
    gradClip: f.gradClip ?? d.gradClip,
    cropPadding: f.cropPadding,
    flip: f.flip,
    cutout: f.cutout ?? d.cutout,
    dropPath: net.includes('dropPath') ? (f.dropPath ?? d.dropPath) : 0,
    auxWeight: net.includes('auxiliary') ? (f.auxWeight ?? d.auxWeight) : 0,
    labelSmoothing: f.labelSmoothing,
    evalBatch: f.evalBatch,
    seed,
  };
  if (r.nesterov && r.momentum === 0) throw new TsnasError('Nesterov momentum needs --momentum > 0');
  return r;
}

export function netSpecFrom(space: SpaceName, arch: string, f: NetFlags, r: TrainRecipe, seed: number): NetSpec {
  const opts = getSpace(space).netOptions;
  const sizes =
    (['C', 'N', 'layers'] as const)
      .filter((k) => opts.includes(k))
      .map((k) => `--${k}`)
      .join(', ') || 'no size flags';
  for (const k of ['C', 'N', 'layers'] as const) {
    if (f[k] !== undefined && !opts.includes(k)) throw new TsnasError(`--${k} is not a flag of the ${space} space (its network takes ${sizes})`);
  }
  return {
    space,
    arch,
    initSeed: seed,
    ...(f.C !== undefined ? { C: f.C } : {}),
    ...(f.N !== undefined ? { N: f.N } : {}),
    ...(f.layers !== undefined ? { layers: f.layers } : {}),
    ...(opts.includes('auxiliary') ? { auxiliary: r.auxWeight > 0 } : {}),
  };
}

export function dataSpecFrom(o: CommonOptions & NetFlags): DataSpec {
  return {
    dataset: o.dataset ?? 'cifar10',
    ...(o.dataDir ? { dataDir: o.dataDir } : {}),
    ...(o.imageSize ? { imageSize: o.imageSize } : {}),
    ...(o.trainLimit ? { trainLimit: o.trainLimit } : {}),
    ...(o.testLimit ? { testLimit: o.testLimit } : {}),
    ...(o.dataset === 'folder' ? { folder: folderOptionsFrom({ testDir: o.testDir, valSplit: o.valSplit, color: o.color, classNames: o.classNames }) } : {}),
  };
}

type TrainFlags = CommonOptions & RecipeFlags & NetFlags & { space: SpaceName; arch: string; resume?: boolean; progress: boolean; stopAfter?: number };

/** ` (or: tsnas runs resume RUN)` when the invocation is a run in the store. */
export function currentRunHint(): string {
  const run = currentRun();
  return run ? ` (or: tsnas runs resume ${run.id} --store ${run.store.path})` : '';
}

export function trainCommand(): Command {
  return withRecipeFlags(
    withCommon(
      new Command('train')
        .description('Train an architecture (SGD, cosine, cutout, drop-path, auxiliary head); checkpoints and curves in --out, --resume continues')
        .addOption(spaceOption().makeOptionMandatory())
        .requiredOption('--arch <str>', 'NB201 arch string or DARTS Genotype(...) text')
        .option('--resume', 'continue from the checkpoint in --out (exactly as if never interrupted)')
        .option('--stop-after <k>', 'stop after k epochs in this invocation (continue later with --resume): split a long run into short ones', intArg('stop-after', 1))
        .option('--no-progress', 'no progress bar'),
    ),
  ).action(async (o: TrainFlags) => {
    const space = checkSpace(o.space);
    const recipe = recipeFrom(space, o, o.seed);
    const net = netSpecFrom(space, o.arch, o, recipe, o.seed);
    if (o.resume && !o.out) throw new TsnasError('--resume needs --out (the run directory)');
    await startBackend(o);
    if (o.stopAfter && !o.out) throw new TsnasError('--stop-after needs --out (to resume from)');
    let n = 0;
    // Ctrl-C stops after the current step with a checkpoint in --out (without --out: Node's default, exit at once).
    const go = () =>
      runTrainingAsync(
        { net, data: dataSpecFrom(o), recipe },
        {
          runDir: o.out,
          resume: o.resume,
          onProgress: o.progress ? trainProgressBar() : undefined,
          onEpoch: o.stopAfter ? () => ++n < o.stopAfter! : undefined,
          shouldStop: o.out ? stopRequested : undefined,
        },
      );
    const res = o.out ? await withGracefulStop(go) : await go();
    if (res.stoppedAt) {
      const at = res.stoppedAt.step < res.stoppedAt.steps ? `at step ${res.stoppedAt.step} of ${res.stoppedAt.steps} in epoch ${res.stoppedAt.epoch}` : `after epoch ${res.stoppedAt.epoch}`;
      log(`stopped ${at} of ${recipe.epochs}; checkpoint in ${o.out}; continue with the same command and --resume${currentRunHint()}`);
    } else if (res.epochs < recipe.epochs) log(`stopped after epoch ${res.epochs} of ${recipe.epochs}; continue with --resume`);
    if (!res.last) {
      emit(o, { arch: res.arch, epochs: 0, complete: false, stopped: true, out: o.out ?? null }, () => `${res.arch}\nstopped before the first epoch finished`);
      return;
    }
    const last = res.last;
    if (!o.json) log(`trained ${res.epochs} epochs${res.resumedFrom ? ` (resumed at ${res.resumedFrom})` : ''} in ${res.wall_s.toFixed(1)} s`);
    const out = {
      arch: res.arch,
      epochs: res.epochs,
      complete: res.epochs === recipe.epochs,
      ...(res.stoppedAt ? { stopped: true } : {}),
      train_acc: last.train_acc,
      test_acc: last.test_acc!,
      wall_s: res.wall_s,
      train_loss: last.train_loss,
      test_loss: last.test_loss!,
      params: res.params,
      flops: res.flops,
      resumed_from: res.resumedFrom,
      out: o.out ?? null,
    };
    emit(o, out, () => `${res.arch}\nepochs ${res.epochs}  train_acc ${last.train_acc.toFixed(2)}%  test_acc ${last.test_acc!.toFixed(2)}%  wall ${res.wall_s.toFixed(1)} s`);
  });
}
