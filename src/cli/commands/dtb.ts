/** `tsnas dtb build|export`: build the training-states benchmark (resumable) and export it (schema: docs/DTB.md). */
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { checkSpace, getSpace, type SpaceName } from '../../spaces/index.js';
import { TrialQueue } from '../../queue/coordinator.js';
import { queueOptions } from '../../queue/options.js';
import { buildDtbAsync, collectDtb, writeDtb, type BuildOutcome } from '../../train/dtb.js';
import { buildDtbOnQueue } from '../../train/dtb-queue.js';
import { stopRequested, stopSignal, withGracefulStop } from '../tracking.js';
import { trainProgressBar } from '../train-progress.js';
import { TsnasError } from '../../util/errors.js';
import { emit, intArg, log, startBackend, spaceOption, withCommon, type CommonOptions } from '../common.js';
import { currentRunHint, dataSpecFrom, netSpecFrom, recipeFrom, withRecipeFlags, type NetFlags, type RecipeFlags } from './train.js';

/** The small default DTB recipe: short cosine runs on small networks (see docs/DTB.md). */
export const DTB_NET_DEFAULTS: Record<string, { C: number; N?: number; layers?: number }> = { nb201: { C: 8, N: 1 }, darts: { C: 8, layers: 5 } };

type BuildFlags = CommonOptions & RecipeFlags & NetFlags & { space: SpaceName; archs: number; progress: boolean; stopAfter?: number; redis?: string };

function buildCommand(): Command {
  return withRecipeFlags(
    withCommon(
      new Command('build')
        .description('Sample --archs architectures (seeded), train each, record every epoch; rerun the same command to resume after a kill')
        .addOption(spaceOption().makeOptionMandatory())
        .requiredOption('--archs <n>', 'number of architectures', intArg('archs', 1, 1_000_000))
        .option('--stop-after <k>', 'train at most k architectures in this invocation (the build resumes later)', intArg('stop-after', 0))
        .option(
          '--redis <url>',
          `train each architecture on a \`tsnas worker\` (one job each; results written here as they land): ${queueOptions.shape.redis.description!.replace(/^run the trials on `tsnas worker` processes through this Redis: /, '')}`,
        )
        .option('--resume', 'accepted for uniformity (tsnas runs resume adds it): a build always resumes in its --out directory')
        .option('--no-progress', 'no progress bar'),
    ),
    5,
  ).action(async (o: BuildFlags) => {
    const space = checkSpace(o.space);
    if (!o.out) throw new TsnasError('--out DIR is required (the build directory)');
    const recipe = recipeFrom(space, o, o.seed);
    const d: { C?: number; N?: number; layers?: number } = DTB_NET_DEFAULTS[space] ?? {};
    const opts = getSpace(space).netOptions;
    const flags: NetFlags = { ...o };
    for (const k of ['C', 'N', 'layers'] as const) if (opts.includes(k) && d[k] !== undefined) flags[k] ??= d[k];
    const { arch: _a, initSeed: _s, space: _sp, ...net } = netSpecFrom(space, 'x', flags, recipe, o.seed);
    const spec = { space, seed: o.seed, numArchs: o.archs, net, data: dataSpecFrom(o), recipe };
    // with --redis the workers load the data and start their backends
    const queue = o.redis ? await TrialQueue.open(o.redis) : undefined;
    if (!queue) await startBackend(o);
    const t0 = performance.now();
    // Ctrl-C stops after the current training step, with a checkpoint of the architecture in training
    // (with --redis: stops waiting; the jobs stay queued for the next run of the command)
    const r: BuildOutcome & { queueRun?: string } = await withGracefulStop(() =>
      queue
        ? buildDtbOnQueue(resolve(o.out!), spec, { queue, signal: stopSignal(), stopAfter: o.stopAfter, log: o.json ? undefined : log }).finally(() => queue.close())
        : buildDtbAsync(resolve(o.out!), spec, {
            onProgress: o.progress ? trainProgressBar() : undefined,
            stopAfter: o.stopAfter,
            log: o.json ? undefined : log,
            shouldStop: stopRequested,
          }),
    );
    const wall = (performance.now() - t0) / 1000;
    if (r.stoppedAt) {
      const s = r.stoppedAt;
      const where = s.steps === 0 ? `before architecture ${s.arch + 1}` : `in architecture ${s.arch + 1} (epoch ${s.epoch}, step ${s.step} of ${s.steps}, checkpointed)`;
      log(`stopped ${where}: ${r.done}/${r.total} done; continue with the same command (--resume optional)${currentRunHint()}`);
    }
    emit(
      o,
      {
        out: resolve(o.out),
        done: r.done,
        total: r.total,
        trained_now: r.trainedNow,
        complete: r.done === r.total,
        ...(r.stoppedAt ? { stopped: true } : {}),
        ...(r.queueRun ? { queue_run: r.queueRun } : {}),
        wall_s: wall,
      },
      () => `${r.done}/${r.total} architectures done (${r.trainedNow} trained in this run, ${wall.toFixed(1)} s)${r.done < r.total ? '; rerun to resume' : ''}`,
    );
  });
}

function exportCmd(): Command {
  return withCommon(
    new Command('export')
      .description('Write a DTB build directory as one versioned JSON or CSV file')
      // --out is the build directory, as for `dtb build`; --dir is its old name
      .addOption(new Option('--dir <dir>', 'the build directory (old name of --out)').hideHelp())
      .addOption(new Option('--format <fmt>', 'file format').choices(['json', 'csv']).default('json'))
      .option('--file <path>', 'output file (default <out>/dtb-v1.json or .csv)')
      .option('--partial', 'include only the finished architectures of an unfinished build'),
  ).action(async (o: CommonOptions & { dir?: string; format: 'json' | 'csv'; file?: string; partial?: boolean }) => {
    const dir = o.out ?? o.dir;
    if (!dir) throw new TsnasError('--out DIR is required (the build directory of dtb build --out)');
    const d = collectDtb(dir, { partial: o.partial });
    const file = resolve(o.file ?? join(dir, `dtb-v${d.version}.${o.format}`));
    writeDtb(d, file, o.format);
    emit(o, { file, format: o.format, version: d.version, archs: d.num_archs, epochs: d.num_epochs }, () => `wrote ${file} (${d.num_archs} architectures × ${d.num_epochs} epochs)`);
  });
}

export function dtbCommand(): Command {
  return new Command('dtb').description('Training-states benchmark: build (resumable) and export').addCommand(buildCommand().exitOverride()).addCommand(exportCmd().exitOverride());
}
