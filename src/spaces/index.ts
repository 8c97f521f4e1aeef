/**
 * One entry point over every registered search space: parse, format, sample, mutate, cross over,
 * build networks. The functions here are thin wrappers over the registry (src/spaces/registry.ts);
 * importing this module registers the built-in spaces (src/spaces/builtin.ts).
 */
import './builtin.js';
import './declarative/load.js';
import type { Rng } from '../util/rng.js';
import type { Network } from '../nn/network.js';
import { getSpace, hasSpace, listSpaces, spaceOf } from './registry.js';
import { TsnasError } from '../util/errors.js';
import type { Arch, EvalNetOverrides, SearchSpace } from './space.js';
import type { Nb201Arch } from './nb201.js';
import type { DartsGenotype } from './darts.js';
import type { Nb101Arch } from './nb101.js';

export * from './nb201.js';
export * from './darts.js';
export * from './nb101.js';
export * from './space.js';
export * from './registry.js';
export { nb201Space, asNb201, crossoverNb201Arch } from './nb201-space.js';
export { dartsSpace, asDarts, crossoverDartsGenotype } from './darts-space.js';
export { nb101Space, asNb101, crossoverNb101Arch, encodeNb101, decodeNb101 } from './nb101-space.js';
export { mobileSpace, mobileSpec } from './mobile.js';
export * from './declarative/index.js';

/** A registered space's name (validated against the registry by `checkSpace`). */
export type SpaceName = string;

/** The built-in spaces' names (a snapshot at load time: `listSpaces()` includes spaces registered later). */
export const SPACES: readonly SpaceName[] = listSpaces();

/**
 * Value types of spaces by name, for narrowing an AnyArch on `space` (code written against the
 * built-in spaces). A space module may add its own entry by declaration merging.
 */
export interface SpaceArchTypes {
  nb201: Nb201Arch;
  darts: DartsGenotype;
  nb101: Nb101Arch;
}

/**
 * An architecture of any registered space. It narrows on `space` to the built-ins' typed values
 * (kept for code that still branches on the space name); an architecture of another registered
 * space is the last member, whose value is only reachable through its SearchSpace (`spaceOf(a)`)
 * or an accessor (`asNb201(a)`, `asDarts(a)`, `archOf(a, name)`). New code should take `Arch`;
 * once nothing narrows on `space`, AnyArch is `Arch`.
 */
export type AnyArch = { [K in keyof SpaceArchTypes]: { space: K; arch: SpaceArchTypes[K]; text: string } }[keyof SpaceArchTypes] | { space: string; arch: never; text: string };

/** An Arch as an AnyArch (the same object: the cast only widens the name type). */
export function anyArch(a: Arch): AnyArch {
  return a as AnyArch;
}

/** A space name checked against the registry: `unknown search space 'x' (known: nb201, darts)`. */
export function checkSpace(space: string): SpaceName {
  if (!hasSpace(space)) getSpace(space);
  return space;
}

export function parseArch(space: string, text: string): AnyArch {
  const s = getSpace(space);
  const arch = s.parse(text);
  return anyArch({ space: s.name, arch, text: s.format(arch) });
}

export function sampleArch(space: SpaceName, rng: Rng): AnyArch {
  const s = getSpace(space);
  const arch = s.sample(rng);
  return anyArch({ space: s.name, arch, text: s.format(arch) });
}

export function mutateArch(a: Arch, rng: Rng): AnyArch {
  const s = spaceOf(a);
  const arch = s.mutate(a.arch, rng);
  return anyArch({ space: s.name, arch, text: s.format(arch) });
}

/** A child of two architectures of the same space (the space's crossover). */
export function crossoverArch(a: Arch, b: Arch, rng: Rng): AnyArch {
  if (a.space !== b.space) throw new TsnasError(`crossover of architectures from different spaces (${a.space}, ${b.space})`);
  const s = spaceOf(a);
  const arch = s.crossover(a.arch, b.arch, rng);
  return anyArch({ space: s.name, arch, text: s.format(arch) });
}

/** The architecture of space `space` with these decision indices. */
export function decodeArch(space: SpaceName, codes: readonly number[]): AnyArch {
  const s = getSpace(space);
  const arch = s.decode(codes);
  return anyArch({ space: s.name, arch, text: s.format(arch) });
}

export function encodeArch(a: Arch): number[] {
  return spaceOf(a).encode(a.arch);
}

/** The evaluation network of an architecture; defaults are the benchmarks' own sizes. */
export function buildEvalNetwork(space: SpaceName, a: Arch, rng: Rng, o: EvalNetOverrides = {}): Network {
  const s = getSpace(space);
  if (a.space !== s.name) throw new TsnasError(`architecture is from space ${a.space}, not ${s.name}`);
  return s.buildNetwork(a.arch, rng, o);
}

/** The space by name, typed (for code that knows which space it holds). */
export function space<A = unknown>(name: SpaceName): SearchSpace<A> {
  return getSpace<A>(name);
}
