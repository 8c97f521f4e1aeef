/**
 * `tsnas search <strategy> [flags]`: one subcommand per registered strategy, whose flags are the
 * strategy's own options (generated from its zod schema) plus the common ones, so each
 * strategy's `--help` lists only what it reads. `tsnas search --strategy NAME ...` is the same
 * command (main.ts rewrites it). The CLI only turns flags into options and prints the result.
 */
import { Command } from 'commander';
import type { z } from 'zod';
import { listStrategies } from '../../search/registry.js';
import '../../search/builtin.js';
import { describeMooResult } from '../../search/multi-objective.js';
import type { SearchResult } from '../../search/result.js';
import { parseStrategyOptions } from '../../search/search.js';
import type { SearchContext, SearchStrategy } from '../../search/strategy.js';
import { listSpaces, resolveSpace } from '../../spaces/index.js';
import { emit, log, parseSpaceArg, startBackend, withCommon, type CommonOptions } from '../common.js';
import { progressBars } from '../progress.js';
import { addSchemaFlags, pickSchemaValues } from '../zod-flags.js';
import { currentRun, stopSignal, withGracefulStop } from '../tracking.js';

type SearchFlags = CommonOptions & { progress?: boolean } & Record<string, unknown>;

/** The human-readable lines of a search result. */
export function describeSearchResult(r: SearchResult): string {
  if (r.pareto) return describeMooResult(r);
  if (r.stopped) return `stopped after ${r.evaluations} evaluations`;
  const acc = r.bench ? `\ncifar10 test acc: ${r.bench['cifar10_test_acc'] ?? Object.values(r.bench)[0]}` : '';
  const score = typeof r['score'] === 'number' ? `\n${String(r['proxy'])}: ${r['score']}` : '';
  const alt = r['altDerive'] as { derive: string; genotype: string; bench?: Record<string, number> } | undefined;
  const altAcc = alt?.bench?.['cifar10_test_acc'];
  const altText = altAcc !== undefined ? ` (derived ${alt!.derive}: ${alt!.genotype}, ${altAcc})` : '';
  const epochs = typeof r['epochs'] === 'number' ? `\n${r['epochs']} epochs, ${r.wall_s.toFixed(1)} s` : '';
  return `${r.genotype}${score}${acc}${altText}${epochs}`;
}

/**
 * Run a strategy the way the CLI does: options validated by its schema, the current run and
 * Ctrl-C signal in the context, bars on stderr unless `progress` is false; prints the result.
 */
export async function runSearchCommand(strategy: SearchStrategy, flags: SearchFlags, values: Record<string, unknown>): Promise<SearchResult> {
  const options = parseStrategyOptions(strategy.name, values);
  await resolveSpace(options.space);
  // bars go to stderr, so they are on with --json too (off with --no-progress)
  const bars = flags.progress === false ? undefined : progressBars();
  const ctx: SearchContext = {
    run: currentRun(),
    signal: stopSignal(),
    log,
    progress: bars,
    quiet: Boolean(flags.json),
    startBackend: (name) => startBackend({ ...flags, backend: name }),
  };
  try {
    const result = await withGracefulStop(() => strategy.run(ctx, options));
    bars?.stop();
    if (!flags.json && !result.stopped) log('search done');
    emit(flags, result, () => describeSearchResult(result));
    return result;
  } finally {
    bars?.stop();
  }
}

function strategyCommand(s: SearchStrategy): Command {
  const cmd = withCommon(new Command(s.name).description(s.summary));
  cmd.option('--no-progress', 'no progress bars');
  const keys = addSchemaFlags(cmd, s.options as unknown as z.ZodObject);
  const space = cmd.options.find((o) => o.attributeName() === 'space');
  space?.argParser(parseSpaceArg);
  if (space) space.description = `search space: ${listSpaces().join(', ')}, or a space file (.yaml, .json, .ts)`;
  return cmd.action(async (flags: SearchFlags) => {
    await runSearchCommand(s, flags, pickSchemaValues(flags, keys));
  });
}

export function searchCommand(): Command {
  const cmd = new Command('search').description(`Search an architecture with a strategy: tsnas search <strategy> [flags] (or --strategy <strategy>); 'tsnas search <strategy> --help' lists its flags`);
  for (const s of listStrategies()) cmd.addCommand(strategyCommand(s));
  return cmd;
}
