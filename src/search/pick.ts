/**
 * From search to training: pick architectures out of a multi-objective search run in the store,
 * by trial index or as the k best by the run's first objective, for `tsnas train`.
 *
 * "Best" ranks the run's feasible trials (constraint violation 0; all trials when none is
 * feasible) by the first objective in its direction (from the run's result, else its
 * `--objectives`), ties by trial order. Also reads an architecture given as a search prints it:
 * a Pareto entry `{"arch": "...", ...}` or a JSON string.
 */
import type { Store, TrialRecord } from '../store/store.js';
import { parseObjectives } from '../objectives/spec.js';
import { TsnasError } from '../util/errors.js';

/** An architecture picked from a search run. */
export interface PickedArch {
  run: string;
  /** The trial's index in the run. */
  trial: number;
  space: string;
  arch: string;
  objectives: Record<string, number | null>;
}

/** The latest search run with trials (the default run to pick from). */
export function latestSearchRun(store: Store): string {
  const runs = store.listRuns().filter((r) => r.command === 'search' && store.trials(r.id).length > 0);
  const last = runs.sort((a, b) => a.createdAt.localeCompare(b.createdAt)).pop();
  if (!last) throw new TsnasError(`${store.path} holds no search run with trials to pick from`);
  return last.id;
}

function runInfo(store: Store, runId: string): { space: string; first: { key: string; direction: 'min' | 'max' } | undefined; trials: TrialRecord[] } {
  const run = store.getRun(runId);
  if (!run) throw new TsnasError(`no run '${runId}' in ${store.path} (tsnas runs list)`);
  const result = (run.result ?? {}) as { space?: string; objectives?: { key: string; direction: 'min' | 'max' }[] };
  const cfg = run.config as { space?: string; objectives?: string; options?: { space?: string; objectives?: string } };
  const space = result.space ?? cfg.space ?? cfg.options?.space ?? 'nb201';
  const objText = cfg.objectives ?? cfg.options?.objectives;
  const first = result.objectives?.[0] ?? (objText ? parseObjectives(objText).map((s) => ({ key: s.key, direction: s.direction }))[0] : undefined);
  return { space, first, trials: store.trials(runId).filter((t) => t.status === 'done') };
}

/** Trial `idx` of a run. */
export function pickTrial(store: Store, runId: string, idx: number): PickedArch {
  const { space, trials } = runInfo(store, runId);
  const t = trials.find((x) => x.idx === idx);
  if (!t) throw new TsnasError(`run '${runId}' has no trial ${idx} (it has ${trials.length}: 0..${trials.length - 1})`);
  return { run: runId, trial: t.idx, space, arch: t.arch, objectives: t.objectives };
}

/** The `k` best trials of a run by its first objective (feasible ones first). */
export function pickTop(store: Store, runId: string, k: number): PickedArch[] {
  if (!(Number.isInteger(k) && k >= 1)) throw new TsnasError(`--top must be a positive integer, got ${k}`);
  const { space, first, trials } = runInfo(store, runId);
  if (!first) throw new TsnasError(`run '${runId}' records no objectives to rank its trials by`);
  const feasible = trials.filter((t) => (t.scores['violation'] ?? 0) === 0);
  const pool = (feasible.length ? feasible : trials).filter((t) => typeof t.objectives[first.key] === 'number');
  if (pool.length === 0) throw new TsnasError(`run '${runId}' has no trial with a value of ${first.key}`);
  const sign = first.direction === 'max' ? -1 : 1;
  pool.sort((a, b) => sign * (a.objectives[first.key]! - b.objectives[first.key]!) || a.idx - b.idx);
  return pool.slice(0, k).map((t) => ({ run: runId, trial: t.idx, space, arch: t.arch, objectives: t.objectives }));
}

/**
 * An architecture as text: a search's Pareto entry `{"arch": ...}` or a JSON string is unwrapped;
 * other text, and a JSON object without "arch" or "genotype" (a declarative space's sample, as
 * `tsnas arch --random` prints it; its space checks it), is returned as is.
 */
export function archFromJson(text: string): string {
  const s = text.trim();
  if (!(s.startsWith('{') || s.startsWith('"'))) return text;
  let v: unknown;
  try {
    v = JSON.parse(s);
  } catch (e) {
    throw new TsnasError(`--arch looks like JSON but does not parse: ${(e as Error).message}`);
  }
  if (typeof v === 'string') return v;
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && !('arch' in v) && !('genotype' in v)) return text;
  const arch = (v as { arch?: unknown; genotype?: unknown }).arch ?? (v as { genotype?: unknown }).genotype;
  if (typeof arch !== 'string') throw new TsnasError('--arch JSON must be a string or an object with an "arch" (a Pareto entry as tsnas search prints it)');
  return arch;
}
