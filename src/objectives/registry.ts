/**
 * User-defined objectives: register a named function of an architecture, and `--objectives` /
 * `search(..., { objectives })` accept its name beside the built-in ones (with `@min`/`@max` and
 * constraints like any other):
 *
 *   registerObjective({ name: 'convs', direction: 'min', evaluate: (a) => countConvs(a.text) });
 *   await search('nsga2', { objectives: 'accuracy,convs<=4', budget: 100 });
 */
import { TsnasError } from '../util/errors.js';
import type { AnyArch } from '../spaces/index.js';
import type { Direction } from './pareto.js';

/** A user objective: its name in objective lists, its default direction and its value for an architecture. */
export interface ObjectiveDefinition {
  name: string;
  direction: Direction;
  description?: string;
  /** The value for an architecture; called once per distinct architecture (values are cached). */
  evaluate(a: AnyArch): number;
}

const objectives = new Map<string, ObjectiveDefinition>();

/** Built-in objective names, which a user objective may not take. */
const RESERVED = ['accuracy', 'params', 'flops', 'latency', 'size', 'das', 'naswot'];

/** Register a user objective; a name that is taken or not a plain word is an error. */
export function registerObjective(o: ObjectiveDefinition): void {
  if (!/^[a-z][a-z0-9_-]*$/i.test(o.name)) throw new TsnasError(`objective name '${o.name}' must be letters, digits, '_' and '-' (starting with a letter)`);
  if (RESERVED.includes(o.name) || objectives.has(o.name)) throw new TsnasError(`an objective named '${o.name}' already exists`);
  if (o.direction !== 'min' && o.direction !== 'max') throw new TsnasError(`objective '${o.name}': direction must be 'min' or 'max'`);
  objectives.set(o.name, o);
}

/** Remove a user objective (tests, long-lived programs). */
export function unregisterObjective(name: string): void {
  objectives.delete(name);
}

/** The user objective named `name`, if registered. */
export function userObjective(name: string): ObjectiveDefinition | undefined {
  return objectives.get(name);
}

/** Names of the registered user objectives. */
export function userObjectiveNames(): string[] {
  return [...objectives.keys()];
}
