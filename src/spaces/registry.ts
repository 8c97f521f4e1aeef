/**
 * The registry of search spaces: name → SearchSpace. The built-in spaces are registered by
 * src/spaces/builtin.ts; a library user registers their own with `registerSpace`, after which the
 * name works wherever a space name does (parseArch, sampleArch, buildEvalNetwork, search, score).
 */
import { TsnasError } from '../util/errors.js';
import type { Arch, SearchSpace } from './space.js';

const spaces = new Map<string, SearchSpace<unknown>>();

/** Register a space under its name; a second space with a taken name is an error unless `replace`. */
export function registerSpace<A>(space: SearchSpace<A>, o: { replace?: boolean } = {}): SearchSpace<A> {
  if (!/^[a-z][a-z0-9_-]*$/i.test(space.name)) throw new TsnasError(`search space name '${space.name}' must be a word (letters, digits, _ or -)`);
  if (spaces.has(space.name) && !o.replace) throw new TsnasError(`search space '${space.name}' is already registered`);
  spaces.set(space.name, space as SearchSpace<unknown>);
  return space;
}

/** Remove a registered space (tests, plugins reloading). */
export function unregisterSpace(name: string): boolean {
  return spaces.delete(name);
}

export function hasSpace(name: string): boolean {
  return spaces.has(name) || (pathLoader !== undefined && isSpacePath(name));
}

/**
 * What turns a space file's path into its space (installed by spaces/declarative/load.ts, which
 * imports this registry: a hook rather than an import keeps the two free of a cycle).
 */
let pathLoader: ((path: string) => SearchSpace<unknown>) | undefined;

/** Install the loader of space files (`getSpace('./my-space.yaml')`). */
export function setSpacePathLoader(loader: (path: string) => SearchSpace<unknown>): void {
  pathLoader = loader;
}

/** Whether a --space value names a file (a path separator or a space-file extension) rather than a registered space. */
export function isSpacePath(nameOrPath: string): boolean {
  return /[\\/]/.test(nameOrPath) || /\.(ya?ml|json|[cm]?[jt]s)$/i.test(nameOrPath);
}

/**
 * The space of that name, or of that file (a YAML/JSON space file is loaded on first use; a
 * TypeScript/JavaScript module must have been loaded by `resolveSpace`); unknown names are a
 * one-line error listing the known ones.
 */
export function getSpace<A = unknown>(name: string): SearchSpace<A> {
  if (pathLoader && isSpacePath(name)) return pathLoader(name) as SearchSpace<A>;
  const s = spaces.get(name);
  if (!s) throw new TsnasError(`unknown search space '${name}' (known: ${listSpaces().join(', ')})`);
  return s as SearchSpace<A>;
}

/** Registered names, in registration order. */
export function listSpaces(): string[] {
  return [...spaces.keys()];
}

/** The space an architecture belongs to. */
export function spaceOf<A = unknown>(a: Pick<Arch, 'space'>): SearchSpace<A> {
  return getSpace<A>(a.space);
}

/** Wrap a space's value as an Arch (its canonical text computed once). */
export function toArch<A>(space: SearchSpace<A>, arch: A): Arch<A> {
  return { space: space.name, arch, text: space.format(arch) };
}

/** The value of `a` as an architecture of space `name`; a clear error for another space. */
export function archOf<A>(a: Arch, name: string): A {
  if (a.space !== name) throw new TsnasError(`expected an architecture of the ${name} space, got one of ${a.space}: ${a.text}`);
  return a.arch as A;
}
