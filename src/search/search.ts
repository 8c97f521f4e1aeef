/**
 * `search()`: run a registered strategy from a program, as `tsnas search <name>` does:
 *
 *   const result = await search('nsga2', { space: 'nb201', budget: 100, objectives: 'accuracy,params' });
 *
 * Options are validated by the strategy's schema (defaults filled in, a bad value is a one-line
 * error naming it). Pass `run` to keep trials and checkpoints in a store (and resume), `signal`
 * to stop it early.
 */
import { initBackend } from '../engine/backend.js';
import { resolveSpace } from '../spaces/index.js';
import { TsnasError } from '../util/errors.js';
import './builtin.js';
import { getStrategy } from './registry.js';
import type { SearchResult } from './result.js';
import type { BaseSearchOptions, SearchContext } from './strategy.js';

/** Options validated by a strategy's schema, or a one-line error naming the first bad option. */
export function parseStrategyOptions(name: string, options: Record<string, unknown>): BaseSearchOptions & Record<string, unknown> {
  const s = getStrategy(name);
  const known = Object.keys((s.options as unknown as { shape: Record<string, unknown> }).shape);
  const unknown = Object.keys(options).filter((k) => !known.includes(k) && options[k] !== undefined);
  if (unknown.length) throw new TsnasError(`${name}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${known.join(', ')})`);
  const parsed = s.options.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = issue.path.join('.');
    const why = issue.code === 'unrecognized_keys' ? `unknown option${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}` : `${key}: ${issue.message}`;
    throw new TsnasError(`${name}: ${why}`);
  }
  return parsed.data as BaseSearchOptions & Record<string, unknown>;
}

/** Run the strategy `name` with `options`; `ctx` may give a run, a stop signal, logging and progress. */
export async function search(name: string, options: Record<string, unknown> = {}, ctx: Partial<SearchContext> = {}): Promise<SearchResult> {
  const strategy = getStrategy(name);
  const o = parseStrategyOptions(name, options);
  await resolveSpace(o.space);
  const full: SearchContext = {
    log: () => {},
    startBackend: (b) => initBackend(b),
    ...ctx,
  };
  return strategy.run(full, o);
}
