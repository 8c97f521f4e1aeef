/** `tsnas score`: training-free (or k-step) proxy scores for one or more architectures. */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { parseArch, type AnyArch, type SpaceName } from '../../spaces/index.js';
import { parseProxyList, proxyNames, type ScoreContext } from '../../proxies/index.js';
import { TrialQueue } from '../../queue/coordinator.js';
import { queueOptions } from '../../queue/options.js';
import {
  dataSettings,
  scoreRemaining as libraryScoreRemaining,
  scoringContext,
  scoringOptions,
  scoringSettings,
  storedScores as libraryStoredScores,
  workerCount,
  type WorkerCount,
} from '../../search/scoring.js';
import { TsnasError } from '../../util/errors.js';
import type { ArchScore } from '../../proxies/index.js';
import { emit, log, startBackend, spaceOption, withCommon, type CommonOptions } from '../common.js';
import { currentRun, resumeGuard, resumeHint, stopSignal, withGracefulStop } from '../tracking.js';
import { addSchemaFlags } from '../zod-flags.js';

export { scoringContext, scoringSettings, type WorkerCount };
import { scoringBar } from '../progress.js';

export interface ScoringFlags extends CommonOptions {
  proxies: string;
  batch: number;
  trainSteps: number;
  trainLr: number;
  trainBatch: number;
  dataLimit?: number;
  workers?: WorkerCount;
  redis?: string;
}

/** Flags shared by score and correlate: --proxies and the scoring options (the same schema as the naswot strategy's). */
export function withScoringFlags(cmd: Command, defaultProxies: string): Command {
  cmd.option('--proxies <list>', `comma-separated proxies: ${proxyNames().join(', ')}, das:kernel=whole|layer|perlayer,lambda=X,active=Y,conn=Z`, defaultProxies);
  addSchemaFlags(cmd, scoringOptions);
  addSchemaFlags(cmd, queueOptions);
  return cmd;
}

/** Stored scores of the current run (see the library's storedScores). */
export function storedScores(archTexts: readonly string[], proxies: readonly string[]): Map<number, ArchScore> {
  return libraryStoredScores(currentRun(), archTexts, proxies);
}

/**
 * Score the architectures not yet in `done` with the CLI's bar and Ctrl-C (library: scoreRemaining),
 * one trial each in the current run. Returns the stop notice when Ctrl-C stopped it, undefined when
 * every architecture is scored.
 */
export async function scoreRemaining(
  archs: readonly AnyArch[],
  proxies: string[],
  ctx: ScoreContext | undefined,
  done: Map<number, ArchScore>,
  o: {
    progress: boolean;
    workers?: WorkerCount;
    objectives?: (i: number) => Record<string, number>;
    onScored?: (r: ArchScore, i: number) => void;
    remote?: Parameters<typeof libraryScoreRemaining>[4]['remote'];
  },
): Promise<string | undefined> {
  const pending = archs.length - done.size;
  const workers = o.remote ? 0 : workerCount(o.workers, pending);
  const bar = o.progress ? scoringBar(o.remote ? ` | queue ${o.remote.queue.display}` : workers > 1 ? ` | ${Math.min(workers, pending)} workers` : '') : undefined;
  const { stopped } = await withGracefulStop(() =>
    libraryScoreRemaining(archs, proxies, ctx, done, { ...o, run: currentRun(), signal: stopSignal(), onProgress: bar ? (e) => bar.update(e) : undefined }),
  ).finally(() => bar?.stop());
  if (!stopped) return undefined;
  const line = `stopped after ${done.size} of ${archs.length} architectures; continue with${resumeHint()}`;
  log(line);
  return line;
}

function readArchFile(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new TsnasError(`cannot read --arch-file ${file}: ${(e as Error).message}`);
  }
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

export function scoreCommand(): Command {
  return withScoringFlags(
    withCommon(
      new Command('score')
        .description('Score architectures with training-free proxies (NASWOT, DAS, zero-cost suite), optionally after k SGD steps')
        .addOption(spaceOption().makeOptionMandatory())
        .option('--arch <str>', 'architecture (NB201 string, DARTS Genotype(...), or NB101 JSON {matrix, ops} or BITS|OP,...)')
        .option('--arch-file <file>', 'file with one architecture per line')
        .option('--resume', 'continue the run named by --run-id (or `tsnas runs resume`), scoring only architectures it has no trial for'),
    ),
    'naswot',
  ).action(async (o: ScoringFlags & { space: SpaceName; arch?: string; archFile?: string; resume?: boolean }) => {
    const texts = [...(o.arch ? [o.arch] : []), ...(o.archFile ? readArchFile(o.archFile) : [])];
    if (!texts.length) throw new TsnasError('give --arch STR or --arch-file FILE');
    const archs: AnyArch[] = texts.map((t) => parseArch(o.space, t));
    const proxies = parseProxyList(o.proxies);
    // Each architecture is a trial of the run (index = its position); --resume scores only the rest.
    const run = resumeGuard(o, { space: o.space, proxies, ...scoringSettings(o, proxies) });
    const done = run?.resumed
      ? storedScores(
          archs.map((a) => a.text),
          proxies,
        )
      : new Map<number, ArchScore>();
    if (run?.resumed && !o.json) log(`resuming: ${done.size} of ${archs.length} architectures already scored`);
    // with --redis the workers load the data and start their backends
    const queue = o.redis ? await TrialQueue.open(o.redis) : undefined;
    if (!queue) await startBackend(o);
    const ctx = queue ? undefined : scoringContext(o);
    const t0 = performance.now();
    const remote = queue ? { queue, settings: dataSettings(o) } : undefined;
    const line = await scoreRemaining(archs, proxies, ctx, done, { progress: archs.length > 1, workers: o.workers, remote }).finally(() => queue?.close());
    if (line) {
      emit(o, { stopped: true, complete: false, scored: done.size, total: archs.length, proxies, seed: o.seed, run: currentRun()?.id ?? null }, () => line);
      return;
    }
    const res = archs.map((_, i) => done.get(i)!);
    const wall = (performance.now() - t0) / 1000;
    if (!o.json) log(`scored ${archs.length} architecture(s) in ${wall.toFixed(1)} s`);
    emit(o, { results: res.map((r) => ({ arch: r.arch, scores: r.scores, seconds: r.seconds })), proxies, batch: o.batch, seed: o.seed, trainSteps: o.trainSteps, wall_s: wall }, () =>
      res
        .map(
          (r) =>
            `${r.arch}\n${Object.entries(r.scores)
              .map(([k, v]) => `  ${k}: ${v}`)
              .join('\n')}`,
        )
        .join('\n'),
    );
  });
}
