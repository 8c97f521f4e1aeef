/**
 * The registry of benchmark tables: tabulated results of every architecture of a space (the
 * NAS-Bench-201 table), used as evaluators (table accuracy and latency objectives, true Pareto
 * fronts). A table is registered as a source that loads lazily from a path, once per path; adding
 * a table is one new file implementing `BenchmarkSource` plus one registration line
 * (src/benchmarks/builtin.ts).
 */
import { TsnasError } from '../util/errors.js';

/** One architecture's row: its canonical text and every numeric column's value. */
export interface BenchmarkRow {
  readonly arch: string;
  readonly values: Readonly<Record<string, number>>;
}

/** A loaded table. Architectures are looked up by their space's canonical text. */
export interface BenchmarkTable {
  /** Registry name of the table, e.g. 'nb201'. */
  readonly name: string;
  /** The search space whose architectures it covers. */
  readonly space: string;
  /** Numeric column names. */
  readonly columns: readonly string[];
  /** The full name of a column or alias; errors list the columns. */
  resolveColumn(name: string): string;
  has(archText: string): boolean;
  get(archText: string): BenchmarkRow;
  /** One value; errors name the architecture or column. */
  value(archText: string, column: string): number;
}

export interface BenchmarkSource<T extends BenchmarkTable = BenchmarkTable> {
  readonly name: string;
  readonly space: string;
  /** Human name for messages, e.g. 'NAS-Bench-201'. */
  readonly title: string;
  /** Where the table is read from when no path is given (may depend on the environment). */
  defaultPath(): string;
  /** Read the table at `path` (no caching: `loadBenchmark` caches). */
  load(path: string): Promise<T>;
}

const sources = new Map<string, BenchmarkSource>();
const loaded = new Map<string, Promise<BenchmarkTable>>();

export function registerBenchmark<T extends BenchmarkTable>(source: BenchmarkSource<T>, o: { replace?: boolean } = {}): BenchmarkSource<T> {
  if (sources.has(source.name) && !o.replace) throw new TsnasError(`benchmark table '${source.name}' is already registered`);
  sources.set(source.name, source);
  return source;
}

export function unregisterBenchmark(name: string): boolean {
  for (const k of [...loaded.keys()]) if (k.startsWith(`${name}\0`)) loaded.delete(k);
  return sources.delete(name);
}

export function listBenchmarks(): string[] {
  return [...sources.keys()];
}

export function getBenchmark(name: string): BenchmarkSource {
  const s = sources.get(name);
  if (!s) throw new TsnasError(`unknown benchmark table '${name}' (known: ${listBenchmarks().join(', ') || 'none'})`);
  return s;
}

/** The registered tables covering a space (usually none or one). */
export function benchmarksFor(space: string): BenchmarkSource[] {
  return [...sources.values()].filter((s) => s.space === space);
}

/** Load a table (its default path unless `path`), once per (table, path); a failed load is not cached. */
export function loadBenchmark(name: string, path?: string): Promise<BenchmarkTable> {
  const src = getBenchmark(name);
  const p = path ?? src.defaultPath();
  const key = `${name}\0${p}`;
  let t = loaded.get(key);
  if (!t) {
    t = src.load(p);
    loaded.set(key, t);
    t.catch(() => loaded.delete(key));
  }
  return t;
}
