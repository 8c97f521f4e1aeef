/**
 * The strategy registry: every strategy is registered once by name; the CLI's `tsnas search
 * <name>` subcommands, `search()` and `runs resume` all look strategies up here. A program adds
 * its own with `registerStrategy`.
 */
import { TsnasError } from '../util/errors.js';
import type { SearchStrategy } from './strategy.js';

/** A strategy with any options type (the registry holds strategies of every kind). */
export type AnyStrategy = SearchStrategy<any>;

const strategies = new Map<string, AnyStrategy>();

/** Register a strategy under its name; a second strategy with the same name is an error. */
export function registerStrategy(s: AnyStrategy): void {
  if (!/^[a-z][a-z0-9-]*$/.test(s.name)) throw new TsnasError(`strategy name '${s.name}' must be lowercase letters, digits and dashes`);
  if (strategies.has(s.name)) throw new TsnasError(`a strategy named '${s.name}' is already registered`);
  strategies.set(s.name, s);
}

/** The strategy registered as `name`; an unknown name is an error listing the known ones. */
export function getStrategy(name: string): AnyStrategy {
  const s = strategies.get(name);
  if (!s) throw new TsnasError(`unknown --strategy '${name}' (known: ${[...strategies.keys()].join(', ')})`);
  return s;
}

/** Every registered strategy, in registration order. */
export function listStrategies(): AnyStrategy[] {
  return [...strategies.values()];
}
