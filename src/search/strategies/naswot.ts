/**
 * `naswot`: NASWOT's search (Mellor et al., ICML 2021): sample N architectures uniformly, score
 * each with one training-free proxy (default naswot; any registered proxy or a `das:` rule), keep
 * the argmax (NaN scores lose). Each scored architecture is a trial of the run; a resumed run
 * scores only those it has no trial for.
 */
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { defaultNb201Path, loadNb201Table, type Nb201Table } from '../../benchmarks/nb201-table.js';
import { parseProxyList, type ArchScore } from '../../proxies/index.js';
import { sampleArch, type AnyArch } from '../../spaces/index.js';
import { TsnasError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import type { SearchResult } from '../result.js';
import { TrialQueue } from '../../queue/coordinator.js';
import { queueOptions } from '../../queue/options.js';
import { dataSettings, scoreRemaining, scoringContext, scoringOptions, scoringSettings, storedScores } from '../scoring.js';
import { baseSearchOptions, type SearchContext, type SearchStrategy } from '../strategy.js';

const options = baseSearchOptions
  .extend(scoringOptions.shape)
  .extend(queueOptions.shape)
  .extend({
    n: z.number().int().min(1).max(1_000_000).default(100).describe('architectures to sample'),
    proxy: z.string().default('naswot').describe('proxy to maximise (e.g. naswot, das, das:kernel=perlayer,lambda=0.5)'),
  });

type NaswotOptions = z.output<typeof options>;

/** The NB201 table for looking up the pick: `bench`, else the default path when it exists (optional). */
async function maybeTable(sc: SearchContext, o: NaswotOptions): Promise<Nb201Table | undefined> {
  if (o.space !== 'nb201') return undefined;
  if (!o.bench && !existsSync(defaultNb201Path())) {
    sc.log(`no NAS-Bench-201 table at ${defaultNb201Path()}: the pick's benchmark accuracies are not reported (pass --bench FILE)`);
    return undefined;
  }
  return loadNb201Table(o.bench ?? defaultNb201Path());
}

export const naswotStrategy: SearchStrategy<NaswotOptions> = {
  name: 'naswot',
  summary: 'NASWOT (Mellor et al., ICML 2021): sample N uniformly, return the best training-free proxy score',
  options,
  async run(sc, o): Promise<SearchResult> {
    const [p] = parseProxyList(o.proxy) as [string];
    const table = await maybeTable(sc, o);
    const rng = new Rng(o.seed);
    const archs: AnyArch[] = Array.from({ length: o.n }, () => sampleArch(o.space, rng));
    if (o.resume && !sc.run) throw new TsnasError('--resume needs a run in the experiment store (give search() a run, or use the tsnas CLI)');
    const run = sc.run?.guard({ strategy: 'naswot', space: o.space, n: o.n, proxy: p, ...scoringSettings(o, [p]) });
    const done = run?.resumed
      ? storedScores(
          run,
          archs.map((a) => a.text),
          [p],
        )
      : new Map<number, ArchScore>();
    if (run?.resumed && !sc.quiet) sc.log(`resuming: ${done.size} of ${archs.length} architectures already scored`);
    // with --redis the workers load the data and start their backends; the coordinator needs neither
    const queue = o.redis ? await TrialQueue.open(o.redis) : undefined;
    if (!queue) await sc.startBackend(o.backend);
    const ctx = queue ? undefined : scoringContext(o);
    const t0 = performance.now();
    const progress = sc.progress;
    const onProgress = progress ? (e: { done: number; total: number }) => progress({ label: 'scoring', done: e.done, total: e.total }) : undefined;
    const remote = queue ? { queue, settings: dataSettings(o) } : undefined;
    const { stopped } = await scoreRemaining(archs, [p], ctx, done, { run, signal: sc.signal, workers: o.workers, onProgress, remote }).finally(() => queue?.close());
    const base = { strategy: 'naswot', space: o.space, seed: o.seed, run: run?.id ?? null, proxy: p, n: o.n };
    if (stopped) {
      sc.log(`stopped after ${done.size} of ${archs.length} architectures${run ? `; continue with${run.resumeHint()}` : ''}`);
      return { ...base, stopped: true, complete: false, genotype: null, evaluations: done.size, scored: done.size, wall_s: (performance.now() - t0) / 1000, bench: null };
    }
    const res = archs.map((_, i) => done.get(i)!);
    let best = -1;
    res.forEach((r, i) => {
      const s = r.scores[p]!;
      if (Number.isFinite(s) && (best < 0 || s > res[best]!.scores[p]!)) best = i;
    });
    if (best < 0) throw new TsnasError('every sampled architecture scored NaN');
    const pick = res[best]!;
    const bench = table?.has(pick.arch) ? table.get(pick.arch).values : null;
    return { ...base, stopped: false, complete: true, genotype: pick.arch, score: pick.scores[p], evaluations: o.n, wall_s: (performance.now() - t0) / 1000, bench };
  },
};
