/**
 * `tsnas search`: architecture search strategies. `--strategy naswot` (NASWOT's algorithm: sample N
 * architectures uniformly, return the argmax of the proxy) is implemented here; other strategies add
 * a case to STRATEGIES.
 */
import { existsSync } from 'node:fs';
import { Command, Option } from 'commander';
import { defaultNb201Path, loadNb201Table, type Nb201Table } from '../../benchmarks/nb201-table.js';
import { sampleArch, type AnyArch, type SpaceName } from '../../spaces/index.js';
import { parseProxyList } from '../../proxies/index.js';
import type { ArchScore } from '../../proxies/index.js';
import { Rng } from '../../util/rng.js';
import { TsnasError } from '../../util/errors.js';
import { emit, intArg, log, startBackend, withCommon } from '../common.js';
import { scoreRemaining, scoringContext, scoringSettings, storedScores, withScoringFlags, type ScoringFlags } from './score.js';
import { currentRun, resumeGuard } from '../tracking.js';
import { diffStrategies, withDiffFlags } from '../../search/diff/cli.js';
import { mooStrategies, withMooFlags } from '../../search/moo-cli.js';

export type SearchFlags = ScoringFlags & { space: SpaceName; strategy: string; n: number; proxy?: string; resume?: boolean; progress?: boolean };

type Strategy = (o: SearchFlags) => Promise<{ result: Record<string, unknown>; human: string }>;

/** The NB201 table for looking up the pick: --bench, else the default path when it exists (optional). */
async function maybeTable(o: SearchFlags): Promise<Nb201Table | undefined> {
  if (o.space !== 'nb201') return undefined;
  if (!o.bench && !existsSync(defaultNb201Path())) {
    log(`no NAS-Bench-201 table at ${defaultNb201Path()}: the pick's benchmark accuracies are not reported (pass --bench FILE)`);
    return undefined;
  }
  return loadNb201Table(o.bench ?? defaultNb201Path());
}

/**
 * Sample N, score each with one proxy (default naswot), keep the argmax (NaN scores lose). Each
 * scored architecture is a trial of the run; `--resume` scores only those it has no trial for.
 */
const naswotStrategy: Strategy = async (o) => {
  const proxy = o.proxy ?? 'naswot';
  const [p] = parseProxyList(proxy);
  const table = await maybeTable(o);
  const rng = new Rng(o.seed);
  const archs: AnyArch[] = Array.from({ length: o.n }, () => sampleArch(o.space, rng));
  const run = resumeGuard(o, { strategy: 'naswot', space: o.space, n: o.n, proxy: p, ...scoringSettings(o, [p!]) });
  const done = run?.resumed ? storedScores(archs.map((a) => a.text), [p!]) : new Map<number, ArchScore>();
  if (run?.resumed && !o.json) log(`resuming: ${done.size} of ${archs.length} architectures already scored`);
  await startBackend(o);
  const ctx = scoringContext(o);
  const t0 = performance.now();
  const line = await scoreRemaining(archs, [p!], ctx, done, { progress: o.progress !== false, workers: o.workers });
  if (line) return { result: { strategy: 'naswot', stopped: true, complete: false, scored: done.size, n: o.n, seed: o.seed, run: currentRun()?.id ?? null }, human: line };
  const res = archs.map((_, i) => done.get(i)!);
  const wall = (performance.now() - t0) / 1000;
  let best = -1;
  res.forEach((r, i) => {
    const s = r.scores[p!]!;
    if (Number.isFinite(s) && (best < 0 || s > res[best]!.scores[p!]!)) best = i;
  });
  if (best < 0) throw new TsnasError('every sampled architecture scored NaN');
  const pick = res[best]!;
  const bench = table?.has(pick.arch) ? table.get(pick.arch).values : undefined;
  const result = { genotype: pick.arch, strategy: 'naswot', proxy: p, score: pick.scores[p!], n: o.n, seed: o.seed, bench: bench ?? null, wallSeconds: wall };
  const acc = bench ? `\ncifar10 test acc: ${bench['cifar10_test_acc'] ?? Object.values(bench)[0]}` : '';
  return { result, human: `${pick.arch}\n${p}: ${pick.scores[p!]}${acc}` };
};

export const STRATEGIES: Record<string, Strategy> = { naswot: naswotStrategy };

// Differentiable strategies (darts, darts2, single-darts, pc-darts, ms-darts): src/search/diff/cli.ts.
Object.assign(STRATEGIES, diffStrategies({ startBackend: (o) => startBackend(o as unknown as SearchFlags), log }) as unknown as Record<string, Strategy>);

// Multi-objective strategies (nsga2, random, tnd-nas): src/search/moo-cli.ts.
Object.assign(
  STRATEGIES,
  mooStrategies({
    startBackend: (o, backend) => startBackend({ ...(o as unknown as SearchFlags), backend }),
    scoringContext: (o) => scoringContext(o as unknown as SearchFlags),
    log,
  }) as unknown as Record<string, Strategy>,
);

export function searchCommand(): Command {
  return withDiffFlags(withScoringFlags(
    withMooFlags(withCommon(
      new Command('search')
        .description('Search an architecture. --strategy naswot: sample N uniformly, return the best proxy score (NASWOT, ICML 2021)')
        .addOption(new Option('--space <space>', 'search space').choices(['nb201', 'darts']).default('nb201'))
        .requiredOption('--strategy <name>', `search strategy (${Object.keys(STRATEGIES).join(', ')})`)
        .option('--n <n>', 'architectures to sample (naswot)', intArg('n', 1, 1_000_000), 100)
        .option('--proxy <name>', 'proxy to maximise (naswot strategy; default naswot, e.g. das)')
        .option('--resume', 'continue an interrupted run: differentiable strategies from the checkpoint in --out; naswot, nsga2, random, tnd-nas from the run named by --run-id (tsnas runs resume RUN does both)')
        .option('--no-progress', 'no progress bar (naswot scoring, differentiable-search epochs)'),
    )),
    'naswot',
  )).action(async (o: SearchFlags) => {
    const s = STRATEGIES[o.strategy];
    if (!s) throw new TsnasError(`unknown --strategy '${o.strategy}' (known: ${Object.keys(STRATEGIES).join(', ')})`);
    const { result, human } = await s(o);
    if (!o.json && !result['stopped']) log(`search done`);
    emit(o, result, () => human);
  });
}
