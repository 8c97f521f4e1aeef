/**
 * A DTB build whose architectures train on `tsnas worker` processes: each unfinished architecture
 * is one `train` job, and each record is written into the build directory once, as it lands. The
 * jobs are named by the build (its manifest and directory), so rerunning the command after a kill
 * collects what finished meanwhile and enqueues only what is missing. A job trains from scratch
 * (a worker keeps no checkpoints): a retried one repeats the same seeded training.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { QueuedTrial, TrialQueue } from '../queue/coordinator.js';
import type { TaskPayload } from '../queue/tasks.js';
import { TsnasError } from '../util/errors.js';
import { dtbResultFile, openDtbBuild, writeDtbArch, type BuildOutcome, type DtbBuildSpec, type DtbManifest } from './dtb.js';

/** How a build on the queue runs. */
export interface QueuedBuildOptions {
  /** The queue the workers take jobs from. */
  queue: TrialQueue;
  /** Aborted: stop waiting (the jobs stay queued; rerunning the build collects them). */
  signal?: AbortSignal;
  /** Enqueue at most this many of the unfinished architectures. */
  stopAfter?: number;
  /** One line per architecture that landed. */
  log?: (msg: string) => void;
}

/** The queue's name for a build: the same settings in the same directory are the same build. */
export function dtbQueueRun(dir: string, manifest: DtbManifest): string {
  const { dataDir: _d, ...data } = manifest.data;
  const hash = createHash('sha256')
    .update(JSON.stringify([resolve(dir), { ...manifest, data }]))
    .digest('hex');
  return `dtb-${hash.slice(0, 16)}`;
}

/** The data part of a job: a dataset by name (each worker maps it to its own directory). */
function jobData(m: DtbManifest): TaskPayload<'train'>['data'] {
  const { dataset, imageSize, trainLimit, testLimit, folder } = m.data;
  if (folder?.testDir) throw new TsnasError('dtb build --redis: --test-dir is a path on this machine, which workers do not share; hold out a split with --val-split');
  const classNames = Array.isArray(folder?.classNames) ? folder.classNames.join(',') : (folder?.classNames as string | undefined);
  const f = folder ? { valSplit: folder.valSplit, color: folder.color, classNames } : undefined;
  return { dataset: dataset as TaskPayload<'train'>['data']['dataset'], imageSize, trainLimit, testLimit, ...(f ? { folder: f } : {}) };
}

/** Build (or continue) a DTB in `dir`, training its unfinished architectures on the queue's workers. */
export async function buildDtbOnQueue(dir: string, m: DtbBuildSpec, o: QueuedBuildOptions): Promise<BuildOutcome & { queueRun: string }> {
  const manifest = openDtbBuild(dir, m);
  const total = manifest.archs.length;
  const data = jobData(manifest);
  const missing = manifest.archs.map((_, i) => i).filter((i) => !existsSync(dtbResultFile(dir, i)));
  const todo = o.stopAfter === undefined ? missing : missing.slice(0, o.stopAfter);
  const queueRun = dtbQueueRun(dir, manifest);
  let done = total - missing.length;
  let trainedNow = 0;
  const trials: QueuedTrial<'train'>[] = todo.map((i) => ({
    key: `arch-${i}`,
    kind: 'train',
    payload: { net: { ...manifest.net, space: manifest.space, arch: manifest.archs[i]!, initSeed: manifest.seed + i }, data, recipe: manifest.recipe },
  }));
  const { stopped } = await o.queue.runBatch(queueRun, trials, {
    signal: o.signal,
    onResult: (t, r) => {
      const index = Number(t.key.slice('arch-'.length));
      if (!writeDtbArch(dir, { index, arch: r.arch, params: r.params, flops: r.flops, init_seed: t.payload.net.initSeed, epochs: r.epochs })) return;
      done++;
      trainedNow++;
      const last = r.epochs[r.epochs.length - 1];
      o.log?.(`[${index + 1}/${total}] val_acc ${last ? last.val_acc.toFixed(2) : '-'}% after ${r.epochs.length} epochs (on a worker)`);
    },
  });
  const next = missing.find((i) => !existsSync(dtbResultFile(dir, i)));
  return { done, trainedNow, total, queueRun, ...(stopped && next !== undefined ? { stoppedAt: { arch: next, epoch: 0, step: 0, steps: 0 } } : {}) };
}
